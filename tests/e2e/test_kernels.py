"""A process that runs one batch after another (a batch from Python, a notebook, the tests) keeps the last
batch's warm kernel, cleared, for the next, unless the next would start a different kernel; a forked worker
never takes up its parent's."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import psutil

from qipp_helpers.pack import kernels
from qipp_helpers.pack.catalogue import WARM_UP
from qipp_helpers.pack.runner import Job, Workers

from ..conftest import ROOT, same_render


def _batch(data: Path, out: Path) -> str:
    """ELR's monthly position rendered to HTML by a one-worker batch; the HTML."""
    job = Job(
        ROOT / "notebooks" / "monthly_position.ipynb",
        {"fin_year": "2019-20", "month": 6, "org": "ELR", "data_dir": str(data.resolve())},
        out,
        "monthly_position",
        "ELR monthly_position M6",
    )
    with Workers(1, warm_up=WARM_UP) as pool:
        [result] = pool.run([job], formats=("html",), progress=False)
    assert result.status == "ok", result.error
    return Path(result.outputs["html"]).read_text(encoding="utf-8")


def _parked() -> list[int]:
    return [km.provisioner.process.pid for km, _, _ in kernels._idle]


def _parked_in_child(queue) -> None:
    queue.put(len(kernels._idle) + len(kernels._kernels))


def test_the_next_batch_takes_up_the_parked_kernel_and_a_changed_environment_starts_its_own(
    demo_data_dir, tmp_path, monkeypatch
):
    first = _batch(demo_data_dir, tmp_path / "first")
    [parked] = _parked()
    km, kc = kernels._idle[0][:2]
    kernels._run(kc, "assert 'report' not in globals() and 'org' not in globals()")  # cleared as it was parked
    # the same report, same kernel, though pytest has moved on to another test (as it does between tests)
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "tests/e2e/test_next.py::test_next (call)")
    assert same_render(_batch(demo_data_dir, tmp_path / "second")) == same_render(first)
    assert _parked() == [parked]

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_parked_in_child, args=(queue,))
    child.start()
    assert queue.get(timeout=60) == 0  # the forked worker knows none of its parent's kernels
    child.join(timeout=60)
    assert km.is_alive()  # and stopped none of them as it ended

    monkeypatch.setenv("QIPP_KERNEL_TEST", "a kernel started before this variable was set would not see it")
    _batch(demo_data_dir, tmp_path / "third")
    [new] = _parked()
    assert new != parked and not psutil.pid_exists(parked)  # at most one parked kernel: the older one stopped
