"""`kg aliases`: see what was merged into each entity, and how to undo it."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from kg.commands.options import GraphFile


def register(app: typer.Typer) -> None:
    from kg.build import DEFAULT_GRAPH

    @app.command("aliases")
    def aliases_cmd(
        name: Annotated[Optional[str], typer.Argument(help="Show only this entity (any of its spellings).")] = None,
        label: Annotated[Optional[str], typer.Option(help="Method, Dataset, Metric or Task.")] = None,
        merged_only: Annotated[bool, typer.Option("--merged-only", help="Only entities with several forms or merged keys.")] = False,
        top: Annotated[int, typer.Option(help="At most this many entities.")] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        graph: GraphFile = DEFAULT_GRAPH,
    ) -> None:
        """Surface forms of each entity with the papers they came from, and merged keys.

        Example: kg aliases BERT
        """
        from rich.table import Table

        from kg.aliases import ENTITY_LABELS, alias_entries
        from kg.cli import EXIT_NOT_FOUND, _open_graph, fail, out
        from kg.textsafe import terminal, utf8_text

        if label and label.capitalize() not in ENTITY_LABELS:
            raise fail(f"--label {label!r}: expected one of {', '.join(ENTITY_LABELS)}")
        entries = alias_entries(_open_graph(graph).to_networkx(), name, label, merged_only)[:top]
        if name and not entries:
            raise fail(f"no entity named {name!r} in {graph}", EXIT_NOT_FOUND)
        if as_json:
            sys.stdout.write(utf8_text(json.dumps([e.to_dict() for e in entries], indent=1, ensure_ascii=False)) + "\n")
            return
        table = Table("label", "name", "key", "papers", "forms: example papers (--json for all)", "merged keys / why not merged",
                      show_lines=True)
        for e in entries:
            forms = "\n".join(terminal(f"{form!r}: {', '.join(papers[:2])}{' ...' if len(papers) > 2 else ''}")
                              for form, papers in sorted(e.forms.items()))
            merged = ", ".join(e.merged_keys) + (f"\n{e.unresolved}" if e.unresolved else "")
            table.add_row(terminal(e.label), terminal(e.name), terminal(e.key), str(e.papers), forms,
                          terminal(merged.strip()))
        out.print(table)
        out.print("A wrong merge? Add to kg-overrides.toml and rebuild:\n"
                  '  [[split]]\n  label = "METHOD"\n  names = ["SSM", "state space model"]\n'
                  "A missed one: the same with [[merge]] (the first name is kept).", highlight=False, markup=False)
