"""What a person watching `kg build` sees over time: each phase's start and the longest silence.

    python bench/build_phases.py                      # 5,000 shuffled abstracts, kg build --workers 2
    python bench/build_phases.py --n 2000 --args "--workers 1"

Runs ``kg build FILE -o OUT ARGS`` in a pseudo-terminal (so Rich draws its live progress as it
does for a person), records every write to the terminal with its time, and reports:

- when each line of text first appeared (the bar, "resolving names across N papers", "saving
  graph.graphml", "writing the query index", the summary table...), in seconds from launch;
- the longest stretch during which the screen did not change (the frame Rich redraws ten times
  a second stays the same: no spinner turning, no count or clock moving): the "silent stretch"
  issue 16 is about, and where it was;
- wall time and the peak memory of the process tree (sampled, bench/proctree.py).

Input: the bundled sample cycled to N papers with shuffled words (bench/end_to_end.py's input).
On a busy machine the times stretch; compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024

if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from end_to_end import write_input  # noqa: E402  (the same shuffled-sample input)
from proctree import TreeSampler, kg_command  # noqa: E402

#: terminal control sequences (colours, cursor moves, line erases)
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
#: text that changes every second in a live display whatever happens (the clocks); kept, since a
#: clock that moves is a sign of life too
_WORDS = re.compile(r"[A-Za-z][A-Za-z .-]{5,}")


def run(cmd: list[str], interval: float, cwd: Path) -> tuple[list[tuple[float, str]], float, int, float]:
    """The command's terminal output as (seconds from launch, text without control codes) writes."""
    main, child = pty.openpty()
    os.set_blocking(main, False)
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=child, stdout=child, stderr=child, env=env, cwd=cwd, close_fds=True)
    os.close(child)
    sampler = TreeSampler(proc.pid, interval)
    sampler.start()
    writes: list[tuple[float, str]] = []
    while True:
        ready, _, _ = select.select([main], [], [], 0.05)
        data = b""
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                data = b""
        if data:
            writes.append((time.perf_counter() - started, data.decode("utf-8", "replace")))
        elif proc.poll() is not None:
            break
    seconds = time.perf_counter() - started
    sampler.stop()
    os.close(main)
    return writes, seconds, proc.returncode, sampler.peak / MIB


def frames(writes: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """(time, visible text) of each write that showed something; Rich redraws its live display
    whole, so the text of a write is what is on screen of it."""
    out = []
    for t, text in writes:
        visible = _ESCAPE.sub("", text).strip()
        if visible:
            out.append((t, visible))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="papers (default 5000)")
    parser.add_argument("--args", default="--workers 2", help="extra kg build arguments (default: --workers 2)")
    parser.add_argument("--interval", type=float, default=0.2, help="memory sampling interval, s")
    parser.add_argument("--kg", default=None, help="command to run instead of this checkout's kg (e.g. an "
                                                   "older version: 'python -m kg' with PYTHONPATH set)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kg-phases-") as tmp:
        path = Path(tmp) / f"papers-{args.n}.jsonl"
        write_input(path, args.n, seed=0, novel_words=0)
        kg = shlex.split(args.kg) if args.kg else kg_command()
        cmd = [*kg, "build", str(path), "-o", str(Path(tmp) / "graph.graphml"), *shlex.split(args.args)]
        # run in the temporary folder, not ROOT: `python -m kg` imports the package from its cwd
        writes, seconds, code, peak = run(cmd, args.interval, Path(tmp))
    shown = frames(writes)
    print(f"kg build, {args.n:,} papers ({args.args}): {seconds:.1f} s, exit code {code}, "
          f"peak {peak:,.0f} MiB (process tree)")
    seen: set[str] = set()
    print("first appearance of each line of text (s from launch):")
    for t, text in shown:
        for phrase in _WORDS.findall(text):
            phrase = phrase.strip()
            key = re.sub(r"\d", "", phrase)
            if key not in seen and len(phrase) > 6:
                seen.add(key)
                print(f"  {t:6.1f}  {phrase}")
    changes = [(0.0, "")]
    for t, text in shown:
        if text != changes[-1][1]:
            changes.append((t, text))
    changes.append((seconds, ""))
    gaps = sorted(((b[0] - a[0], a[0], a[1]) for a, b in zip(changes, changes[1:])), reverse=True)[:3]
    print("longest stretches with the screen unchanged:")
    for gap, at, text in gaps:
        last = text.splitlines()[-1][:70] if text else "(nothing on screen yet)"
        print(f"  {gap:5.1f} s from {at:5.1f} s, showing: {last}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}, after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPU(s)")
    return 0 if code in (0, 3) else 1


if __name__ == "__main__":
    sys.exit(main())
