"""Peak memory and speed of `kg build` (embedded networkx backend) at 50,000 and 150,000 papers,
and of `kg query` / `kg stats` on the graph it wrote. Target: `kg build` under 3 GB at 150,000.

    python bench/graph_memory.py                      # 50,000 and 150,000 papers (tens of minutes)
    python bench/graph_memory.py --papers 50000       # one size
    python bench/graph_memory.py --heap-papers 50000  # also: Python heap the graph holds per paper

1. Input, built before any clock starts: JSON Lines of N papers made from the bundled abstracts
   (kg/data/papers_sample.txt and kg/data/arxiv_dev_papers.jsonl, 375 papers), each copy with its
   sentences shuffled (seeded), a unique id and a unique title: every title starts with a
   coined method name no other paper has ("BaKoRi: <title>"), so every paper also proposes an
   entity of its own, as real papers do (otherwise 150,000 copies would name only the few
   thousand entities of the 375 originals and flatter the graph).
2. `kg build FILE -o OUT.graphml` as a subprocess with its default workers (all cores), wall
   clock from launch to exit (start-up, extraction, cross-paper resolution, loading into
   networkx and writing the GraphML all included).
3. `kg query 'MATCH (p:Paper) RETURN COUNT(p) AS papers'` and `kg stats` on that file, each a
   subprocess (reading the GraphML is most of their work).

Memory, two figures per command:

- ``tree peak``: the largest SUM of resident set sizes over the process and all its descendants
  (the worker pool), sampled every ``--interval`` seconds (psutil if installed, else /proc;
  bench/proctree.py). Shared pages are counted once per process, so it is an upper bound, and a
  sampled one (a spike shorter than the interval can be missed).
- ``largest proc``: the exact peak RSS of the largest single process (``ru_maxrss`` from
  ``os.wait4``: the kernel's max over the process and the children it reaped; a maximum, not a
  sum). For `kg build` this is the parent, which holds the graph.

The target is read on the tree peak (the whole run, workers included). A timeline of the
parent's and the tree's RSS (`--timeline` points) shows in which phase the peak falls: the
workers are gone once extraction ends, the parent then resolves, loads and writes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
TARGET_MIB = 3 * 1024  # "under 3 GB at 150,000 papers" (read as GiB; 3,072 MiB)

if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from proctree import TreeSampler, _proc_rss, kg_command  # noqa: E402

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def base_papers() -> list[tuple[str, str]]:
    """(title, abstract) of the bundled sample and the arXiv dev papers."""
    from kg.build import SAMPLE_CORPUS
    from kg.ingest import read_papers

    arxiv = ROOT / "kg" / "data" / "arxiv_dev_papers.jsonl"
    return [(p.title, p.abstract) for p in read_papers([SAMPLE_CORPUS, arxiv])]


def coined_name(i: int) -> str:
    """A made-up method name, different for every i (CamelCase syllables, as coined names are)."""
    syllables = []
    n = i
    while True:
        n, rest = divmod(n, len(_CONSONANTS) * len(_VOWELS))
        syllables.append(_CONSONANTS[rest // len(_VOWELS)] + _VOWELS[rest % len(_VOWELS)])
        if n == 0:
            break
    while len(syllables) < 3:
        syllables.append("ra")
    return "".join(s.capitalize() for s in syllables)


def write_input(path: Path, n: int, seed: int) -> int:
    """N papers as JSON Lines (see the module docstring); returns the file's size in bytes."""
    pool = base_papers()
    split = [(title.split(": ", 1)[-1], _SENTENCE_END.split(abstract)) for title, abstract in pool]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            title, sentences = split[i % len(split)]
            sentences = sentences[:]
            rng.shuffle(sentences)
            fh.write(json.dumps({"id": f"syn-{i}", "title": f"{coined_name(i)}: {title}",
                                 "abstract": " ".join(sentences)}, ensure_ascii=False) + "\n")
    return path.stat().st_size


class Timeline(threading.Thread):
    """RSS of the root process and of its tree, every `interval` seconds (for the phase timeline)."""

    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.points: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self._halt.is_set():
            self.points.append((time.perf_counter() - started, _proc_rss(self.pid)))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run(name: str, cmd: list[str], log: Path, interval: float) -> dict[str, Any]:
    """Run `cmd`, timed from launch to exit, with its tree's sampled peak and its exact max RSS."""
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=ROOT,
                                env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"})
        sampler, timeline = TreeSampler(proc.pid, interval), Timeline(proc.pid, interval)
        sampler.start()
        timeline.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        sampler.stop()
        timeline.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen so
    return {"name": name, "seconds": seconds, "exit_code": proc.returncode, "tree_peak_mib": sampler.peak / MIB,
            "largest_proc_mib": usage.ru_maxrss / 1024, "max_processes": sampler.max_procs,
            "sampler": sampler.method, "cpu_s": usage.ru_utime + usage.ru_stime, "timeline": timeline.points,
            "log": log.read_text(encoding="utf-8", errors="replace")}


def print_timeline(points: list[tuple[float, int]], marks: int) -> None:
    if not points:
        return
    end = points[-1][0]
    step = max(end / marks, 1e-9)
    shown, next_at = [], 0.0
    for t, rss in points:
        if t >= next_at:
            shown.append(f"{t:,.0f}s {rss / MIB:,.0f}")
            next_at = t + step
    peak_t, peak = max(points, key=lambda p: p[1])
    print(f"    parent RSS MiB over time: {' | '.join(shown)}; peak {peak / MIB:,.0f} MiB at {peak_t:,.0f}s "
          f"of {end:,.0f}s")


def check(row: dict[str, Any]) -> None:
    if row["exit_code"] not in (0, 3):
        tail = [line for line in row["log"].splitlines() if line.strip()][-5:]
        print(f"  {row['name']} failed with exit code {row['exit_code']}:\n    " + "\n    ".join(tail))
        raise SystemExit(1)


def bench_size(n: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    data, graph = tmp / f"papers-{n}.jsonl", tmp / f"graph-{n}.graphml"
    size = write_input(data, n, args.seed)
    print(f"\n{n:,} papers: input {size / MIB:,.0f} MiB of JSON Lines (built before the clock)", flush=True)
    kg = kg_command()
    build = run("kg build", [*kg, "build", str(data), "-o", str(graph)], tmp / f"build-{n}.log", args.interval)
    check(build)
    summary = [line.strip(" │") for line in build["log"].splitlines() if "nodes :" in line or "edges :" in line]
    print(f"  kg build: {build['seconds']:,.1f} s, {n / build['seconds']:,.0f} papers/s, "
          f"tree peak {build['tree_peak_mib']:,.0f} MiB ({build['max_processes']} processes), "
          f"largest process {build['largest_proc_mib']:,.0f} MiB, CPU {build['cpu_s']:,.0f} s; "
          f"exit {build['exit_code']}; GraphML {graph.stat().st_size / MIB:,.0f} MiB", flush=True)
    nodes = sum(int(re.findall(r"\d+", s)[-1]) for s in summary if "nodes :" in s)
    edges = sum(int(re.findall(r"\d+", s)[-1]) for s in summary if "edges :" in s)
    print(f"    graph: {nodes:,} nodes, {edges:,} edges")
    print_timeline(build["timeline"], args.timeline)
    rows = {"papers": n, "build": build, "nodes": nodes, "edges": edges}
    for name, cmd in (("kg query", [*kg, "query", "MATCH (p:Paper) RETURN COUNT(p) AS papers", "--graph", str(graph)]),
                      ("kg stats", [*kg, "stats", "--graph", str(graph)])):
        row = run(name, cmd, tmp / f"{name.replace(' ', '-')}-{n}.log", args.interval)
        check(row)
        answer = ""
        if name == "kg query":
            found = re.findall(r"│\s*(\d+)\s*│", row["log"])
            answer = f"; answer {found[0]}" if found else ""
        print(f"  {name}: {row['seconds']:,.1f} s, peak RSS {row['largest_proc_mib']:,.0f} MiB{answer}", flush=True)
        rows[name] = row
    return rows


def heap_per_paper(n: int) -> None:
    """The Python heap a networkx graph of n papers holds (tracemalloc), built as `kg build` loads it."""
    import gc
    import tracemalloc

    from neo4j_load import copies, sample_pairs  # the sample's extractions repeated with new ids
    from kg.backends.networkx_backend import NetworkxBackend
    from kg.builder import build_batch

    pairs = sample_pairs()
    gc.collect()
    tracemalloc.start()
    backend, chunk = NetworkxBackend(), []
    for pair in copies(pairs, n):
        chunk.append(pair)
        if len(chunk) == 256:
            backend.upsert(build_batch(chunk))
            chunk = []
    if chunk:
        backend.upsert(build_batch(chunk))
    chunk = []
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    G = backend.to_networkx()
    print(f"\nheap of a networkx graph of {n:,} papers (sample extractions repeated, evidence shared): "
          f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, {held / MIB:,.0f} MiB = "
          f"{held / n / 1024:.2f} KiB per paper")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, action="append", help="sizes to run (default 50,000 and 150,000)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--interval", type=float, default=0.2, help="RSS sampling interval, seconds")
    parser.add_argument("--timeline", type=int, default=12, help="points of the RSS timeline printed")
    parser.add_argument("--heap-papers", type=int, default=0, help="also measure the graph's heap per paper")
    parser.add_argument("--keep", type=Path, help="write inputs and graphs here instead of a temporary folder")
    args = parser.parse_args(argv)
    sizes = args.papers or [50_000, 150_000]
    load = os.getloadavg()
    print(f"kg build / query / stats memory, {os.cpu_count()} CPUs, load average {load[0]:.1f} at start")
    if args.keep:  # inputs, graphs and logs stay for a look afterwards
        args.keep.mkdir(parents=True, exist_ok=True)
        results = [bench_size(n, args, args.keep) for n in sizes]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            results = [bench_size(n, args, Path(tmp)) for n in sizes]
    print(f"\n| papers | nodes | edges | build s | papers/s | build tree peak MiB | build largest proc MiB "
          f"| query s | query peak MiB | stats s | stats peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        b, q, s = r["build"], r["kg query"], r["kg stats"]
        print(f"| {r['papers']:,} | {r['nodes']:,} | {r['edges']:,} | {b['seconds']:,.0f} | "
              f"{r['papers'] / b['seconds']:,.0f} | {b['tree_peak_mib']:,.0f} | {b['largest_proc_mib']:,.0f} | "
              f"{q['seconds']:,.1f} | {q['largest_proc_mib']:,.0f} | {s['seconds']:,.1f} | {s['largest_proc_mib']:,.0f} |")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    big = max(results, key=lambda r: r["papers"])
    verdict = "met" if big["build"]["tree_peak_mib"] < TARGET_MIB else "NOT met"
    print(f"target: kg build under {TARGET_MIB:,} MiB at {big['papers']:,} papers: {verdict}")
    if args.heap_papers:
        heap_per_paper(args.heap_papers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
