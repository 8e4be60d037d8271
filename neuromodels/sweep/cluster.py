"""The Dask cluster of a sweep: a given client, a running scheduler, or a local cluster
whose worker processes (and everything they start) end with it."""
from __future__ import annotations

import contextlib
import os
import time

from ..study import StudyError
from .worker import _one_line, dask_setup

DASK_MISSING = ("sweeps run on Dask, which is not installed here: "
                "pip install 'neuromodels[sweep]' (installs dask[distributed])")


def _require_dask():
    try:
        import distributed
    except ImportError:
        raise StudyError(DASK_MISSING) from None
    return distributed


class _Workers:
    """The process groups of a local cluster's workers (see :func:`dask_setup`), ended when
    the cluster is closed, with whatever a killed or busy worker left running in them."""

    def __init__(self, client):
        self.client, self.groups, self.started = client, set(), time.time()

    def remember(self) -> None:
        with contextlib.suppress(Exception):
            self.groups.update(self.client.run(os.getpid).values())

    def end(self) -> None:
        import psutil

        def in_groups(proc):
            with contextlib.suppress(OSError, psutil.Error):
                return (os.getpgid(proc.pid) in self.groups
                        and proc.create_time() >= self.started - 1)  # not a reused number
            return False

        left = [p for p in psutil.process_iter() if p.pid != os.getpid() and in_groups(p)]
        for proc in left:
            with contextlib.suppress(psutil.Error):
                proc.terminate()
        _, alive = psutil.wait_procs(left, timeout=3)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()


@contextlib.contextmanager
def _client(workers: int, scheduler: str | None, client):
    """``(client, local workers or None)``: the given client, a client of the scheduler at
    ``scheduler``, or a new ``LocalCluster`` of ``workers`` processes on 127.0.0.1."""
    distributed = _require_dask()
    if client is not None:
        yield client, None
        return
    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="20s")
        except Exception as err:
            raise StudyError(f"cannot reach the Dask scheduler at {scheduler}: "
                             f"{_one_line(err)}") from None
        try:
            yield c, None
        finally:
            c.close()
        return
    import logging

    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.ERROR, preload=[dask_setup.__module__])
    c = distributed.Client(cluster)
    local = _Workers(c)
    local.remember()
    try:
        yield c, local
    finally:
        local.remember()
        with contextlib.suppress(Exception):
            c.close()
        with contextlib.suppress(Exception):
            cluster.close()
        local.end()
