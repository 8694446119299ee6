"""Checks on docker-compose.yml (Docker itself is not available where the tests run)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture
def neo4j_service() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert "neo4j-data" in data["volumes"], "named volume must be declared at top level"
    return data["services"]["neo4j"]


def test_compose_neo4j_image_ports_volume(neo4j_service: dict[str, Any]) -> None:
    assert neo4j_service["image"] == "neo4j:5.26-community"
    assert sorted(neo4j_service["ports"]) == ["127.0.0.1:7474:7474", "127.0.0.1:7687:7687"]
    assert neo4j_service["volumes"] == ["neo4j-data:/data"]
    assert neo4j_service["env_file"] == ".env"
    assert neo4j_service["restart"] == "unless-stopped"


def test_compose_confines_file_imports(neo4j_service: dict[str, Any]) -> None:
    """LOAD CSV reads only under the import folder, and file:/// URLs are off unless .env turns them on."""
    env = neo4j_service["environment"]
    assert env["NEO4J_server_directories_import"] == "/var/lib/neo4j/import"
    assert env["NEO4J_dbms_security_allow__csv__import__from__file__urls"] == "${NEO4J_ALLOW_FILE_URLS:-false}"
    if shutil.which("sh") is None:
        pytest.skip("needs a POSIX sh")
    value = env["NEO4J_dbms_security_allow__csv__import__from__file__urls"]
    # compose interpolates ${VAR:-default} as sh does: off by default, on only when configured
    unset = subprocess.run(["sh", "-c", f'printf %s "{value}"'], env={}, capture_output=True, text=True, check=True)
    assert unset.stdout == "false"
    allowed = subprocess.run(["sh", "-c", f'printf %s "{value}"'], env={"NEO4J_ALLOW_FILE_URLS": "true"},
                             capture_output=True, text=True, check=True)
    assert allowed.stdout == "true"


def test_compose_healthcheck_runs_cypher_shell_with_env_credentials(
    neo4j_service: dict[str, Any], tmp_path: Path
) -> None:
    """Run the healthcheck command as the container would, with a stand-in cypher-shell."""
    if shutil.which("sh") is None:
        pytest.skip("needs a POSIX sh")
    kind, command = neo4j_service["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    command = command.replace("$$", "$")  # what compose's interpolation hands the container
    log = tmp_path / "args.txt"
    fake = tmp_path / "cypher-shell"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{log}"\nexit "${{FAKE_EXIT:-0}}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}",
           "NEO4J_AUTH": "neo4j/s3cret pass/with slash"}

    ok = subprocess.run(["sh", "-c", command], env=env, check=False)
    assert ok.returncode == 0
    assert log.read_text().splitlines() == ["-u", "neo4j", "-p", "s3cret pass/with slash", "RETURN 1"]

    down = subprocess.run(["sh", "-c", command], env={**env, "FAKE_EXIT": "1"}, check=False)
    assert down.returncode == 1


def test_compose_env_example_sets_neo4j_auth() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    auth = [line.split("=", 1)[1] for line in lines if line.startswith("NEO4J_AUTH=")]
    assert len(auth) == 1
    user, password = auth[0].split("/", 1)
    assert user == "neo4j" and len(password) >= 8  # Neo4j 5 rejects shorter passwords


def test_readme_using_neo4j_matches_the_compose_file(neo4j_service: dict[str, Any]) -> None:
    """What the README's "Using Neo4j" section tells users to run and open is what the file provides."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using Neo4j", 1)[1].split("\n## ", 1)[0]
    assert "docker compose up -d" in section and "cp .env.example .env" in section
    assert "kg build --backend neo4j" in section
    ports = {p.rsplit(":", 1)[1] for p in neo4j_service["ports"]}
    assert "bolt://localhost:7687" in section and "7687" in ports
    assert "http://localhost:7474" in section and "7474" in ports
    assert "NEO4J_AUTH=neo4j/" in section
    assert neo4j_service["image"].split(":")[1].startswith("5.26") and "Neo4j 5.26 Community" in section
