"""Extraction throughput and peak memory, next to the bare spaCy tokenizer as the ceiling.

    python bench/extract_throughput.py            # 20,000 abstracts
    python bench/extract_throughput.py --n 500    # quick check

The bundled sample (kg/data/papers_sample.txt, 215 papers) is repeated to N abstracts. Each
pass runs in its own subprocess so that its peak memory is its own:

- ``tokenizer``: ``spacy.blank("en").tokenizer.pipe`` over ``title + ". " + abstract``;
- ``extract``: ``extractors.extract(papers, nlp=build_nlp())``, consuming every Extraction.

Each pass is timed without tracemalloc (it slows Python allocations down), reporting
abstracts/s and ``ru_maxrss``; a second run of the same pass under tracemalloc gives the
Python-heap peak (skip it with ``--no-tracemalloc``). Caveat: repeating 215 abstracts keeps
the tokenizer's cache and the vocabulary warm, so a real corpus of distinct abstracts will
be slower; the ratio to the ceiling is the number to watch.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "kg" / "data" / "papers_sample.txt"
PASSES = ("tokenizer", "extract")

if importlib.util.find_spec("kg") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))


def _maxrss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _read_txt_pairs(path: Path) -> list[Any]:
    """Fallback reader (title line, abstract line, blank lines ignored) if kg.ingest is absent."""
    from schema.paper import Paper

    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        Paper(id="txt-" + hashlib.sha1(title.encode()).hexdigest()[:16], title=title, abstract=abstract,
              source=str(path))
        for title, abstract in zip(lines[0::2], lines[1::2])
    ]


def load_sample(path: Path) -> list[Any]:
    """Papers of the sample file, through kg.ingest.read_papers when it exists."""
    try:
        from kg.ingest import read_papers
    except ImportError:
        return _read_txt_pairs(path)
    return list(read_papers([path]))


def repeat_papers(papers: list[Any], n: int) -> Iterator[Any]:
    """Stream n papers cycling through the sample, each with a distinct id."""
    for i, paper in enumerate(itertools.islice(itertools.cycle(papers), n)):
        yield paper.model_copy(update={"id": f"{paper.id}-{i}"})


def run_pass(name: str, path: Path, n: int, trace: bool) -> dict[str, Any]:
    """Run one pass in this process and return its measurements."""
    papers = load_sample(path)
    started = time.perf_counter()
    if name == "tokenizer":
        import spacy

        nlp = spacy.blank("en")
    else:
        from extractors import build_nlp

        nlp = build_nlp()
    setup_s = time.perf_counter() - started
    rss_before = _maxrss_mib()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    done = entities = 0
    if name == "tokenizer":
        texts = (f"{p.title}. {p.abstract}" for p in repeat_papers(papers, n))
        for doc in nlp.tokenizer.pipe(texts, batch_size=256):
            done += 1
            entities += len(doc)  # tokens, for the tokenizer row
    else:
        from extractors import extract

        for extraction in extract(repeat_papers(papers, n), nlp=nlp):
            done += 1
            entities += len(extraction.entities)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024) if trace else None
    if trace:
        tracemalloc.stop()
    return {
        "pass": name, "abstracts": done, "seconds": seconds, "rate": done / seconds if seconds else 0.0,
        "setup_seconds": setup_s, "rss_before_mib": rss_before, "maxrss_mib": _maxrss_mib(),
        "tracemalloc_peak_mib": peak, "items_per_abstract": entities / done if done else 0.0,
    }


def _spawn(name: str, path: Path, n: int, trace: bool) -> dict[str, Any]:
    """Run a pass in a fresh interpreter; its last stdout line is the JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--n", str(n), "--input", str(path)]
    if trace:
        cmd.append("--trace")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return {"pass": name, "error": lines[-1] if lines else f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _print_table(rows: list[dict[str, Any]], n: int, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    ceiling = next((r["rate"] for r in rows if r["pass"] == "tokenizer" and "rate" in r), None)
    table = Table(title=f"{n:,} abstracts ({path.name} repeated)")
    for col in ("pass", "abs/s", "% ceiling", "time s", "setup s", "maxrss MiB", "py peak MiB", "items/abs"):
        if col == "pass":
            table.add_column(col, no_wrap=True, min_width=9)
        else:
            table.add_column(col, justify="right")
    for r in rows:
        if "error" in r:
            table.add_row(r["pass"], "[red]failed[/red]", *["-"] * 6)
            continue
        peak = r.get("tracemalloc_peak_mib")
        table.add_row(
            r["pass"], f"{r['rate']:,.0f}",
            f"{100 * r['rate'] / ceiling:.0f}%" if ceiling else "-",
            f"{r['seconds']:.2f}", f"{r['setup_seconds']:.2f}", f"{r['maxrss_mib']:.0f}",
            f"{peak:.1f}" if peak is not None else "-", f"{r['items_per_abstract']:.1f}",
        )
    console.print(table)
    console.print("maxrss: ru_maxrss of the pass's own process (untraced run); py peak: tracemalloc "
                  "peak of a separate traced run; items/abs: tokens (tokenizer) or entities (extract).")
    for r in rows:
        if "error" in r:
            console.print(f"[red]{r['pass']} failed:[/red] {r['error']}", soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of abstracts (default 20000)")
    parser.add_argument("--input", type=Path, default=SAMPLE, help="txt corpus to repeat")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced runs")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--worker", choices=PASSES, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n <= 0:
        parser.error("--n must be positive")
    if not args.input.is_file():
        parser.error(f"{args.input}: no such file")

    if args.worker:
        print(json.dumps(run_pass(args.worker, args.input, args.n, args.trace)))
        return 0

    rows = []
    for name in PASSES:
        row = _spawn(name, args.input, args.n, trace=False)
        if "error" not in row and not args.no_tracemalloc:
            traced = _spawn(name, args.input, args.n, trace=True)
            row["tracemalloc_peak_mib"] = traced.get("tracemalloc_peak_mib")
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows, args.n, args.input)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
