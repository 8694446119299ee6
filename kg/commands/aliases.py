"""`kg aliases`: see what was merged into each entity, and how to undo it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from kg.commands.options import GraphFile, OutputFormat, QueryFormat
from kg.textsafe import terminal

if TYPE_CHECKING:
    from kg.aliases import AliasEntry
    from kg.tables import Layout

#: example papers shown per surface form in the wide layouts (--format json lists them all)
EXAMPLES = 2


def _lines(lines: Sequence[str]) -> str:
    """Cell text of several lines, each made safe for the terminal (`terminal` escapes newlines)."""
    return "\n".join(terminal(line) for line in lines)


def _forms_with_papers(e: AliasEntry) -> str:
    return _lines([f"{form!r}: {', '.join(papers[:EXAMPLES])}{' ...' if len(papers) > EXAMPLES else ''}"
                   for form, papers in sorted(e.forms.items())])


def _merges(e: AliasEntry) -> str:
    return _lines([line for line in (", ".join(e.merged_keys), e.unresolved) if line])


def alias_layouts(entries: Sequence[AliasEntry]) -> list[Layout]:
    """`kg aliases` tables, widest first: every field in its column; then label and key under the
    name; then the forms with their paper counts and the merges in one column."""
    from kg.tables import Col

    from kg.backends.base import MAX_EVIDENCE_PER_FORM

    def entity(e: AliasEntry) -> str:
        key = "" if e.key == e.name.casefold() else f", key {e.key}"
        return _lines([e.name, f"({e.label}{key})"])

    def details(e: AliasEntry) -> str:  # the graph keeps up to MAX_EVIDENCE_PER_FORM papers per form
        lines = [f"{form!r}: {len(papers)}{'+' if len(papers) >= MAX_EVIDENCE_PER_FORM else ''} paper(s)"
                 for form, papers in sorted(e.forms.items())]
        if e.merged_keys:
            lines.append(f"merged: {', '.join(e.merged_keys)}")
        if e.unresolved:
            lines.append(f"not merged: {e.unresolved}")
        return _lines(lines)

    papers = Col("papers", numeric=True)
    merges = Col("merged keys / why not merged", min_width=16)
    wide = ([Col("label", min_width=6), Col("name", min_width=14), Col("key", min_width=14), papers,
             Col("forms: example papers (--format json for all)", min_width=30), merges],
            [[terminal(e.label), terminal(e.name), terminal(e.key), str(e.papers), _forms_with_papers(e), _merges(e)]
             for e in entries])
    medium = ([Col("entity", min_width=16), papers, Col("forms: example papers", min_width=32), merges],
              [[entity(e), str(e.papers), _forms_with_papers(e), _merges(e)] for e in entries])
    narrow = ([Col("entity", min_width=14), papers, Col("forms, merges", min_width=20)],
              [[entity(e), str(e.papers), details(e)] for e in entries])
    return [wide, medium, narrow]


def register(app: typer.Typer) -> None:
    """Add `kg aliases` to `app`."""
    from kg.aliases import AliasEntry
    from kg.build import DEFAULT_GRAPH

    @app.command("aliases")
    def aliases_cmd(
        name: Annotated[Optional[str], typer.Argument(help="Show only this entity (any of its spellings).")] = None,
        label: Annotated[Optional[str], typer.Option(help="Method, Dataset, Metric or Task.")] = None,
        merged_only: Annotated[bool, typer.Option("--merged-only", help="Only entities with several forms or merged keys.")] = False,
        top: Annotated[int, typer.Option(help="At most this many entities.")] = 50,
        fmt: OutputFormat = QueryFormat.table,
        as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json.")] = False,
        graph: GraphFile = DEFAULT_GRAPH,
    ) -> None:
        """Surface forms of each entity with the papers they came from, and merged keys.

        Example: kg aliases BERT
        """
        from kg.aliases import ENTITY_LABELS, alias_entries
        from kg.backends.base import QueryResult
        from kg.cli import EXIT_NOT_FOUND, _open_graph, _print_result, fail, out
        from kg.tables import print_layouts

        if label and label.capitalize() not in ENTITY_LABELS:
            raise fail(f"--label {label!r}: expected one of {', '.join(ENTITY_LABELS)}")
        entries = alias_entries(_open_graph(graph).to_networkx(), name, label, merged_only)[:top]
        if name and not entries:
            raise fail(f"no entity named {name!r} in {graph}", EXIT_NOT_FOUND)
        if as_json or fmt is not QueryFormat.table:
            records = [e.to_dict() for e in entries]
            columns = list(records[0]) if records else list(AliasEntry("", "", "").to_dict())
            _print_result(QueryResult(columns, [list(r.values()) for r in records]), "json" if as_json else fmt)
            return
        print_layouts(out, alias_layouts(entries), show_lines=True)
        out.print("A wrong merge? Add to kg-overrides.toml and rebuild:\n"
                  '  [[split]]\n  label = "METHOD"\n  names = ["SSM", "state space model"]\n'
                  "A missed one: the same with [[merge]] (the first name is kept).", highlight=False, markup=False)
