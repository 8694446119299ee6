"""The test server's launcher never leaves a Java process behind: SIGTERM stops it like Ctrl+C, and
a launcher killed outright takes its server with it (issue 16, point 9). Real Java, no mocks."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[1] / "neo4j" / "launcher.py"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def running_launcher(tmp_path):
    sys.path.insert(0, str(LAUNCHER.parent))
    import launcher

    reason = launcher.missing_tools()
    if reason or not Path("/proc/self/task").exists():
        pytest.skip(f"needs Java 17+, Maven and Linux /proc: {reason}")
    launcher.build()
    proc = subprocess.Popen([sys.executable, str(LAUNCHER), "--port", str(launcher.free_port()),
                             "--data", str(tmp_path / "neo4j"), "--short-run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "Neo4j is up" in line, proc.stderr.read()
    java = [c for c in _children(proc.pid) if "java" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
    assert len(java) == 1
    yield proc, java[0]
    for pid in (proc.pid, java[0]):
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_or_killing_the_launcher_stops_the_java_server(running_launcher, how):
    proc, java = running_launcher
    os.kill(proc.pid, how)
    proc.wait(timeout=120)
    assert _wait_gone(java, 120), "the Java server outlived its launcher"
    if how == signal.SIGTERM:
        assert proc.returncode == 0 and "Neo4j stopped" in proc.stderr.read()


@pytest.mark.neo4j
def test_two_processes_building_the_launcher_at_once_both_get_it(tmp_path):
    """Two test workers may start servers at the same moment on a fresh clone: the second waits for
    the first's `mvn package` instead of copying the same jars into target/ beside it (which fails)."""
    sys.path.insert(0, str(LAUNCHER.parent))
    import launcher

    reason = launcher.missing_tools()
    if reason:
        pytest.skip(f"needs Java 17+ and Maven: {reason}")
    copy = tmp_path / "neo4j"
    copy.mkdir()
    for name in ("launcher.py", "pom.xml", "src"):
        src = LAUNCHER.parent / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, copy / name)
    code = f"import sys; sys.path.insert(0, {str(copy)!r}); import launcher; launcher.build()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert (copy / "target" / "lib" / ".built").exists() and list((copy / "target").glob("*.jar"))
