"""Every code block in README.md runs, against the bundled sample and the files in examples/.

Each block is one test, in a fresh copy of a folder holding `examples/` and the graph the quick
start's `kg build` wrote there (built once per session). bash blocks run command by command
(each must exit 0; a plain `kg ...` command runs in this process through Typer's CliRunner, which
saves starting Python and spaCy some fifty times; anything else, and `--engine dask`, through
bash); python blocks run as a script; json and toml blocks are parsed and checked
against the code that reads them. A command that cannot run on a CI machine (Docker, a Neo4j
distribution's own tools) is listed in NOT_HERE with the reason, and the Neo4j and Dask blocks
run against a real server and a real local cluster: so a README line that stops working, or a new
one that cannot run, fails here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
TIMEOUT = 600

#: commands the README shows that a CI machine cannot run, with the reason
NOT_HERE = {
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest":
        "this is the test run itself (.ci/run)",
    ".venv/bin/python -m pytest -m neo4j": "a part of this test run",
    "source .venv/bin/activate": "the tests run with the environment's `kg` on PATH",
    "docker compose up -d": "Docker cannot run in CI; tests/test_compose.py checks docker-compose.yml",
    "cp .env.example .env": "belongs to the Docker setup (tests/test_compose.py checks .env.example)",
    "export NEO4J_URI=bolt://localhost:7687 NEO4J_USER=neo4j NEO4J_PASSWORD='the password from .env'":
        "the test sets these for its own Neo4j server",
    "python tests/neo4j/launcher.py --port 7687 --data /tmp/kg-neo4j --password devpassword":
        "the test session's Neo4j server is started by this launcher (tests/conftest.py)",
    "NEO4J_ADMIN=/path/to/neo4j/bin/neo4j-admin sh neo4j-import/import.sh":
        "needs a Neo4j distribution's neo4j-admin; tests/kg/test_neo4j_csv.py checks the files",
    "cypher-shell -f neo4j-import/constraints.cypher": "needs a Neo4j distribution's cypher-shell",
    "kg train": "tests/kg/test_train.py runs it (into a temporary file: other tests read the shipped model "
                "meanwhile) and checks it rebuilds the shipped model byte for byte",
}
#: commands run in another form here, with the reason
#: the quick start's command: its `kg build` is what `readme_home` runs (the environment is the one
#: the tests run in), so that block checks what that build wrote
QUICK_START = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/kg build"
INSTEAD = {
    QUICK_START: "kg build",
}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    lang: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.lang}@{self.line}"


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if fence:
            start = i
            i += 1
            body = []
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append(Block(start + 1, fence.group(1), "\n".join(body)))
        i += 1
    return blocks


def shell_commands(block: Block) -> list[tuple[int, str]]:
    """(README line, command) for each command of a bash block: continuation lines and quoted
    newlines joined, comments and blank lines left out."""
    commands: list[tuple[int, str]] = []
    pending: list[str] = []
    first = 0
    for n, line in enumerate(block.text.splitlines(), block.line + 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            first = n
        pending.append(line)
        text = "\n".join(pending)
        if text.endswith("\\"):
            continue
        try:
            shlex.split(text, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        commands.append((first, _strip_comment(text)))
        pending = []
    assert not pending, f"README.md:{first}: unfinished command"
    return commands


def _quoted(command: str) -> Iterator[tuple[int, str, str | None]]:
    """Each character of a command with the quote it stands in ("'", '"', or None outside quotes;
    the quote marks themselves count as inside)."""
    quote = None
    for i, ch in enumerate(command):
        opening = quote is None and ch in "'\""
        if opening:
            quote = ch
        yield i, ch, quote
        if ch == quote and not opening:
            quote = None


def _strip_comment(command: str) -> str:
    """The command without its trailing `# comment` (one outside quotes, after whitespace)."""
    for i, ch, quote in _quoted(command):
        if quote is None and ch == "#" and i and command[i - 1] in " \t":
            return command[:i].rstrip()
    return command.rstrip()


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def _needs_neo4j(block: Block) -> bool:
    return "--backend neo4j" in block.text


def _params(neo4j: bool) -> list:
    """The blocks, the ones on the Neo4j server apart; the ones running `kg eval` in one xdist
    group, so the second finds the first's cross-validation in the cache instead of redoing it."""
    return [pytest.param(block, id=block.id,
                         marks=[pytest.mark.xdist_group("kg-eval")] if "kg eval" in block.text else [])
            for block in BLOCKS if _needs_neo4j(block) == neo4j]


# -- the folder every block starts from ---------------------------------------------------------

@pytest.fixture(scope="session")
def readme_home(built_once) -> Path:
    """examples/ plus the quick start's graph (`kg build` on the bundled sample), once per run."""
    def make(home: Path) -> None:
        shutil.copytree(ROOT / "examples", home / "examples")
        line = next((n for b in BLOCKS if b.lang == "bash" for n, c in shell_commands(b) if c == QUICK_START), 0)
        _check(_run(INSTEAD[QUICK_START], home, _env()), line, QUICK_START)

    return built_once("readme-home", make)


@pytest.fixture
def workdir(readme_home: Path, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(readme_home, work, symlinks=True)
    return work


def _env(**extra: str) -> dict[str, str]:
    # KG_CACHE_DIR: the run's cross-validation cache (tests/conftest.py), shared by the blocks
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KG_")) or k == "KG_CACHE_DIR"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    env.update(extra)
    return env


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    words = _plain_kg_command(command)
    if words is not None:
        return _run_in_process(words, cwd, env)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


def _plain_kg_command(command: str) -> tuple[dict[str, str], list[str]] | None:
    """(VAR=value assignments, arguments) of a plain `[VAR=value ...] kg ARGS` command: no shell
    operators, no expansion outside single quotes; None for anything bash must run."""
    for _, ch, quote in _quoted(command):
        if (quote != "'" and ch in "$`") or (quote is None and ch in "|&;<>()*?~\\"):
            return None
    words = shlex.split(command)
    assigns = {}
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        name, _, value = words.pop(0).partition("=")
        assigns[name] = value
    if not words or words[0] != "kg" or "dask" in words:
        return None
    return assigns, words[1:]


def _run_in_process(words: tuple[dict[str, str], list[str]], cwd: Path, env: dict[str, str]):
    from contextlib import chdir

    from typer.testing import CliRunner

    from kg.cli import app

    assigns, args = words
    # the command's environment: the run's, minus what _env leaves out, plus the command's own
    changes: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    changes.update({k: v for k, v in env.items() if os.environ.get(k) != v})
    changes.update(assigns)
    with chdir(cwd):
        result = CliRunner().invoke(app, args, env=changes)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["kg", *args], result.exit_code, result.stdout, result.stderr)


def _check(done: subprocess.CompletedProcess, line: int, command: str) -> None:
    assert done.returncode == 0, (f"README.md:{line}: `{command}` exited {done.returncode}\n"
                                  f"stdout: {done.stdout[-1500:]}\nstderr: {done.stderr[-2500:]}")


# -- the blocks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("block", _params(neo4j=False))
def test_readme_block(block: Block, workdir: Path) -> None:
    if block.lang == "bash":
        _run_bash(block, workdir, _env())
    elif block.lang == "python":
        done = subprocess.run([sys.executable, "-c", block.text], cwd=workdir, env=_env(), capture_output=True,
                              text=True, timeout=TIMEOUT)
        _check(done, block.line, "python block")
    elif block.lang == "json":
        _check_json(block, workdir)
    elif block.lang == "toml":
        _check_toml(block, workdir)
    else:
        pytest.fail(f"README.md:{block.line}: a ```{block.lang} block: teach tests/test_readme.py to run it")


@pytest.mark.neo4j
@pytest.mark.parametrize("block", _params(neo4j=True))
def test_readme_neo4j_block(block: Block, workdir: Path, neo4j_settings: dict[str, str]) -> None:
    """The Neo4j blocks, on the test session's server (emptied before and after)."""
    env = _env(NEO4J_URI=neo4j_settings["uri"], NEO4J_USER=neo4j_settings["user"],
               NEO4J_PASSWORD=neo4j_settings["password"])
    _clear_neo4j(neo4j_settings)
    try:
        _run_bash(block, workdir, env)
    finally:
        _clear_neo4j(neo4j_settings)


def _run_bash(block: Block, workdir: Path, env: dict[str, str]) -> None:
    cluster: list[subprocess.Popen] = []
    try:
        for line, command in shell_commands(block):
            if command in NOT_HERE:
                continue
            if command == QUICK_START:  # built by readme_home: check what it wrote
                assert {"graph.graphml", "graph.lbdb", "graph.graphml.extractions.jsonl"} <= {
                    p.name for p in workdir.iterdir()}, f"README.md:{line}: the quick start wrote no graph"
                continue
            command = INSTEAD.get(command, command)
            if command.startswith("dask "):
                cluster.append(_start_dask(command, cluster, env))
                continue
            if cluster:
                command = command.replace("tcp://SCHEDULER:8786", cluster[0].address)  # type: ignore[attr-defined]
            if "NEO4J_URI" in env:
                command = (command.replace("bolt://127.0.0.1:7687", env["NEO4J_URI"])
                           .replace("devpassword", env["NEO4J_PASSWORD"]))
            _check(_run(command, workdir, env), line, command)
    finally:
        for proc in reversed(cluster):
            proc.terminate()
            proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_dask(command: str, cluster: list[subprocess.Popen], env: dict[str, str]) -> subprocess.Popen:
    """The README's `dask scheduler` / `dask worker` as background processes on this machine."""
    if command.startswith("dask scheduler"):
        port = _free_port()
        proc = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc.address = f"tcp://127.0.0.1:{port}"  # type: ignore[attr-defined]
        return proc
    assert command.startswith("dask worker tcp://SCHEDULER:8786"), command
    args = shlex.split(command.replace("tcp://SCHEDULER:8786", cluster[0].address))  # type: ignore[attr-defined]
    return subprocess.Popen([str(BIN / "dask"), *args[1:], "--no-dashboard"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _clear_neo4j(settings: dict[str, str]) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(settings["uri"], auth=(settings["user"], settings["password"])) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")


def _check_json(block: Block, workdir: Path) -> None:
    """A gold record loads with `kg eval`'s gold reader; an extraction record uses only the schema's
    field names (it abbreviates lists with "...")."""
    from schema import Entity, Extraction, Mention, Relation, ResultRecord

    record = json.loads(block.text)
    if "methods" in record:
        from kg.evaluate import load_gold

        path = workdir / "block.jsonl"
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        assert load_gold(path)[0]["id"] == record["id"]
        return

    def keys_of(obj: dict, model) -> None:
        unknown = set(obj) - set(model.model_fields) - {"..."}
        assert not unknown, f"README.md:{block.line}: {model.__name__} has no field(s) {sorted(unknown)}"

    keys_of(record, Extraction)
    for entity in record["entities"]:
        keys_of(entity, Entity)
        for mention in entity.get("mentions", []):
            if isinstance(mention, dict):
                keys_of(mention, Mention)
    for result in record["results"]:
        keys_of(result, ResultRecord)
    for relation in record["relations"]:
        keys_of(relation, Relation)


def _check_toml(block: Block, workdir: Path) -> None:
    """A toml block is an overrides file or a config file: the code that reads it accepts it."""
    data = tomllib.loads(block.text)
    path = workdir / "block.toml"
    path.write_text(block.text, encoding="utf-8")
    if "merge" in data or "split" in data:
        from kg.resolve import Overrides

        overrides = Overrides.load(path)
        assert overrides.merges or overrides.splits
    elif block.text.startswith("# kg.toml"):
        from kg.config import load_config

        path.rename(workdir / "kg.toml")
        assert load_config(workdir).values == data
    else:
        pytest.fail(f"README.md:{block.line}: a toml block of unknown kind: teach tests/test_readme.py to check it")


def test_not_here_entries_are_still_in_the_readme() -> None:
    """No stale excuse: every command listed as not runnable here is one the README shows."""
    shown = {command for block in BLOCKS if block.lang == "bash" for _, command in shell_commands(block)}
    assert set(NOT_HERE) | set(INSTEAD) <= shown, sorted((set(NOT_HERE) | set(INSTEAD)) - shown)


def test_commands_are_split_as_bash_would() -> None:
    block = Block(1, "bash", "kg query 'MATCH (n)\n  RETURN n' --param a=1   # two lines\n\n# note\n"
                             "kg stats \\\n  --top 3\nkg eval --gold x.jsonl  # a # in a comment")
    assert shell_commands(block) == [(2, "kg query 'MATCH (n)\n  RETURN n' --param a=1"),
                                     (6, "kg stats \\\n  --top 3"), (8, "kg eval --gold x.jsonl")]
