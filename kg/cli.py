"""`kg` command line: each command parses options, calls a library function and prints.

Exit codes, the same in every command: 0 success; 3 partial success (some records or files
skipped); 1 failure: nothing usable, including "not found" (EXIT_NOT_FOUND: a missing graph or
input file, an entity, dataset or named query the graph or tool does not have) and filters that
left no paper; 2 usage error (bad option or value, unknown format, malformed config file).

Conventions (README "CLI conventions"): `-h`/`--help` everywhere; `kg -q`/`kg -v` before the
command set how much goes to stderr (logging through `logging` with a Rich handler); `-o/--out`
names every output file; `--format` is the output format (`--input-format` the input's); option
defaults come from kg.toml or `[tool.kg]` in pyproject.toml (kg/config.py), below environment
variables and explicit options.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional, get_args, get_origin

import typer
import typer.core
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from kg import __version__
from kg.bounded import DEFAULT_TIMEOUT, run_bounded
from kg.engines import IN_PROCESS_MAX
from kg.tables import print_table
from kg.commands.options import GraphFile, OutputFormat, QueryFormat
from kg.textsafe import SafeConsole, terminal, utf8_text
from kg.build import (DEFAULT_GRAPH, DEV_GOLD, EXIT_FAILED, EXIT_USAGE, MAX_CHARS, PAPER_TIMEOUT, SAMPLE_CORPUS,
                      RunReport, build_graph, extract_files)

#: "not found" (graph file, input files, entity, dataset, named query) exits with this in every command
EXIT_NOT_FOUND = EXIT_FAILED


def _type_word(annotation: Any) -> str:
    """What to type for a value of this annotation, in help: PATH, N, NUMBER, TEXT or the choices."""
    if get_origin(annotation) is list:
        return _type_word(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "|".join(str(m.value) for m in annotation)
    return {Path: "PATH", int: "N", float: "NUMBER", bool: ""}.get(annotation, "TEXT")


def _plain_metavar(param: Any) -> None:
    """Help without Python types (Typer 0.2x shows `<bool>`, `<list[Path]>`): a flag shows nothing,
    a value what to type. Versions without `type_descriptor` already show click's plain words."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or param.metavar is not None:
        return
    word = "" if getattr(param, "is_flag", False) or getattr(param, "count", False) else _type_word(descriptor.annotation)
    if param.param_type_name == "argument":  # its metavar would replace its name: change only the type shown
        param.display_type_rich = lambda ctx, word=word + ("..." if param.nargs != 1 else ""): word
    else:
        param.metavar = word


class _PlainHelp:
    """Mixed into the command classes: every parameter gets a plain metavar before help is drawn."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _plain_metavar(param)
        return params


class _Command(_PlainHelp, typer.core.TyperCommand):
    pass


class _Group(_PlainHelp, typer.core.TyperGroup):
    pass


app = typer.Typer(help="Turn research papers into a knowledge graph of methods, datasets, metrics and tasks.",
                  epilog="Example: kg build papers.jsonl && kg stats. Option defaults can come from kg.toml "
                         "(or the tool.kg table of pyproject.toml) in the current folder; `kg COMMAND -h` for a command.",
                  no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False, cls=_Group,
                  context_settings={"help_option_names": ["-h", "--help"]})
log = logging.getLogger(__name__)
out = SafeConsole()  # paper text never reaches the terminal raw (kg/textsafe.py)
err = SafeConsole(stderr=True)
MAX_SHOWN_ISSUES = 20


def _write_csv(header: list[str], rows: list[list[Any]]) -> None:
    """CSV on stdout: one header row, then the rows (text a UTF-8 file cannot hold becomes U+FFFD)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    sys.stdout.write(utf8_text(buf.getvalue()))


def _write_json(data: Any) -> None:
    """JSON on stdout: data for programs (controls escaped, lone surrogates become U+FFFD)."""
    sys.stdout.write(utf8_text(json.dumps(data, ensure_ascii=False, default=str, indent=1)) + "\n")


class ExportFormat(str, Enum):
    graphml = "graphml"
    gexf = "gexf"
    json = "json"
    neo4j_csv = "neo4j-csv"


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {terminal(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def _version(value: bool) -> None:
    if value:
        out.print(f"kg {__version__}")
        raise typer.Exit()


#: how much goes to stderr, set by `kg -q` / `kg -v`: -1 errors only, 0 normal, 1 info, 2 debug
_verbosity = 0
#: the packages whose `logging.getLogger(__name__)` messages `-v` shows
LOGGERS = ("kg", "extractors")


def is_quiet() -> bool:
    """True under `kg -q`: no warnings, notes, spinners or progress bars."""
    return _verbosity < 0


def warn(message: object) -> None:
    """A one-line warning on stderr (`kg -q` hides it)."""
    if _verbosity >= 0:
        err.print(f"[yellow]warning:[/] {terminal(message)}", highlight=False, soft_wrap=True)


def note(message: object) -> None:
    """A one-line note on stderr about what was done on the way (`kg -q` hides it)."""
    if _verbosity >= 0:
        err.print(terminal(message), highlight=False, soft_wrap=True)


def _setup_logging(verbosity: int) -> Callable[[], None]:
    """Our loggers go to stderr through Rich: warnings by default, none with -q, info with -v,
    debug with -vv (third-party loggers are left as they are). Returns what puts them back as
    they were (for a program that runs the app in-process, e.g. tests)."""
    from rich.logging import RichHandler

    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = RichHandler(console=err, show_time=False, show_path=False, markup=False, rich_tracebacks=False)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(level)

    def restore() -> None:
        for logger, old_level in zip(loggers, before):
            logger.removeHandler(handler)
            logger.setLevel(old_level)

    return restore


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Show the version and exit.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Errors only on stderr: no warnings, notes or "
                                        "progress bars.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, show_default=False,
                                         help="Say more on stderr: -v what is read and run (info), -vv debug.")] = 0,
) -> None:
    """Papers in, knowledge graph out."""
    from kg.config import ConfigError, load_config

    global _verbosity
    if quiet and verbose:
        raise fail("give -q or -v, not both")
    _verbosity = -1 if quiet else min(verbose, 2)
    ctx.call_on_close(_setup_logging(_verbosity))
    try:
        config = load_config()
    except ConfigError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    if config.path is not None:
        log.info("option defaults from %s: %s", config.path, ", ".join(f"{k} = {v!r}" for k, v in config.values.items()))
        ctx.default_map = {**config.default_map(getattr(ctx.command, "commands", {})), **(ctx.default_map or {})}


class _IssuePrinter:
    """Prints the first issues, one line each: `skipped:` for a record or file left out, `warning:`
    for a record kept despite a problem (as the summary counts them); the summary counts all."""

    def __init__(self) -> None:
        self.shown = 0

    def __call__(self, issue: Any) -> None:
        if self.shown < MAX_SHOWN_ISSUES and _verbosity >= 0:
            kind = "skipped" if getattr(issue, "skipped", False) else "warning"
            err.print(f"[yellow]{kind}:[/] {terminal(issue)}", highlight=False, soft_wrap=True)
        self.shown += 1


def _load_nlp(model: str | None, no_model: bool = False, lazy: bool = False):
    """The pipeline, or a one-line error (missing spaCy model: usage; missing or corrupt span
    classifier file: failure, naming the file and `kg train`).

    With `lazy` and no spaCy model named, only the span classifier file is checked and None is
    returned: the engine builds a pipeline where one runs (in this process for a small input, else
    only in the workers; the parent of a worker pool then builds none, which was most of the time
    before the first paper)."""
    from extractors.spanmodel import NO_MODEL_ENV, ModelError, load_model, model_enabled

    if no_model:
        # workers started later read it too and build the same rules-only pipeline
        os.environ[NO_MODEL_ENV] = "1"
    if lazy and model is None:
        try:
            if model_enabled():
                load_model()
        except ModelError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
        return None
    from extractors import ModelNotFound, build_nlp  # spaCy loads here

    try:
        return build_nlp(model)
    except ModelNotFound as exc:
        raise fail(str(exc)) from None
    except ModelError as exc:
        raise fail(str(exc), EXIT_FAILED) from None


NoModel = Annotated[bool, typer.Option("--no-model", help="Rules only: leave out the learned span classifier "
                                       "(same as KG_NO_MODEL=1).")]


def _progress() -> Progress:
    """The progress bar on stderr (none with `kg -q`); see `_vanish_on_error`."""
    return Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                    TextColumn("eta"), TimeRemainingColumn(), console=err, transient=False,
                    disable=_verbosity < 0)


@contextmanager
def _vanish_on_error(progress: Progress) -> Iterator[Progress]:
    """Run `progress`; when the block fails, take the bar off the screen before the error line is
    printed, so no spinner frame is left after (or under) an error."""
    with progress:
        try:
            yield progress
        except BaseException:
            progress.live.transient = True  # read when the live display stops, at the end of `with`
            raise


def _run_with_progress(label: str, fn, **kwargs) -> RunReport:
    """Run `build_graph` or `extract_files` under a progress bar on stderr: counting the input,
    then a bar per paper, then a line per later phase (`build_graph(phase=...)`: resolving names,
    writing the cache) that goes when the phase ends, so no stretch of seconds passes without a
    sign of life. When stderr is not a terminal only the finished bar is printed, as Rich does."""
    import inspect

    from kg.ingest import IngestError
    from kg.ingest.estimate import estimate_records

    printer = _IssuePrinter()
    filters = kwargs.get("filters")
    inputs = kwargs.get("inputs", [])
    try:
        with _vanish_on_error(_progress()) as progress:
            names = ", ".join(terminal(Path(p).name) for p in inputs[:2]) + (" ..." if len(inputs) > 2 else "")
            task = progress.add_task(f"counting papers in {names}" if names else label, total=None, rate="")
            total = estimate_records(inputs, kwargs.get("fmt"), getattr(filters, "limit", None))
            progress.update(task, description=label, total=total or None)
            current: list[Any] = []  # the task of the phase now running, if any

            def advance(n: int) -> None:
                progress.advance(task, n)
                t = progress.tasks[0]
                if t.elapsed:
                    progress.update(task, rate=f"{t.completed / t.elapsed:,.0f} papers/s")

            def phase(description: str, total: int | None):
                if not current:  # extraction is over: its bar shows finished
                    progress.update(task, total=progress.tasks[0].completed)
                else:
                    progress.remove_task(current.pop())
                current.append(progress.add_task(terminal(description), total=total, rate=""))
                return lambda n: progress.advance(current[-1], n)

            if "phase" in inspect.signature(fn).parameters:
                kwargs["phase"] = phase
            try:
                report = fn(on_issue=printer, progress=advance, **kwargs)
            finally:
                if current:
                    progress.remove_task(current.pop())
            progress.update(task, total=progress.tasks[0].completed)
    except IngestError as exc:  # the bar is gone: the error is the last line
        raise fail(str(exc)) from None
    if printer.shown > MAX_SHOWN_ISSUES and _verbosity >= 0:
        err.print(f"[yellow]... and {printer.shown - MAX_SHOWN_ISSUES} more issue(s)[/]")
    return report


@contextmanager
def _status(message: str) -> Iterator[None]:
    """A spinner line on stderr while a step that can take seconds runs (saving or loading a big
    graph, writing the query index); it goes when the step ends, and nothing is printed when
    stderr is not a terminal (nor with `kg -q`)."""
    if is_quiet():
        yield
        return
    with err.status(terminal(message)):
        yield


def _engine(workers: int | None, engine: str, scheduler: str | None, model: str | None,
            max_chars: int = 0, paper_timeout: float = 0):
    """Where extraction runs and what one paper may cost, from the CLI options."""
    import os

    from kg.build import Engine

    if engine not in ("local", "dask"):
        raise fail(f"--engine {engine!r}: expected local or dask")
    if engine == "dask":
        try:
            import dask.distributed  # noqa: F401  (only checking it is installed)
        except ImportError:
            raise fail("--engine dask needs dask.distributed: pip install 'papers-kg[dask]'") from None
    if scheduler and engine != "dask":
        raise fail("--scheduler needs --engine dask")
    return Engine(workers=workers or os.cpu_count() or 1, engine=engine, scheduler=scheduler, model=model,
                  max_chars=max_chars or None, paper_timeout=paper_timeout or None)


def _filters(limit: int | None, category: list[str] | None, year_from: int | None, year_to: int | None):
    """The reader filters from the CLI options; a bad combination is a usage error."""
    from kg.ingest import IngestError
    from kg.ingest.filters import PaperFilter

    if limit is None and not category and year_from is None and year_to is None:
        return None
    try:
        return PaperFilter(limit=limit, categories=tuple(category or ()), year_from=year_from, year_to=year_to)
    except IngestError as exc:
        raise fail(str(exc)) from None


def _inputs(inputs: list[Path] | None) -> list[Path]:
    """The input files (default: the bundled sample). When none of them exists, that is one line
    (`error: papers.jsonl: no such file`, exit 1) before any progress bar or table; a missing file
    among others that exist is reported per file while the rest are read (exit 3)."""
    paths = list(inputs) if inputs else [SAMPLE_CORPUS]
    if not any(p.exists() for p in paths):
        raise fail("; ".join(f"{p}: no such file" for p in paths), EXIT_FAILED)
    return paths


def _filtered_all(report: RunReport, filters: Any) -> str | None:
    """When the filters left no paper: which of them did it, e.g. "--year-from 2030 removed all 215
    papers" (a run that read nothing for other reasons, or kept a paper: None)."""
    s = report.summary
    if filters is None or s.read:
        return None
    if filters.limit == 0:
        return "--limit 0 removed all papers (nothing was read)"
    if not s.filtered:
        return None
    years = " ".join(f"{name} {value}" for name, value in (("--year-from", filters.year_from),
                                                          ("--year-to", filters.year_to)) if value is not None)
    cats = " ".join(f"--category {c}" for c in filters.categories)
    by = [(opts, s.filtered_by[key]) for key, opts in (("category", cats), ("year", years)) if s.filtered_by[key]]
    if len(by) == 1:
        return f"{by[0][0]} removed all {s.filtered} papers"
    return " and ".join(f"{opts} removed {n}" for opts, n in by) + f": no paper left of {s.filtered}"


def _summary_table(report: RunReport, counts: Any | None) -> Table:
    table = Table(title="Build summary", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    s = report.summary
    table.add_row("papers read", str(s.read))
    table.add_row("records skipped", str(s.skipped))
    if s.filtered:
        table.add_row("records filtered out", str(s.filtered))
    table.add_row("files failed", str(len(s.failed_files)))
    if report.unchanged or report.changed or report.removed:
        table.add_row("papers unchanged (not re-extracted)", str(report.unchanged))
        table.add_row("papers changed (re-extracted)", str(report.changed))
        table.add_row("papers removed (gone from input)", str(report.removed))
        if report.kept:
            table.add_row("papers kept (input not read completely)", str(report.kept))
    if report.aliases is not None:
        table.add_row("entities merged across papers", str(report.merged_keys))
        table.add_row("ambiguous spellings kept apart", str(len(report.aliases.ambiguous())))
    if counts is not None:
        for label, n in sorted(counts.nodes.items()):
            table.add_row(terminal(f"nodes :{label}"), str(n))
        for rel, n in sorted(counts.rels.items()):
            table.add_row(terminal(f"edges :{rel}"), str(n))
    return table


# options shared by `kg build` and `kg extract`
InputFormat = Annotated[Optional[str], typer.Option(
    "--input-format", metavar="FORMAT", help="Input format for all files: txt, jsonl, json, csv, tsv, arxiv, openalex "
                                             "(default: by extension and content).")]
#: the old spelling of --input-format, still accepted, not shown (--format is the output format elsewhere)
OldInputFormat = Annotated[Optional[str], typer.Option("--format", "-f", hidden=True)]
#: the old spelling of --out on `kg extract` and `kg export`, still accepted, not shown
OldOutput = Annotated[Optional[Path], typer.Option("--output", hidden=True)]
MinConfidence = Annotated[float, typer.Option(
    "--min-confidence", min=0.0, max=1.0,
    help="Leave out entities whose calibrated confidence is below this (0-1), with the results and relations that need them.")]
Limit = Annotated[Optional[int], typer.Option("--limit", min=0, help="Stop after N papers (stops reading the input).")]
Category = Annotated[Optional[list[str]], typer.Option(
    "--category", help="Keep papers in this category (repeatable): arXiv 'cs.CL', a whole archive 'cs', 'hep-*', "
                       "or an OpenAlex concept/topic name. Needs --input-format arxiv|openalex.")]
YearFrom = Annotated[Optional[int], typer.Option("--year-from", help="Keep papers from this year on (papers without a year are left out).")]
YearTo = Annotated[Optional[int], typer.Option("--year-to", help="Keep papers up to this year.")]
Workers = Annotated[Optional[int], typer.Option(
    "--workers", "-w", min=1, envvar="KG_WORKERS", help=f"Extraction processes (default: all cores; an input of {IN_PROCESS_MAX:,} papers or less runs in this process).")]
EngineName = Annotated[str, typer.Option("--engine", help="local (worker processes here) or dask (a dask.distributed cluster).")]
MaxChars = Annotated[int, typer.Option(
    "--max-chars", min=0, help="Skip and report a paper whose title and abstract are longer than this (0: no cap).")]
PaperTimeout = Annotated[float, typer.Option(
    "--paper-timeout", min=0, help="Skip and report a paper whose extraction takes longer than this many seconds "
                                   "(0: no limit; a worker that does not stop is killed and replaced).")]
Scheduler = Annotated[Optional[str], typer.Option(
    "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --engine dask: a local cluster).")]


class BackendName(str, Enum):
    networkx = "networkx"
    neo4j = "neo4j"


# where the graph lives: a file (networkx) or a Neo4j server; shared by build, query, export, stats
Backend = Annotated[BackendName, typer.Option("--backend", "-b", envvar="KG_BACKEND",
                                              help="networkx (a graph file) or neo4j (a server).")]
Neo4jUri = Annotated[Optional[str], typer.Option(
    "--uri", envvar="NEO4J_URI", help="Neo4j Bolt URI (default: bolt://localhost:7687).", rich_help_panel="Neo4j")]
Neo4jUser = Annotated[Optional[str], typer.Option(
    "--user", envvar="NEO4J_USER", help="Neo4j user (default: neo4j).", rich_help_panel="Neo4j")]
Neo4jPassword = Annotated[Optional[str], typer.Option(
    "--password", help="Neo4j password (default: $NEO4J_PASSWORD; prefer the variable, options show in `ps`).",
    rich_help_panel="Neo4j")]
Neo4jDatabase = Annotated[Optional[str], typer.Option(
    "--database", envvar="NEO4J_DATABASE", help="Neo4j database (default: the server's default).",
    rich_help_panel="Neo4j")]


def _connect_neo4j(uri: str | None, user: str | None, password: str | None, database: str | None):
    """A Neo4j backend, or a one-line error naming the problem and the next step (exit 1)."""
    from kg.backends import BackendError, get_backend

    try:
        return get_backend("neo4j", uri=uri, user=user, password=password, database=database)
    except BackendError as exc:
        raise fail(str(exc), EXIT_FAILED) from None


def _open_store(backend: BackendName, graph: Path, uri: str | None, user: str | None, password: str | None,
                database: str | None):
    """The backend a reading command works on: the saved graph file or the Neo4j database."""
    if backend is BackendName.neo4j:
        return _connect_neo4j(uri, user, password, database)
    return _open_graph(graph)


@app.command()
def build(
    inputs: Annotated[Optional[list[Path]], typer.Argument(help="Paper files (txt, jsonl, json, csv, tsv; .gz ok). "
                                                           "Default: the bundled sample corpus.",
                                                           readable=False)] = None,  # unreadable: reported, others read
    out_path: Annotated[Path, typer.Option("--out", "-o", envvar="KG_GRAPH",
                                           help="Graph file to write (.graphml or .json).")] = DEFAULT_GRAPH,
    fmt: InputFormat = None,
    old_fmt: OldInputFormat = None,
    backend: Backend = BackendName.networkx,
    model: Annotated[Optional[str], typer.Option(help="An installed spaCy model to build on (default: blank English).")] = None,
    append: Annotated[bool, typer.Option(help="Add to an existing graph file instead of starting fresh.")] = False,
    incremental: Annotated[bool, typer.Option(help="Update the graph file from a new snapshot of the same input: "
                                              "only new or changed papers are extracted, papers no longer in "
                                              "the input are removed with the relationships only they supported "
                                              "(only when the whole input was read without a failure).")] = False,
    prune: Annotated[bool, typer.Option(help="With --incremental: remove papers missing from the input even when "
                                        "the input was not read completely.")] = False,
    overrides: Annotated[Optional[Path], typer.Option(help="TOML file forcing or forbidding entity merges "
                                                      "(default: ./kg-overrides.toml when it exists).")] = None,
    min_confidence: MinConfidence = 0.0,
    limit: Limit = None,
    category: Category = None,
    year_from: YearFrom = None,
    year_to: YearTo = None,
    workers: Workers = None,
    engine: EngineName = "local",
    scheduler: Scheduler = None,
    max_chars: MaxChars = MAX_CHARS,
    paper_timeout: PaperTimeout = PAPER_TIMEOUT,
    clear: Annotated[bool, typer.Option("--clear", help="Neo4j: delete everything in the database first "
                                        "(otherwise a load merges into what is there).")] = False,
    uri: Neo4jUri = None,
    user: Neo4jUser = None,
    password: Neo4jPassword = None,
    database: Neo4jDatabase = None,
    batch_papers: Annotated[Optional[int], typer.Option(
        "--batch-papers", min=1, help="Neo4j: papers per write transaction (default 1,024); a smaller batch loses "
                                      "less work when the server goes away mid-load.", rich_help_panel="Neo4j")] = None,
    no_model: NoModel = False,
) -> None:
    """Extract entities from papers and load them into a graph, then print a summary.

    With --backend neo4j the graph goes into a Neo4j database instead of a file: loading is
    idempotent (the same input twice changes nothing) and a second input merges in by key.

    Example: kg build papers.jsonl --year-from 2020 -o graph.graphml
    """
    fmt = old_fmt or fmt
    filters = _filters(limit, category, year_from, year_to)
    paths = _inputs(inputs)  # no input file at all: one line, before anything is touched
    with _status("loading the extraction pipeline"):
        nlp = _load_nlp(model, no_model)  # first: a missing model file fails before anything is touched
    runner = _engine(workers, engine, scheduler, model, max_chars, paper_timeout)
    from kg.backends import BackendError, get_backend
    from kg.extraction_cache import cache_path
    from kg.resolve import DEFAULT_OVERRIDES, Overrides, OverridesError

    if overrides is not None and not overrides.exists():
        raise fail(f"{overrides}: no such overrides file", EXIT_NOT_FOUND)
    override_file = overrides or (DEFAULT_OVERRIDES if DEFAULT_OVERRIDES.exists() else None)
    try:
        rules = Overrides.load(override_file) if override_file else None
    except OverridesError as exc:
        raise fail(str(exc)) from None

    neo4j = backend is BackendName.neo4j
    if prune and not incremental:
        raise fail("--prune is for --incremental")
    if clear and not neo4j:
        raise fail("--clear is for --backend neo4j (a networkx build starts fresh unless --append/--incremental)")
    if batch_papers is not None and not neo4j:
        raise fail("--batch-papers is for --backend neo4j (a networkx graph is saved once, at the end)")
    if neo4j:
        store = _connect_neo4j(uri, user, password, database)
        if batch_papers is not None:
            store.batch_papers = batch_papers
    else:
        try:
            store = get_backend("networkx", path=out_path if (append or incremental) and out_path.exists() else None)
        except BackendError as exc:
            raise fail(str(exc)) from None
    with store if neo4j else nullcontext(store):  # a networkx graph is saved only after a complete build
        if clear:
            try:
                store.clear()
            except BackendError as exc:
                raise fail(str(exc), EXIT_FAILED) from None
        try:
            report = _run_with_progress("building", build_graph, inputs=paths, backend=store, fmt=fmt,
                                        nlp=nlp, overrides=rules, min_confidence=min_confidence,
                                        incremental=incremental, filters=filters, engine=runner, prune=prune,
                                        cache=None if neo4j else cache_path(out_path))
            counts = store.counts()
            if report.summary.read and not neo4j:
                with _status(f"saving {out_path}"):
                    store.save(out_path)
                from kg.commands.index import write_build_index

                with _status(f"writing the query index of {out_path.name}"):
                    write_build_index(store.to_networkx(), out_path)  # the index `kg query` runs on
        except BackendError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
    print_table(out, _summary_table(report, counts))
    out.print(terminal(report.summary), highlight=False)
    if kept := report.kept_message():
        warn(kept)
    if emptied := _filtered_all(report, filters):
        raise fail(f"{emptied}; nothing was written", EXIT_FAILED)
    if not report.summary.read:
        err.print("[bold red]error:[/] no papers could be read; nothing was written")
    elif neo4j:
        out.print(f"graph loaded into Neo4j at [bold]{terminal(store.uri)}[/]"
                  + (f" (database {store.database})" if store.database else ""))
    else:
        out.print(f"graph saved to [bold]{terminal(out_path)}[/]")
    raise typer.Exit(code=report.exit_code)


@app.command("extract")
def extract_cmd(
    inputs: Annotated[Optional[list[Path]], typer.Argument(help="Paper files (default: the bundled sample).",
                                                           readable=False)] = None,
    output: Annotated[Path, typer.Option("--out", "-o", help="Extraction JSONL to write ('-' for stdout).")] = Path("extractions.jsonl"),
    old_output: OldOutput = None,
    fmt: InputFormat = None,
    old_fmt: OldInputFormat = None,
    model: Annotated[Optional[str], typer.Option(help="An installed spaCy model to build on.")] = None,
    min_confidence: MinConfidence = 0.0,
    limit: Limit = None,
    category: Category = None,
    year_from: YearFrom = None,
    year_to: YearTo = None,
    workers: Workers = None,
    engine: EngineName = "local",
    scheduler: Scheduler = None,
    max_chars: MaxChars = MAX_CHARS,
    paper_timeout: PaperTimeout = PAPER_TIMEOUT,
    no_model: NoModel = False,
) -> None:
    """Write one JSON object per paper: entities, roles, mentions and reported results.

    Example: kg extract papers.jsonl -o extractions.jsonl
    """
    output, fmt = old_output or output, old_fmt or fmt
    filters = _filters(limit, category, year_from, year_to)
    paths = _inputs(inputs)  # no input file at all: one line, before anything is touched
    nlp = _load_nlp(model, no_model, lazy=True)
    runner = _engine(workers, engine, scheduler, model, max_chars, paper_timeout)
    if str(output) == "-":
        report = _run_with_progress("extracting", extract_files, inputs=paths, out=sys.stdout, fmt=fmt, nlp=nlp,
                                    min_confidence=min_confidence, filters=filters, engine=runner)
        if emptied := _filtered_all(report, filters):
            raise fail(emptied, EXIT_FAILED)
    else:
        from kg.atomic import AtomicFile

        sink = AtomicFile(output, "w")  # the old file stays until this run has written everything
        try:
            with sink as fh:
                report = _run_with_progress("extracting", extract_files, inputs=paths, out=fh, fmt=fmt,
                                            nlp=nlp, min_confidence=min_confidence, filters=filters, engine=runner)
                emptied = _filtered_all(report, filters)
                if report.exit_code == EXIT_FAILED or emptied:
                    sink.discard()
        except OSError as exc:
            raise fail(f"{output}: cannot write ({exc.strerror or exc})") from None
        if emptied:
            raise fail(f"{emptied}; {output} was left as it was", EXIT_FAILED)
        if report.exit_code == EXIT_FAILED:
            err.print(f"[bold red]error:[/] nothing could be read; {terminal(output)} was left as it was")
        else:
            err.print(f"{report.extracted} extraction(s) written to {terminal(output)}")
    err.print(terminal(report.summary), highlight=False)
    raise typer.Exit(code=report.exit_code)


def _open_graph(graph: Path):
    from kg.backends import GraphFileError
    from kg.backends.networkx_backend import NetworkxBackend

    if not graph.exists():
        raise fail(f"{graph}: no such graph file (run `kg build` first, or pass --graph)", EXIT_NOT_FOUND)
    try:
        with _status(f"loading {graph} ({graph.stat().st_size / 1e6:,.1f} MB)"):
            return NetworkxBackend.load(graph)
    except GraphFileError as exc:
        raise fail(str(exc), EXIT_FAILED) from None


def parse_param(text: str) -> tuple[str, Any]:
    """`name=value`; values that read as JSON numbers/booleans/null/lists are typed, else strings."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise fail(f"--param {text!r}: expected NAME=VALUE")
    try:
        value = json.loads(raw)
        if isinstance(value, dict):
            value = raw
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


@contextmanager
def _query_failures() -> Iterator[None]:
    """A query that could not run as one line: stopped (time or memory), refused by the backend or
    naming something not there (NotFound) exit 1, a query the engine cannot take exit 2."""
    from kg.backends.base import BackendError, NotFound, QueryError, QueryStopped

    try:
        yield
    except QueryStopped as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    except NotFound as exc:
        raise fail(str(exc), EXIT_NOT_FOUND) from None
    except QueryError as exc:
        raise fail(str(exc)) from None
    except BackendError as exc:
        raise fail(str(exc), EXIT_FAILED) from None


def _print_result(result: Any, fmt: QueryFormat) -> None:
    """A table for people, or its records as JSON or CSV; `fmt` is any str enum of those names
    (every command with a table and --format writes its data here)."""
    if fmt == "json":
        _write_json(result.records())
    elif fmt == "csv":
        _write_csv(result.columns, [["" if v is None else (json.dumps(v) if isinstance(v, (list, dict)) else v)
                                     for v in row] for row in result.rows])
    else:
        table = Table(*map(terminal, result.columns))
        for row in result.rows:
            table.add_row(*map(terminal, row))
        print_table(out, table)
        out.print(f"{len(result.rows)} row(s)")


def _list_named() -> None:
    from kg.named_queries import NAMED_QUERIES

    table = Table("name", "parameters", "what it answers", title="named queries (kg query --named NAME)")
    for q in NAMED_QUERIES.values():
        params = ", ".join(p.name if p.default is None else f"{p.name}={p.default}" for p in q.params)
        table.add_row(q.name, params, q.description)
    print_table(out, table)


def _query_text(cypher: str | None, file: Path | None) -> str:
    """The query from the argument, a file (-f FILE) or stdin ('-'), without a trailing ';'."""
    from kg.backends import QueryError
    from kg.query_text import split_statement, tokens

    if cypher is not None and file is not None:
        raise fail("give the query once: as CYPHER, or with -f FILE (or '-' for stdin)")
    source = "the query"
    if cypher == "-" or (file is not None and str(file) == "-"):
        source, text = "stdin", sys.stdin.read()
    elif file is not None:
        source = str(file)
        if not file.is_file():
            if str(file) in QueryFormat.__members__:  # `-f csv`: -f used to be --format
                raise fail(f"{file}: no such query file; -f reads the query from a file, the output format is "
                           f"--format {file}")
            raise fail(f"{file}: no such query file", EXIT_NOT_FOUND)
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise fail(f"{file}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise fail(f"{file}: cannot read ({exc.strerror or exc})") from None
    else:
        text = cypher or ""
    try:
        text = split_statement(text)
        empty = not tokens(text)
    except QueryError as exc:
        raise fail(f"{source}: {exc}") from None
    if empty:
        raise fail(f"{source}: the query is empty")
    return text


def _check_query_text(text: str, params: dict[str, Any], write: bool) -> None:
    """Refusals that need no graph: a write without --write, a $parameter without a value."""
    from kg.backends import QueryError
    from kg.cypher_params import check_read_only
    from kg.query_text import names_used

    try:
        if not write:
            check_read_only(text)
        missing = [name for name, _ in names_used(text).params if name not in params]
    except QueryError as exc:
        raise fail(str(exc)) from None
    if missing:
        raise fail(f"missing parameter ${missing[0]} (pass --param {missing[0]}=VALUE)")


def _warn_about_names(store: Any, text: str, params: dict[str, Any]) -> None:
    """Warnings, not errors: labels, types and property keys the graph lacks; unused --param names."""
    from kg.query_text import query_warnings

    vocabulary = store.vocabulary() if hasattr(store, "vocabulary") else None
    for line in query_warnings(text, vocabulary, params):
        warn(line)


@app.command()
def query(
    cypher: Annotated[Optional[str], typer.Argument(help="A Cypher query; use $name for parameters "
                                                    "('-' reads it from stdin).")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Read the query from this file "
                                                 "('-': stdin).", readable=False)] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", help="NAME=VALUE (repeatable).")] = None,
    named: Annotated[Optional[str], typer.Option("--named", "-n", help="Run a canned research query by name "
                                                 "(see --list) instead of CYPHER.")] = None,
    list_named: Annotated[bool, typer.Option("--list", help="List the canned queries and their parameters.")] = False,
    write: Annotated[bool, typer.Option("--write", help="Neo4j: allow a query that changes the graph "
                                        "(queries run read-only otherwise).")] = False,
    fmt: OutputFormat = QueryFormat.table,
    timeout: Annotated[float, typer.Option("--timeout", min=0, help="Stop the query after this many seconds "
                                           "(0: no limit).")] = DEFAULT_TIMEOUT,
    memory_limit: Annotated[Optional[int], typer.Option("--memory-limit", min=1, metavar="MB", help="networkx: stop "
                            "a query that needs more memory than this (default: 80% of the memory available).")] = None,
    graph: GraphFile = DEFAULT_GRAPH,
    backend: Backend = BackendName.networkx,
    uri: Neo4jUri = None,
    user: Neo4jUser = None,
    password: Neo4jPassword = None,
    database: Neo4jDatabase = None,
) -> None:
    """Run a Cypher query (read-only) or a canned one (--named) against the graph file or Neo4j.

    Example: kg query 'MATCH (m:Method) RETURN m.name LIMIT 5' --format csv
    """
    from kg.query_text import with_columns_as_written

    if list_named:
        _list_named()
        return
    if (cypher is None and file is None) == (named is None):
        raise fail("give either a CYPHER query (or -f FILE) or --named NAME (kg query --list shows the names)")
    if write and backend is not BackendName.neo4j:
        raise fail("--write needs --backend neo4j: a query never changes the embedded graph file "
                   "(rebuild it with `kg build`)")
    params = dict(parse_param(p) for p in param or [])
    if named is None:
        cypher = _query_text(cypher, file)
        _check_query_text(cypher, params, write)
    if backend is BackendName.networkx:  # LadybugDB index beside the graph file
        from kg.commands.index import query_embedded

        with _query_failures():
            result = query_embedded(graph, cypher, params, timeout, memory_limit, named)
        if result is not None:
            _print_result(result if named is not None else with_columns_as_written(result, cypher), fmt)
            return
    from kg.named_queries import run_named

    store = _open_store(backend, graph, uri, user, password, database)
    try:
        with _query_failures():
            if named is None:
                _warn_about_names(store, cypher, params)
            if backend is BackendName.neo4j:  # the server stops it (transaction timeout)
                result = (run_named(store, named, params, timeout=timeout) if named is not None
                          else store.query(cypher, params, write=write, timeout=timeout))
            else:  # in a child process that can be stopped (kg.bounded)
                memory = memory_limit * 2**20 if memory_limit else None
                result = (run_bounded(run_named, store, named, params, timeout=timeout, memory=memory)
                          if named is not None else run_bounded(store.query, cypher, params, timeout=timeout, memory=memory))
    finally:
        store.close()
    _print_result(result if named is not None else with_columns_as_written(result, cypher), fmt)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="graphml, gexf, json or neo4j-csv (a folder for neo4j-admin import).")] = ExportFormat.graphml,
    output: Annotated[Optional[Path], typer.Option("--out", "-o", help="File to write (default: graph.FORMAT).")] = None,
    old_output: OldOutput = None,
    graph: GraphFile = DEFAULT_GRAPH,
    backend: Backend = BackendName.networkx,
    uri: Neo4jUri = None,
    user: Neo4jUser = None,
    password: Neo4jPassword = None,
    database: Neo4jDatabase = None,
) -> None:
    """Export the graph (the saved file, or the Neo4j database) for Gephi, Cytoscape or other tools.

    Example: kg export --format gexf -o graph.gexf
    """
    output = old_output or output
    from kg.backends import BackendError
    from kg.export import write_graph

    store = _open_store(backend, graph, uri, user, password, database)
    if backend is BackendName.neo4j:
        try:
            from kg.backends.networkx_backend import NetworkxBackend

            with store:
                store = NetworkxBackend(graph=store.to_networkx())
        except BackendError as exc:
            raise fail(str(exc), EXIT_FAILED) from None
    if fmt is ExportFormat.neo4j_csv:
        _export_neo4j_csv(store, output or Path("neo4j-import"))
        return
    target = output or Path(f"graph.{fmt.value}")
    if backend is BackendName.networkx and target.resolve() == graph.resolve():
        raise fail(f"{target}: refusing to overwrite the input graph; choose another --out")
    try:
        with _status(f"writing {target}"):
            write_graph(store.to_networkx(), target, fmt.value)
    except OSError as exc:
        raise fail(f"{target}: cannot write ({exc.strerror or exc})", EXIT_FAILED) from None
    out.print(f"wrote {terminal(target)}")


def _export_neo4j_csv(store, target: Path) -> None:
    """neo4j-admin import files: a folder of node/relationship CSVs plus import.sh."""
    from kg.neo4j_csv import IMPORT_SCRIPT, write_neo4j_csv

    if target.exists() and not target.is_dir():
        raise fail(f"{target}: not a directory (neo4j-csv writes a folder of CSV files)")
    try:
        with _status(f"writing {target}/"):
            files = write_neo4j_csv(store.to_networkx(), target)
    except ValueError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    except OSError as exc:
        raise fail(f"{target}: cannot write ({exc.strerror or exc})", EXIT_FAILED) from None
    out.print(f"wrote {len(files)} files to {terminal(target)}/; load them into Neo4j with: "
              f"sh {terminal(target / IMPORT_SCRIPT)}")


@app.command()
def stats(
    graph: GraphFile = DEFAULT_GRAPH,
    top: Annotated[int, typer.Option(help="How many top methods/datasets to list.")] = 10,
    fmt: OutputFormat = QueryFormat.table,
    backend: Backend = BackendName.networkx,
    uri: Neo4jUri = None,
    user: Neo4jUser = None,
    password: Neo4jPassword = None,
    database: Neo4jDatabase = None,
) -> None:
    """Node and edge counts, and the most used methods and datasets.

    Example: kg stats --top 5 --format json
    """
    from kg.analysis import top_entities
    from kg.backends import BackendError

    store = _open_store(backend, graph, uri, user, password, database)
    try:
        with store if backend is BackendName.neo4j else nullcontext(store), _status("counting nodes and relationships"):
            counts = store.counts()
            G = store.to_networkx()
    except BackendError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    title = f"Neo4j {store.uri}" if backend is BackendName.neo4j else str(graph)
    tops = {label: top_entities(G, label=label, n=top) for label in ("Method", "Dataset", "Metric", "Task")}
    if fmt is QueryFormat.json:
        _write_json({"graph": title, "nodes": {str(k): v for k, v in counts.nodes.items()},
                     "relationships": {str(k): v for k, v in counts.rels.items()},
                     "top": {label: [{"name": name, "papers": n} for name, n in rows] for label, rows in tops.items()}})
        return
    if fmt is QueryFormat.csv:
        _write_csv(["section", "name", "count"],
                   [["nodes", str(k), v] for k, v in sorted(counts.nodes.items(), key=lambda i: str(i[0]))]
                   + [["relationships", str(k), v] for k, v in sorted(counts.rels.items(), key=lambda i: str(i[0]))]
                   + [[f"top {label}", name, n] for label, rows in tops.items() for name, n in rows])
        return
    table = Table("label / type", "count", title=terminal(title))
    for label, n in sorted(counts.nodes.items(), key=lambda item: str(item[0])):
        table.add_row(terminal(f"(:{label})"), str(n))
    for rel, n in sorted(counts.rels.items(), key=lambda item: str(item[0])):
        table.add_row(terminal(f"[:{rel}]"), str(n))
    print_table(out, table)
    for label, rows in tops.items():
        if rows:
            t = Table("name", "papers", title=f"top {label.lower()}s")
            for name, n in rows:
                t.add_row(terminal(name), str(n))
            print_table(out, t)


class DevSet(str, Enum):
    seed = "seed"
    arxiv = "arxiv"
    both = "both"


@app.command("eval")
def eval_cmd(
    gold: Annotated[Optional[Path], typer.Option(help="Your own gold JSONL (GUIDELINE format); default: the bundled "
                                                 "dev sets, cross-validated.")] = None,
    pred: Annotated[Optional[Path], typer.Option(help="Extraction JSONL to score against --gold (default: extract --input now).")] = None,
    inputs: Annotated[Optional[list[Path]], typer.Option("--input", "-i", help="Papers to extract for --gold when --pred "
                                                        "is not given (default: the bundled sample).")] = None,
    dev_set: Annotated[DevSet, typer.Option("--set", help="Bundled dev set(s) to score: seed (108 papers), arxiv "
                                            "(160 arXiv cs papers, Dec 2025) or both.")] = DevSet.both,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds (by paper) on the bundled dev sets.")] = 5,
    shipped: Annotated[bool, typer.Option("--shipped", help="Score the bundled dev sets with the shipped model instead "
                                          "of cross-validating (optimistic: it was trained on them).")] = False,
    no_model: NoModel = False,
    errors: Annotated[bool, typer.Option("--errors", help="List the most frequent missed and spurious entities per type, "
                                                          "and the missed and spurious PROPOSES names.")] = False,
    label: Annotated[Optional[str], typer.Option(help="With --errors: only this type (METHOD, DATASET, METRIC, TASK, RESULT, "
                                                      "PROPOSES).")] = None,
    per_paper: Annotated[bool, typer.Option("--per-paper", help="With --errors: list them paper by paper instead.")] = False,
    fmt: OutputFormat = QueryFormat.table,
    as_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,  # the old spelling of --format json
) -> None:
    """Precision/recall/F1 per entity type against gold (document level).

    By default both bundled dev sets are scored by k-fold cross-validation by paper: the span
    classifier is retrained for each fold without the held-out papers, so no paper is scored by a
    model that saw it. --gold scores your own annotated papers with the shipped model.

    Example: kg eval --set seed --errors --label DATASET
    """
    if as_json:
        fmt = QueryFormat.json
    from kg import evaluate as ev

    reports: list[tuple[str, ev.EvalReport]] = []
    try:
        if gold is not None or pred is not None or inputs:
            gold_rows = ev.load_gold(gold or DEV_GOLD)
            if pred is not None:
                predictions = ev.load_predictions(pred)
            else:
                buf = io.StringIO()
                _run_with_progress("extracting", extract_files, inputs=_inputs(inputs), out=buf,
                                   nlp=_load_nlp(None, no_model))
                predictions = [json.loads(line) for line in buf.getvalue().splitlines()]
            reports.append((f"{gold or DEV_GOLD}", ev.score(gold_rows, predictions)))
        else:
            reports = _eval_dev_sets(dev_set, folds, shipped, no_model)
    except ev.EvalInputError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    if fmt is QueryFormat.json:
        data = {name: r.to_dict() for name, r in reports}
        sys.stdout.write(json.dumps(data if len(reports) > 1 else reports[0][1].to_dict(), indent=1) + "\n")
        return
    if fmt is QueryFormat.csv:  # one row per scored set and type
        keys = ["precision", "recall", "f1", "tp", "fp", "fn"]
        rows = []
        for name, report in reports:
            d = report.to_dict()
            scored = [*d["by_type"].items(), ("overall", d["overall"]), ("RESULT", d["results"]),
                      ("PROPOSES", d["proposes"])]
            rows += [[name, label, *(counts[k] for k in keys)] for label, counts in scored]
        _write_csv(["set", "type", *keys], rows)
        return
    for name, report in reports:
        out.print(f"[bold]{terminal(name)}[/]", highlight=False)
        print_table(out, ev.format_report(report))
        if errors and per_paper:
            for e in report.to_dict()["errors"]:
                if (e["missed"] or e["spurious"]) and (label is None or e["label"] == label.upper()):
                    out.print(terminal(f"{e['paper_id']} {e['label']}: missed {e['missed']} spurious {e['spurious']}"),
                              highlight=False, soft_wrap=True)
        elif errors:
            try:
                print_table(out, ev.format_errors(report, label=label))
            except ValueError as exc:
                raise fail(str(exc)) from None
            if label is None:  # the entity types by default, then what was wrongly (not) proposed
                print_table(out, ev.format_errors(report, label=ev.PROPOSES_ROW))


def _eval_dev_sets(dev_set: DevSet, folds: int, shipped: bool, no_model: bool) -> list[tuple[str, Any]]:
    """(title, report) per bundled dev set: cross-validated, or with the shipped model or rules alone."""
    from extractors.components.classifier import ModelError
    from extractors.spanmodel import model_enabled
    from kg.crossval import DEV_SETS, SET_TITLES, cross_validate

    no_model = no_model or not model_enabled()  # KG_NO_MODEL=1 as --no-model
    sets = DEV_SETS if dev_set is DevSet.both else (dev_set.value,)
    if no_model:
        how = "rules only (--no-model)"
    elif shipped:
        how = "shipped model (trained on these papers: optimistic)"
    else:
        how = f"{folds}-fold cross-validated by paper"
    run = functools.partial(cross_validate, k=folds, sets=sets, use_model=not no_model, shipped=shipped)
    try:
        if no_model or shipped:  # one pass over the papers, no folds to count
            with _status(f"evaluating, {how}"):
                reports = run()
        else:  # a bar over the folds (all done at once when the held-out predictions are cached)
            with _vanish_on_error(_progress()) as progress:
                task = progress.add_task("evaluating", total=folds * len(sets), rate="")
                done = itertools.count()
                reports = run(progress=lambda msg: progress.update(task, description=msg, completed=next(done)))
                progress.update(task, description="evaluating", completed=folds * len(sets))
    except ModelError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    return [(f"{SET_TITLES[name]}, {how}", reports[name]) for name in sets]


def _register_commands() -> None:
    """Commands that live in their own modules (kg/commands/*.py) add themselves here."""
    from importlib import import_module

    for name in COMMAND_MODULES:
        import_module(f"kg.commands.{name}").register(app)
    for info in app.registered_commands:
        if info.cls in (None, typer.core.TyperCommand):
            info.cls = _Command


#: modules under kg/commands/ that each register one or more commands
COMMAND_MODULES: tuple[str, ...] = ("aliases", "eval_spans", "calibration", "index", "leaderboard", "report", "train",
                                     "viz")
_register_commands()


if __name__ == "__main__":  # pragma: no cover
    app()
