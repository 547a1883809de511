"""A warm worker does not grow: the same report rendered 8 times in one worker (one warm kernel) leaves the
kernel's and the worker's resident memory within 35 MB of what they held after the first three reports: 5 reports
after the caches have filled, so a leak of more than about 7 MB a report fails (a report moves the worker's memory
by up to about 10 MB either way). The report is a CCG's monthly position in every format (every writer, charts,
tables, the PDF): the same code as the system's, at three quarters of its time (20 of the system's reports took 2.5
minutes of every `make test`; `benchmarks/scale.py` measures the peak memory of 64-organisation runs)."""

from __future__ import annotations

import threading

import psutil

from qipp_helpers.pack import kernels
from qipp_helpers.pack.catalogue import WARM_UP
from qipp_helpers.pack.runner import Job, Workers

from ..conftest import ROOT

MB = 1024 * 1024


def test_eight_reports_in_one_warm_worker_do_not_grow_its_memory(demo_data_dir, tmp_path):
    job = Job(
        ROOT / "notebooks" / "monthly_position.ipynb",
        {"fin_year": "2019-20", "month": 6, "org": "ELR", "data_dir": str(demo_data_dir.resolve())},
        tmp_path / "ELR",
        "monthly_position",
        "ELR monthly_position M6",
    )
    before = set(kernels._kernels)
    worker, rss = psutil.Process(), []
    with Workers(1, warm_up=WARM_UP) as pool:  # one worker: a thread of this process, with its own warm kernel
        for _ in range(8):
            [result] = pool.run([job], progress=False)
            assert result.status == "ok" and set(result.outputs) == {"ipynb", "html", "pdf", "xlsx"}, result.error
            [key] = set(kernels._kernels) - before
            kernel = psutil.Process(kernels._kernels[key][0].provisioner.process.pid)
            rss.append((worker.memory_info().rss, kernel.memory_info().rss))
        assert key[1] != threading.get_ident()  # the kernel belongs to the worker's thread
    settled = rss[2]  # after the first reports have filled the caches (fonts, text layouts, imports)
    grew = [(w - settled[0]) / MB for w, _ in rss[3:]], [(k - settled[1]) / MB for _, k in rss[3:]]
    assert max(grew[0]) < 35 and max(grew[1]) < 35, grew
