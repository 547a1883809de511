"""The explorer notebook runs through a real Jupyter server, as JupyterLab would run it.

The test starts ``jupyter server`` on a free localhost port with a token, opens a session for the
notebook over the REST API (the server starts the project's ``python3`` kernel), then sends each
cell as an ``execute_request`` over the kernel's websocket and collects the outputs. It also plays
the browser's part once: a widget ``update`` comm message sets the workstream dropdown, and the
explorer's table follows.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore_variances.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running ``jupyter server``: base URL, token and a tiny REST client."""

    def __init__(self, port: int, token: str) -> None:
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"
        self.token = token

    def api(self, path: str, body: dict | None = None, method: str | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.http}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read()
        return json.loads(text) if text else {}


@pytest.fixture
def jupyter_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """``jupyter server`` on localhost serving ``tmp_path/root``; stopped (and waited for) afterwards."""
    root = tmp_path / "root"
    root.mkdir()
    port, token = _free_port(), uuid.uuid4().hex
    # private Jupyter dirs: no user config or user kernelspec can stand in for the project's kernel
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "run"),
    }
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below, after the process ends
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--allow-root",
            "--ServerApp.terminals_enabled=False",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    server = Server(port, token)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "jupyter server did not start:\n" + (tmp_path / "server.log").read_text(errors="replace")
                    ) from None
                time.sleep(0.2)
        yield server, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _decode(raw: str | bytes) -> dict:
    """A websocket frame: JSON text, or (messages with buffers, e.g. widget images) a binary frame of
    count, offsets, then the JSON message and its buffers."""
    if isinstance(raw, str):
        return json.loads(raw)
    count = struct.unpack("!I", raw[:4])[0]
    offsets = [*struct.unpack(f"!{count}I", raw[4 : 4 + 4 * count]), len(raw)]
    return json.loads(bytes(raw[offsets[0] : offsets[1]]))


class Kernel:
    """The kernel's websocket channels (Jupyter's JSON protocol) as a request/outputs client."""

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn
        self.session = uuid.uuid4().hex

    async def request(self, msg_type: str, content: dict, *, reply: bool = True) -> tuple[dict | None, list[dict]]:
        """Send one shell message; return its shell reply and its iopub outputs once the kernel is idle."""
        msg_id = uuid.uuid4().hex
        await self.conn.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": msg_type,
                        "username": "test",
                        "session": self.session,
                        "date": "",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        shell_reply, outputs, idle = None, [], False
        while not idle or (reply and shell_reply is None):
            raw = await asyncio.wait_for(self.conn.read_message(), TIMEOUT)
            if raw is None:
                raise RuntimeError("the kernel websocket closed")
            msg = _decode(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                shell_reply = msg
            elif msg["channel"] == "iopub":
                kind = msg["msg_type"]
                if kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                elif kind in ("stream", "display_data", "execute_result", "error"):
                    outputs.append(msg)
        return shell_reply, outputs

    async def execute(self, code: str) -> tuple[dict, list[dict]]:
        shell_reply, outputs = await self.request(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        assert shell_reply is not None
        return shell_reply, outputs


def _text(outputs: list[dict]) -> str:
    return "".join(o["content"].get("data", {}).get("text/plain", "") + o["content"].get("text", "") for o in outputs)


async def _run_notebook(server: Server, path: str, cells: list[str]) -> dict:
    session = server.api(
        "/api/sessions", {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}}
    )
    kernel_id = session["kernel"]["id"]
    conn = await websocket_connect(
        HTTPRequest(f"{server.ws}/api/kernels/{kernel_id}/channels", headers={"Authorization": f"token {server.token}"})
    )
    kernel = Kernel(conn)
    try:
        await kernel.request("kernel_info_request", {})
        results = []
        for code in cells:
            results.append(await kernel.execute(code))
        _, prefix = await kernel.execute("import sys; sys.prefix")
        _, model = await kernel.execute("explorer.workstream.model_id")
        model_id = _text(model).strip("'\"")
        # what the browser sends when someone picks the 9th workstream (Planned Care) in the dropdown
        await kernel.request(
            "comm_msg",
            {"comm_id": model_id, "data": {"method": "update", "state": {"index": 9}, "buffer_paths": []}},
            reply=False,
        )
        _, after = await kernel.execute("sorted(set(explorer.table['workstream']) - {''}), explorer.workstream.value")
        return {"cells": results, "prefix": _text(prefix), "after": _text(after)}
    finally:
        conn.close()
        server.api(f"/api/sessions/{session['id']}", method="DELETE")


def test_explorer_notebook_runs_through_a_jupyter_server(jupyter_server, demo_data_dir):
    server, root = jupyter_server
    nb = nbformat.read(NOTEBOOK, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(
        at + 1,
        nbformat.v4.new_code_cell(f"data_dir = {str(demo_data_dir)!r}", metadata={"tags": ["injected-parameters"]}),
    )
    nbformat.write(nb, root / NOTEBOOK.name)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]

    got = asyncio.run(_run_notebook(server, NOTEBOOK.name, cells))

    for code, (reply, outputs) in zip(cells, got["cells"], strict=True):
        errors = [o["content"] for o in outputs if o["msg_type"] == "error"]
        assert reply["content"]["status"] == "ok" and not errors, f"cell failed:\n{code}\n{errors}"
        assert not [o for o in outputs if o["msg_type"] == "stream" and o["content"]["name"] == "stderr"], code
    last = got["cells"][-1][1]
    assert any(WIDGET_MIME in o["content"].get("data", {}) for o in last), "the explorer's widgets are displayed"
    assert got["prefix"].strip("'\"") == sys.prefix, "the server ran the project's own kernel"
    assert got["after"] == "(['Planned Care'], 'Planned Care')"
