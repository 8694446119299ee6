"""Peak memory of a process tree, sampled: the largest sum of RSS over a process and its descendants.

Used by bench/end_to_end.py (``kg extract`` and its workers) and bench/parallel_throughput.py
(a pass's worker pool). psutil when it is installed, else Linux's /proc.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

__all__ = ["TreeSampler", "become_subreaper", "kg_command", "reap_orphans"]

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Linux: orphans of processes this one starts are re-parented here rather than to init, so
    `reap_orphans` can collect their resource usage. `kg extract`'s workers are forked by
    multiprocessing's forkserver, which `kg extract` never waits for (it exits after it): without
    this, ``os.wait4`` of `kg extract` would count neither the server nor the workers."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(timeout: float = 30.0) -> tuple[float, int]:
    """Wait for every remaining child (orphans adopted by `become_subreaper`, which end once their
    parent did): (user+sys CPU seconds, largest ru_maxrss in KiB) over them and what they reaped."""
    import time

    cpu, maxrss = 0.0, 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.02)
            continue
        cpu += usage.ru_utime + usage.ru_stime
        maxrss = max(maxrss, usage.ru_maxrss)
    return cpu, maxrss


def _proc_children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])  # fields after "(comm)": state, ppid, ...
        children.setdefault(ppid, []).append(int(entry))
    return children


def _proc_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class TreeSampler(threading.Thread):
    """Polls the RSS sum of a process and its descendants; keeps the peak (bytes) and process count.

    With ``descendants_only`` the process itself is left out of the sum (a process sampling its
    own workers). Why sample at all: a spawned worker's ``ru_maxrss`` (and so ``RUSAGE_CHILDREN``)
    starts at its parent's RSS, because it is forked from the parent before it execs a fresh
    interpreter; a parent holding a big input makes every worker look that big.
    """

    def __init__(self, pid: int, interval: float, descendants_only: bool = False):
        super().__init__(daemon=True)
        self.pid, self.interval, self.descendants_only = pid, interval, descendants_only
        self.peak = self.samples = self.max_procs = 0
        self.method = "psutil"
        self._halt = threading.Event()
        try:
            import psutil

            self._root = psutil.Process(pid)
        except ImportError:
            self._root = None
            self.method = "/proc"
        except Exception:  # noqa: BLE001 - the process may already be gone
            self._root = None
            self.method = "/proc"

    def _sample(self) -> tuple[int, int]:
        if self._root is not None:
            import psutil

            total = procs = 0
            try:
                tree = self._root.children(recursive=True)
                if not self.descendants_only:
                    tree.insert(0, self._root)
            except psutil.Error:
                return 0, 0
            for proc in tree:
                try:
                    total += proc.memory_info().rss
                    procs += 1
                except psutil.Error:
                    pass
            return total, procs
        children = _proc_children_map()
        pids, stack = [], [self.pid]
        while stack:
            pid = stack.pop()
            pids.append(pid)
            stack.extend(children.get(pid, ()))
        if self.descendants_only:
            pids.remove(self.pid)
        sizes = [_proc_rss(pid) for pid in pids]
        return sum(sizes), sum(1 for s in sizes if s)

    def run(self) -> None:
        while not self._halt.is_set():
            total, procs = self._sample()
            self.samples += 1
            self.peak, self.max_procs = max(self.peak, total), max(self.max_procs, procs)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def kg_command() -> list[str]:
    """The `kg` console script next to this interpreter (a venv's bin/), else `python -m kg`."""
    script = Path(sys.executable).parent / "kg"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("kg")
    return [found] if found else [sys.executable, "-m", "kg"]
