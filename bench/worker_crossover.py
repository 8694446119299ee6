"""Where a worker pool starts to pay: one process against `--workers 2`, at growing input sizes.

    python bench/worker_crossover.py                          # 300, 600, 1000, 2000, 3000 papers
    python bench/worker_crossover.py --sizes 300,1000 --runs 3 --mode extract

`kg.engines.IN_PROCESS_MAX` is the input size up to which `kg build` and `kg extract` stay in one
process whatever `--workers` says; this benchmark is how it was chosen. Per size N and per worker
count W (1 and `--workers`, interleaved `--runs` times), a fresh interpreter runs what the command
runs after its options are parsed, with the in-process threshold switched off (`Engine(
in_process_max=0)`) so that W=2 really starts a pool even for a small input:

- ``extract``: `kg.build.extract_files` from the JSONL file to a null sink, no pipeline given (as
  `kg extract`: the pipeline is built where extraction runs);
- ``build``: the pipeline built first (as `kg build` does before its bar), then
  `kg.build.build_graph` into an in-memory networkx backend (extraction, resolution, loading; not
  the save).

The clock starts after the imports and, for ``build``, after the pipeline build, so the pool's
costs (spawned interpreters, one pipeline per worker, shipping chunks) are what differ between W=1
and W=2. Input: the bundled sample cycled to N papers with shuffled words (bench/end_to_end.py's
input). Memory: the peak RSS summed over the interpreter and its workers, sampled every
``--interval`` s (bench/proctree.py). The load average is printed: on a shared machine compare rows
of one run, and use ``--runs`` to see the spread (the median is reported).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024

if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from end_to_end import write_input  # noqa: E402  (the same shuffled-sample input)
from proctree import TreeSampler  # noqa: E402


def child(mode: str, path: Path, workers: int) -> dict[str, Any]:
    """One measured run in this (fresh) interpreter; the parent reads the JSON it prints."""
    from kg.build import Engine, build_graph, extract_files

    engine = Engine(workers=workers, in_process_max=0)
    nlp = None
    if mode == "build":
        from extractors import build_nlp
        from kg.backends.networkx_backend import NetworkxBackend

        nlp = build_nlp()
    started = time.perf_counter()
    if mode == "build":
        report = build_graph([path], NetworkxBackend(), nlp=nlp, engine=engine)
    else:
        with open(os.devnull, "w", encoding="utf-8") as sink:
            report = extract_files([path], sink, engine=engine)
    return {"seconds": time.perf_counter() - started, "papers": report.extracted}


def measure(mode: str, path: Path, n: int, workers: int, interval: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path), str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    sampler = TreeSampler(proc.pid, interval)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stop()
    if proc.returncode != 0:
        tail = (stderr or stdout).strip().splitlines()
        raise SystemExit(f"{mode} n={n} workers={workers} failed: {tail[-1] if tail else proc.returncode}")
    row = json.loads(stdout.strip().splitlines()[-1])
    if row["papers"] != n:
        raise SystemExit(f"{mode} n={n} workers={workers}: {row['papers']} papers extracted, expected {n}")
    return {**row, "peak_mib": sampler.peak / MIB}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,600,1000,2000,3000", help="input sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="the pool size compared with 1 (default 2)")
    parser.add_argument("--mode", choices=("build", "extract", "both"), default="both")
    parser.add_argument("--runs", type=int, default=1, help="runs per cell, interleaved; the median is shown")
    parser.add_argument("--interval", type=float, default=0.1, help="memory sampling interval, s")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, path, workers = args.child
        print(json.dumps(child(mode, Path(path), int(workers))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = ("build", "extract") if args.mode == "both" else (args.mode,)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-crossover-") as tmp:
        for n in sizes:
            path = Path(tmp) / f"papers-{n}.jsonl"
            write_input(path, n, seed=0, novel_words=0)
            for mode in modes:
                runs: dict[int, list[dict[str, Any]]] = {1: [], args.workers: []}
                for _ in range(args.runs):
                    for w in runs:
                        runs[w].append(measure(mode, path, n, w, args.interval))
                cells = {}
                for w, got in runs.items():
                    seconds = statistics.median(r["seconds"] for r in got)
                    cells[w] = (seconds, n / seconds, max(r["peak_mib"] for r in got))
                rows.append((mode, n, cells))
                one, many = cells[1], cells[args.workers]
                print(f"{mode:7s} {n:6,d} papers: 1 process {one[1]:6,.0f} papers/s ({one[0]:5.1f} s, peak "
                      f"{one[2]:5,.0f} MiB) | {args.workers} workers {many[1]:6,.0f} papers/s ({many[0]:5.1f} s, "
                      f"peak {many[2]:5,.0f} MiB) | pool {'faster' if many[0] < one[0] else 'slower'} "
                      f"x{one[0] / many[0]:.2f}", flush=True)
    print(f"load average (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPU(s); "
          f"medians of {args.runs} run(s); peak: RSS summed over the process and its workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
