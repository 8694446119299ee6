"""Build and start the real Neo4j Community 5.26 server of tests/neo4j (no Docker needed).

Used by the pytest fixtures (tests/conftest.py), by bench/neo4j_load.py and by hand:

    python tests/neo4j/launcher.py --port 7687 --data /tmp/kg-neo4j --password devpass

builds the launcher once (`mvn -q package`, needs Java 17+ and Maven; the Neo4j jars come from
Maven Central) and runs the server until Ctrl+C. Then `kg build --backend neo4j --uri
bolt://127.0.0.1:7687 --password devpass`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
CLASSPATH = os.pathsep.join([str(TARGET / "classes"), str(TARGET / "lib" / "*")])
MAIN_CLASS = "kgtest.NeoServer"
#: JVM options for servers that live for one test run: the client compiler only (no C2), which
#: halves the CPU a start costs (about 8 s instead of 15 s) and most of the JIT work after it; the
#: serial collector (no concurrent GC threads on a 2-core machine); no bytecode verification of the
#: jars (from Maven Central; a start takes 6.3 s of CPU instead of 7.2); and NeoServer's settings
#: for a short run (kgtest.shortRun: no replanning, a small page cache). The Neo4j tests' server
#: used 117 s of CPU with the defaults, 87 s with C1 alone, 78 s with the serial GC, 65 s with all.
SHORT_RUN = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+UnlockDiagnosticVMOptions",
             "-XX:-BytecodeVerificationRemote", "-Dkgtest.shortRun=true")


class LauncherUnavailable(RuntimeError):
    """Java or Maven is missing, or the launcher did not build: the reason is the message."""


def missing_tools() -> str | None:
    """Why the server cannot be built here, or None when Java and Maven are both present."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not found on PATH" if missing else None


def _sources() -> list[Path]:
    return [HERE / "pom.xml", *sorted((HERE / "src").rglob("*.java"))]


def build(quiet: bool = True) -> None:
    """`mvn package` unless the built classes are newer than pom.xml and the Java source. Builds
    are serialised by a lock file: two test workers that start servers at once on a fresh clone
    would otherwise copy the same jars into target/ together (and fail)."""
    reason = missing_tools()
    if reason:
        raise LauncherUnavailable(reason)
    TARGET.mkdir(exist_ok=True)
    with open(TARGET / ".build.lock", "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        except ImportError:  # no flock (Windows): one build at a time is up to the caller
            pass
        stamp = TARGET / "lib" / ".built"
        if stamp.exists() and all(stamp.stat().st_mtime >= p.stat().st_mtime for p in _sources()):
            return
        cmd = ["mvn", "-q", "-B", "package"] if quiet else ["mvn", "-B", "package"]
        done = subprocess.run(cmd, cwd=HERE, capture_output=quiet, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stdout or "")[-2000:] + (done.stderr or "")[-2000:]
            raise LauncherUnavailable(f"mvn package failed in {HERE}:\n{tail}")
        stamp.touch()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running server; `stop()` shuts it down cleanly, `kill()` like a crash (SIGKILL)."""

    port: int
    data: Path
    password: str | None
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 60) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write(b"stop\n")
                self.process.stdin.flush()
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Run in the Java child before exec: Linux sends it SIGTERM (its shutdown hook stops Neo4j
    cleanly) when the process that started it dies, however it dies (SIGKILL included), so a killed
    test run or launcher never leaves a server behind. Elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def start(data: Path, port: int | None = None, password: str | None = None, timeout: float = 180,
          jvm_options: tuple[str, ...] = ()) -> Server:
    """Start a server on `port` (default: a free one) storing its files under `data`; waits until Bolt is up.

    `jvm_options` go to `java` (the tests pass SHORT_RUN; benchmarks keep the defaults)."""
    build()
    port = port or free_port()
    data.mkdir(parents=True, exist_ok=True)
    log = data / "launcher.log"
    cmd = ["java", "-Xmx1g", *jvm_options, "-cp", CLASSPATH, MAIN_CLASS, str(port), str(data)]
    if password:
        cmd.append(password)
    out = log.open("wb")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    out.close()
    server = Server(port=port, data=data, password=password, process=proc, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LauncherUnavailable(f"Neo4j exited with code {proc.returncode}; see {log}:\n"
                                      + log.read_text(errors="replace")[-3000:])
        if b"READY" in log.read_bytes():
            return server
        time.sleep(0.2)
    server.kill()
    raise LauncherUnavailable(f"Neo4j did not start within {timeout:.0f}s; see {log}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run the test Neo4j server until Ctrl+C.")
    parser.add_argument("--port", type=int, default=7687)
    parser.add_argument("--data", type=Path, default=Path("/tmp/kg-neo4j"))
    parser.add_argument("--password", default=None, help="enable auth with user neo4j and this password")
    parser.add_argument("--short-run", action="store_true",
                        help="settings for a server that lives for one test run (the tests use them): client JIT "
                             "only, serial GC, no query replanning, a small page cache")
    args = parser.parse_args(argv)

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the server as Ctrl+C does

    signal.signal(signal.SIGTERM, terminated)
    server = None
    try:
        server = start(args.data, args.port, args.password, jvm_options=SHORT_RUN if args.short_run else ())
        print(f"Neo4j is up at {server.uri} (data in {args.data}); Ctrl+C or SIGTERM stops it", flush=True)
        server.process.wait()
    except LauncherUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # also while it was starting: the Java child dies with us (PDEATHSIG)
        if server is not None:
            server.stop()
        print("Neo4j stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
