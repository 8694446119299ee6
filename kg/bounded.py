"""Run a query so that it can be stopped: in a forked child with a time limit and a memory cap.

An embedded query runs in this process's memory, and a cartesian product or an unbounded path can
run for hours or take every byte of the machine. `run_bounded` forks (the child sees the loaded
graph without copying or pickling it), caps the child's address space with `RLIMIT_AS`, and waits
at most `timeout` seconds for its answer: the child is killed when the time is up, and a
`MemoryError` in it comes back as one line. Needs `fork` (Linux, macOS); elsewhere the call
runs in this process without limits.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
from collections.abc import Callable
from typing import Any, TypeVar

from kg.backends.base import BackendError, NotFound, QueryError, QueryStopped

T = TypeVar("T")

#: `kg query --timeout` default (seconds)
DEFAULT_TIMEOUT = 300.0
#: share of the memory available at start that a query may add to the process
MEMORY_SHARE = 0.8


def _proc_kib(path: str, field: str) -> int | None:
    """Bytes of a "Field:   N kB" line of a /proc file, or None where unknown."""
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def available_memory() -> int | None:
    """Bytes of memory the system can still hand out (MemAvailable), or None where unknown."""
    return _proc_kib("/proc/meminfo", "MemAvailable:")


def _address_space() -> int | None:
    """This process's current virtual size in bytes (the base a memory cap is added to)."""
    return _proc_kib("/proc/self/status", "VmSize:")


def _child(conn: Any, fn: Callable[..., Any], args: tuple, memory: int | None) -> None:
    if memory is not None:
        base = _address_space()
        if base is not None:
            resource.setrlimit(resource.RLIMIT_AS, (base + memory, base + memory))
    try:
        conn.send(("ok", fn(*args)))
    except MemoryError:
        conn.send(("memory", None))
    except QueryError as exc:
        kind = "stopped" if isinstance(exc, QueryStopped) else "notfound" if isinstance(exc, NotFound) else "error"
        conn.send((kind, str(exc)))
    except BackendError as exc:  # e.g. an unreadable index: the parent reports it as a failure, not a usage error
        conn.send(("backend", str(exc)))
    except BaseException as exc:  # anything else: its own line, the parent re-raises nothing raw
        conn.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_bounded(fn: Callable[..., T], *args: Any, timeout: float | None = DEFAULT_TIMEOUT,
                memory: int | None = None) -> T:
    """`fn(*args)` in a forked child, stopped after `timeout` seconds or when it needs more than
    `memory` extra bytes (default: `MEMORY_SHARE` of the memory available now).

    `timeout` None or 0 means no time limit. The result must be picklable.

    Raises
    ------
    QueryError
        One line: the time limit was hit, memory ran out, or `fn` raised a QueryError (its message).
    """
    if "fork" not in mp.get_all_start_methods():
        return fn(*args)
    if memory is None:
        free = available_memory()
        memory = int(free * MEMORY_SHARE) if free else None
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, fn, args, memory), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout or None):
            raise QueryStopped(f"query stopped: it ran longer than the {timeout:g} s timeout; narrow it "
                             "(LIMIT, a bounded path length such as *1..3) or raise --timeout")
        try:
            status, value = receive.recv()
        except EOFError:
            child.join(5)
            raise QueryStopped(f"query stopped: the query process died (exit code {child.exitcode}), "
                             "most likely out of memory; narrow the query") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if status == "ok":
        return value
    if status == "memory":
        limit = f" ({memory / 2**20:,.0f} MiB)" if memory else ""
        raise QueryStopped(f"query stopped: it ran out of memory{limit}; narrow it (LIMIT, fewer MATCH "
                         "combinations) or use the Neo4j backend for very large graphs")
    if status == "error":
        raise QueryError(value)
    if status == "stopped":
        raise QueryStopped(value)
    if status == "notfound":
        raise NotFound(value)
    if status == "backend":
        raise BackendError(value)
    raise QueryError(f"the embedded engine failed on this query: {value}")
