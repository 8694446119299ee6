"""`kg extract --workers 2` end to end (start-up included) from a JSONL file, next to the bare tokenizer.

    python bench/end_to_end.py                          # 20,000 abstracts; "default", and "rules" if
                                                        # `kg extract --help` lists --no-model
    python bench/end_to_end.py --config rules="--no-model" --config default=""   # compare, one run
    python bench/end_to_end.py --n 5000 --runs 2        # quicker, each configuration twice

What it does, in order:

1. writes a JSONL file of N papers (``{"id", "title", "abstract"}`` per line) built from the bundled
   sample (kg/data/papers_sample.txt) exactly as ``bench/parallel_throughput.py`` builds them: the
   sample cycled to N, each abstract's words shuffled (seeded), ids ``syn-<i>``;
2. the ceiling: ``spacy.blank("en").tokenizer.pipe`` over ``title + ". " + abstract`` of those same
   papers, the texts built before the clock starts (``--tokenizer-runs`` times, each with a fresh
   blank pipeline so its cache starts cold; the median is the ceiling);
3. per configuration (``--config NAME=ARGS``, ARGS being extra ``kg extract`` arguments, split as
   a shell would): ``kg extract FILE --workers W -o OUT ARGS`` as a subprocess, wall clock from
   launch to exit, so interpreter start-up, imports, building the pipeline(s), starting the
   worker pool, reading and validating the JSONL and writing the output are all in it. The
   output must have one line per paper and the exit code must be 0, else the row is marked failed.

Memory, two figures per run:

- ``tree peak``: the largest SUM of resident set sizes over the ``kg extract`` process and all its
  descendants (the worker pool), sampled every ``--interval`` seconds (psutil if installed, else
  /proc). A sum of RSS counts shared pages (libraries) once per process, so it is an upper
  bound, and a sampled one: a spike shorter than the interval can be missed.
- ``largest proc``: the exact peak RSS of the largest single process in the tree (``ru_maxrss`` from
  ``os.wait4`` of the ``kg extract`` process, which the kernel takes as the max over it and the
  children it reaped; like ``RUSAGE_CHILDREN``, a maximum, not a sum). The workers are forked by
  multiprocessing's forkserver, which ``kg extract`` does not wait for: this process makes itself
  their subreaper (Linux) and reaps the server too, so its figures (and the CPU seconds) count.

papers/s is N over the wall clock; "% tokenizer" divides it by the ceiling; hours for 2.5 million
papers are projected linearly from that rate (start-up included, so a little pessimistic for a run
that long). The machine's load average is printed: on a shared machine, compare rows of one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "kg" / "data" / "papers_sample.txt"
ARXIV_PAPERS = 2_500_000
MIB = 1024 * 1024
#: the learned-layer switch: when `kg extract --help` lists it, "rules" (with it) is compared to "default"
NO_MODEL_FLAG = "--no-model"

if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from parallel_throughput import paper_text, synthetic_papers  # noqa: E402  (same input as that benchmark)
from proctree import TreeSampler, become_subreaper, kg_command, reap_orphans  # noqa: E402


def extract_help() -> str:
    proc = subprocess.run([*kg_command(), "extract", "--help"], capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    return proc.stdout + proc.stderr


def write_input(path: Path, n: int, seed: int, novel_words: int) -> list[str]:
    """Write the N shuffled papers as JSONL; return the tokenizer's texts for the same papers."""
    texts = []
    with path.open("w", encoding="utf-8") as fh:
        for paper in synthetic_papers(SAMPLE, n, seed, novel_words):
            fh.write(json.dumps({"id": paper.id, "title": paper.title, "abstract": paper.abstract},
                                ensure_ascii=False) + "\n")
            texts.append(paper_text(paper))
    return texts


def time_tokenizer(texts: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Abstracts/s of the bare blank-English tokenizer over pre-built texts, and its CPU seconds, per run."""
    import spacy

    rates, cpu = [], []
    for _ in range(runs):
        tokenizer = spacy.blank("en").tokenizer  # fresh: its cache starts cold, as in a new process
        started, cpu_started = time.perf_counter(), time.process_time()
        done = sum(1 for _ in tokenizer.pipe(texts, batch_size=256))
        rates.append(done / (time.perf_counter() - started))
        cpu.append(time.process_time() - cpu_started)
        del tokenizer
    return rates, cpu


def run_extract(name: str, extra: list[str], input_path: Path, out_path: Path, n: int, workers: int,
                interval: float) -> dict[str, Any]:
    """`kg extract` as a subprocess, timed from launch to exit, with its tree's memory."""
    cmd = [*kg_command(), "extract", str(input_path), "--workers", str(workers), "-o", str(out_path), *extra]
    stderr_path = out_path.with_suffix(".stderr.txt")
    with stderr_path.open("w", encoding="utf-8") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, cwd=ROOT)
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        orphan_cpu, orphan_maxrss = reap_orphans()  # the forkserver and, through it, the workers
        sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen so
    row: dict[str, Any] = {
        "config": name, "args": shlex.join(extra), "command": shlex.join(cmd), "papers": n, "seconds": seconds,
        "rate": n / seconds, "exit_code": proc.returncode,
        "tree_peak_mib": sampler.peak / MIB,
        "largest_proc_mib": max(usage.ru_maxrss, orphan_maxrss) / 1024,  # KiB on Linux
        "max_processes": sampler.max_procs, "samples": sampler.samples, "sampler": sampler.method,
        "cpu_s": usage.ru_utime + usage.ru_stime + orphan_cpu,
    }
    lines = 0
    if out_path.exists():
        with out_path.open(encoding="utf-8") as fh:
            lines = sum(1 for _ in fh)
    log = [line.strip(" \u2502\u256d\u256e\u2570\u256f\u2500")  # drop rich's box drawing
           for line in stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()]
    row["tail"] = next((line for line in reversed(log) if any(c.isalnum() for c in line)), "")
    if proc.returncode != 0 or lines != n:
        row["error"] = f"exit code {proc.returncode}, {lines} line(s) written for {n} paper(s): {row['tail']}"
    return row


def parse_config(text: str) -> tuple[str, list[str]]:
    name, sep, args = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=ARGS (ARGS may be empty: default=)")
    return name.strip(), shlex.split(args)


def print_report(rows: list[dict[str, Any]], tok_rates: list[float], tok_cpu: list[float],
                 args: argparse.Namespace, load: tuple[Any, Any]) -> None:
    ceiling = statistics.median(tok_rates)
    print(f"\n{args.n:,} shuffled abstracts (seed {args.seed}"
          f"{f', +{args.novel_words} novel words each' if args.novel_words else ''}), "
          f"kg extract --workers {args.workers}, end to end")
    print(f"tokenizer ceiling (spacy.blank('en'), pre-built texts): {ceiling:,.0f} abstracts/s "
          f"(median of {len(tok_rates)}: {', '.join(f'{r:,.0f}' for r in tok_rates)}; "
          f"CPU s: {', '.join(f'{c:.2f}' for c in tok_cpu)})")
    head = ("config", "extra args", "run", "papers/s", "% tokenizer", "wall s", "h / 2.5M", "tree peak MiB",
            "largest proc MiB", "procs", "CPU s")
    table = [head]
    for r in rows:
        if "error" in r:
            table.append((r["config"], r["args"] or "-", str(r["run"]), "failed", "-", f"{r['seconds']:.1f}",
                          "-", "-", "-", "-", "-"))
            continue
        table.append((r["config"], r["args"] or "-", str(r["run"]), f"{r['rate']:,.0f}", f"{100 * r['rate'] / ceiling:.1f}%",
                      f"{r['seconds']:.1f}", f"{ARXIV_PAPERS / r['rate'] / 3600:.2f}", f"{r['tree_peak_mib']:,.0f}",
                      f"{r['largest_proc_mib']:,.0f}", str(r["max_processes"]), f"{r['cpu_s']:.1f}"))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) if j < 2 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    sampler = rows[0]["sampler"] if rows else "-"
    print(f"tree peak: RSS summed over kg extract and its workers, sampled every {args.interval}s ({sampler}); "
          "largest proc: exact ru_maxrss of the largest single process (os.wait4); CPU s: user+sys of the "
          "whole tree (os.wait4), less sensitive than the wall clock to a busy machine.")
    for r in rows:
        if "error" not in r:
            ok = 100 * r["rate"] / ceiling >= args.target_percent and r["tree_peak_mib"] < 1024
            print(f"{r['config']}: {100 * r['rate'] / ceiling:.1f}% of the tokenizer (target >= "
                  f"{args.target_percent:g}%), tree peak {r['tree_peak_mib']:,.0f} MiB (target < 1024): "
                  f"{'met' if ok else 'NOT met'}")
    for r in rows:
        if "error" in r:
            print(f"{r['config']} failed: {r['error']}")
    if load[0] is not None:
        print(f"load average (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load[0])}, "
              f"after: {' '.join(f'{x:.2f}' for x in load[1])} on {os.cpu_count()} CPU(s)")


def main(argv: list[str] | None = None) -> int:
    become_subreaper()  # so the forkserver and its workers are counted (proctree.become_subreaper)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of abstracts (default 20000)")
    parser.add_argument("--seed", type=int, default=0, help="shuffle seed (default 0)")
    parser.add_argument("--novel-words", type=int, default=0, help="strings unique to each abstract (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="kg extract --workers (default 2)")
    parser.add_argument("--config", action="append", type=parse_config, metavar="NAME=ARGS",
                        help="a configuration: NAME=extra kg extract args (repeatable, run in the order given); "
                             f"default: default= and, if kg extract lists {NO_MODEL_FLAG}, rules={NO_MODEL_FLAG} first")
    parser.add_argument("--runs", type=int, default=1, help="runs of each configuration, interleaved (default 1)")
    parser.add_argument("--tokenizer-runs", type=int, default=3, help="tokenizer passes, median taken (default 3)")
    parser.add_argument("--interval", type=float, default=0.1, help="memory sampling interval, s (default 0.1; a sample costs ~2 ms of CPU)")
    parser.add_argument("--target-percent", type=float, default=8.0, help="%% of the tokenizer to meet (default 8)")
    parser.add_argument("--dir", type=Path, help="keep the input and outputs here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    if args.n <= 0 or args.workers <= 0 or args.runs <= 0 or args.tokenizer_runs <= 0 or args.interval <= 0:
        parser.error("--n, --workers, --runs, --tokenizer-runs and --interval must be positive")
    if args.novel_words < 0:
        parser.error("--novel-words must not be negative")

    configs = args.config
    if not configs:
        configs = [("default", [])]
        if NO_MODEL_FLAG in extract_help():
            configs.insert(0, ("rules", [NO_MODEL_FLAG]))
    if len({name for name, _ in configs}) != len(configs):
        parser.error("configuration names must differ")

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="kg-e2e-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        input_path = work / f"papers-{args.n}.jsonl"
        texts = write_input(input_path, args.n, args.seed, args.novel_words)
        tok_rates, tok_cpu = time_tokenizer(texts, args.tokenizer_runs)
        del texts
        rows = []
        for run in range(args.runs):
            for name, extra in configs:
                out_path = work / f"out-{name}-{run + 1}.jsonl"
                row = run_extract(name, extra, input_path, out_path, args.n, args.workers, args.interval)
                row["run"] = run + 1
                rows.append(row)
                if not args.dir:
                    out_path.unlink(missing_ok=True)
                print(f"{name} (run {run + 1}): {row['seconds']:.1f} s, {row['rate']:,.0f} papers/s"
                      f"{' FAILED' if 'error' in row else ''}", file=sys.stderr)
    load = (load_before, os.getloadavg() if hasattr(os, "getloadavg") else None)
    if args.json:
        print(json.dumps({"n": args.n, "seed": args.seed, "workers": args.workers, "tokenizer_rates": tok_rates, "tokenizer_cpu_s": tok_cpu,
                          "tokenizer_ceiling": statistics.median(tok_rates), "load_average": load, "runs": rows},
                         indent=2))
    else:
        print_report(rows, tok_rates, tok_cpu, args, load)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
