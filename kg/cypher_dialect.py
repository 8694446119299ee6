"""Neo4j Cypher -> LadybugDB Cypher, for the embedded query engine (kg/ladybug_index.py).

Users write Neo4j's Cypher; LadybugDB (the Kùzu fork behind `kg query`) reads most of it as is.
Where the two differ, `translate` rewrites the query so that it returns Neo4j's rows, or refuses it
with one line naming the construct: it never lets a query through that would give other rows.

Rewritten (found by running the same queries on both, see tests/kg/test_ladybug_parity.py):
- `type(r)` -> `label(r)`; `labels(n)[0]` -> `label(n)`; `labels(n)` -> `[label(n)]`
- `shortestPath((a)-[*..6]-(b))` -> `(a)-[* SHORTEST 1..6]-(b)` (`allShortestPaths`: ALL SHORTEST)
- `EXISTS { pattern }` -> `EXISTS { MATCH pattern }` (and `COUNT { ... }`); a trailing `;` is dropped
- label predicates: `WHERE n:Method` -> `label(n) = 'Method'`, `n:A|B` -> `label(n) IN ['A', 'B']`
- `sum(x)` -> `coalesce(sum(x), 0)` (Neo4j's sum of no values is 0, LadybugDB's null)
- list subscripts: Neo4j counts from 0, LadybugDB from 1 (`xs[0]` -> `xs[1]`; negative ones agree)
- relationship uniqueness: in Neo4j one MATCH never uses a relationship twice; LadybugDB walks
  may. Each MATCH gets `r1 <> r2` for relationships that could be the same, variable-length
  patterns become TRAIL patterns, and `NOT r IN rels(v)` keeps a fixed one out of a variable one.

Refused: writes and file access (`kg.cypher_params.check_read_only`; also COPY, LOAD, EXPORT,
IMPORT, ATTACH, INSTALL, USE), CALL, unbounded variable-length patterns (LadybugDB stops at 30
hops without saying so), id()/elementId() (other numbers), keys()/properties() (LadybugDB lists
every column of the table), list slices and computed subscripts, several statements, `CONTAINS ''`
(false on LadybugDB; an empty string parameter is refused at run time), collect() after
`WITH ... ORDER BY` (LadybugDB does not keep that order in the list).
Values stay `$parameters`: nothing here puts user values into the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kg.backends.base import QueryError
from kg.cypher_params import _masked, check_read_only, line_col
from kg.query_text import return_columns

__all__ = ["Translated", "translate"]


@dataclass(frozen=True)
class Translated:
    """The LadybugDB text of a query and the column names Neo4j would give its result."""

    text: str
    columns: list[str] | None


_KW = r"(?<![\w.$`])"
_CLAUSE_WORDS = ("WHERE", "RETURN", "WITH", "MATCH", "OPTIONAL", "UNWIND", "ORDER", "SKIP", "LIMIT",
                 "UNION", "CALL")
_WORD = re.compile(r"[A-Za-z_]\w*")
_REFUSED_CLAUSE = re.compile(_KW + r"(COPY|LOAD|EXPORT|IMPORT|ATTACH|INSTALL|USE|CALL|CHECKPOINT|BEGIN|COMMIT"
                             r"|ROLLBACK|DROP|ALTER)(?![\w(])(?!\s*[:)\]},.=<>])", re.I)
_WRITE_CLAUSE = re.compile(_KW + r"(CREATE|MERGE|DETACH\s+DELETE|DELETE|SET|REMOVE|FOREACH)(?!\w)(?!\s*[:)\]},.=<>])",
                           re.I)
_REFUSED_FUNCTION = re.compile(_KW + r"(id|elementId|keys|properties|exists)\s*\(", re.I)
_FUNCTION_WHY = {
    "id": "id() numbers differ between engines; compare nodes directly (a <> b) or use their key",
    "elementid": "elementId() numbers differ between engines; compare nodes directly or use their key",
    "keys": "keys() lists every column of the table on the embedded engine; RETURN the node instead",
    "properties": "properties() lists every column of the table on the embedded engine; RETURN the node instead",
    "exists": "exists(...) as a function is not Neo4j 5 Cypher; write `x IS NOT NULL` or EXISTS { MATCH ... }",
}
_TYPE_FN = re.compile(_KW + r"type(\s*\()", re.I)
_LABELS_FIRST = re.compile(_KW + r"labels\s*\(\s*(\w+)\s*\)\s*\[\s*0\s*\]", re.I)
_LABELS_FN = re.compile(_KW + r"labels\s*\(\s*(\w+)\s*\)", re.I)
_SHORTEST = re.compile(_KW + r"(shortestPath|allShortestPaths)\s*\(", re.I)
_EXISTS_BRACE = re.compile(_KW + r"(?:EXISTS|COUNT)\s*\{", re.I)
_SUBQUERY_START = re.compile(r"\s*(MATCH|OPTIONAL|CALL|RETURN|WITH|UNWIND)(?!\w)", re.I)
_MATCH = re.compile(_KW + r"MATCH(?!\w)", re.I)
_SUM = re.compile(_KW + r"sum\s*\(", re.I)
#: `n:Label` / `n:A|B` as a condition (after WHERE, AND, NOT, WHEN, ...), not in a pattern or a map
_LABEL_TEST = re.compile(r"(?<![\w.$`])(WHERE|AND|OR|XOR|NOT|WHEN|THEN|ELSE)(\s+)([A-Za-z_]\w*)\s*:\s*"
                         r"([A-Za-z_]\w*(?:\s*\|\s*[A-Za-z_]\w*)*)", re.I)
_COLLECT = re.compile(_KW + r"collect\s*\(", re.I)
_WITH = re.compile(_KW + r"WITH(?!\w)", re.I)
_ORDER_BY = re.compile(_KW + r"ORDER\s+BY(?!\w)", re.I)
_CONTAINS_EMPTY = re.compile(_KW + r"CONTAINS\s*(''|\"\")", re.I)
#: a list literal holding null: `2 IN [1, null]` is null on Neo4j and false on LadybugDB (so a NOT keeps the row)
_LIST_WITH_NULL = re.compile(r"\[[^\[\]]*" + _KW + r"null(?!\w)[^\[\]]*\]", re.I)
_REL_OPEN = re.compile(r"-\s*\[")
_REL_BODY = re.compile(r"\s*(?P<var>[A-Za-z_]\w*)?\s*(?P<types>:[^*{\]]*)?\s*(?P<star>\*(?P<range>[\s\d.]*))?"
                       r"\s*(?P<props>\{.*\})?\s*$", re.S)
_RANGE = re.compile(r"\s*(\d+)?\s*(\.\.)?\s*(\d+)?\s*$")
#: a `[` directly after these is a list literal, not a subscript
_BEFORE_LIST = {"IN", "RETURN", "WITH", "UNWIND", "AND", "OR", "NOT", "XOR", "THEN", "ELSE", "WHEN", "CASE",
                "WHERE", "DISTINCT", "BY", "SKIP", "LIMIT", "AS", "CONTAINS", "STARTS", "ENDS", "IS"}


def _refuse(cypher: str, pos: int, message: str) -> QueryError:
    line, col = line_col(cypher, pos)
    return QueryError(f"{message} (line {line}, col {col})")


def _close(code: str, start: int, opener: str = "(", closer: str = ")") -> int:
    """Index of the bracket closing the one at `start` (code has literals masked)."""
    depth = 0
    for i in range(start, len(code)):
        if code[i] == opener:
            depth += 1
        elif code[i] == closer:
            depth -= 1
            if depth == 0:
                return i
    return len(code)


def _clause_end(code: str, start: int, stop_words: tuple[str, ...]) -> int:
    """Where the clause that starts at `start` ends: the next clause word at its own depth, or
    a bracket closing the block it sits in."""
    depth = 0
    i = start
    while i < len(code):
        ch = code[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return i
        elif depth == 0 and (ch.isalpha() or ch == "_") and (i == 0 or not (code[i - 1].isalnum() or code[i - 1] in "_.$`")):
            word = _WORD.match(code, i).group(0)
            if word.upper() in stop_words:
                return i
            i += len(word)
            continue
        i += 1
    return len(code)


@dataclass
class _Rel:
    start: int  # position of "[" + 1
    end: int  # position of "]"
    var: str | None
    types: frozenset[str] | None
    variable: bool


class _Edits:
    """Replacements on the original text, applied at the end (positions refer to the original)."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, str]] = []

    def add(self, start: int, end: int, text: str) -> None:
        self.items.append((start, end, len(self.items), text))

    def apply(self, text: str) -> str:
        out, pos = [], 0
        for start, end, _, new in sorted(self.items):
            if start < pos:
                continue  # overlaps an earlier edit; never happens for the edits made here
            out.append(text[pos:start])
            out.append(new)
            pos = end
        out.append(text[pos:])
        return "".join(out)


def _types(raw: str | None) -> frozenset[str] | None:
    if not raw:
        return None
    return frozenset(t.strip(" `") for t in re.split(r"[|:]", raw) if t.strip(" `"))


def _range(cypher: str, pos: int, raw: str, shortest: bool) -> str:
    m = _RANGE.match(raw)
    if m is None:
        raise _refuse(cypher, pos, "cannot read this variable-length range")
    low, dots, high = m.groups()
    if dots is None and low is not None:
        high = low
    if high is None:
        raise _refuse(cypher, pos, "an unbounded variable-length pattern is not supported by the embedded engine "
                      "(it would stop at 30 hops without saying so); give an upper bound, e.g. *1..6")
    if low is None:
        low = "1"
    return f"{low}..{high}"


def _rewrite_match(cypher: str, code: str, kw_end: int, edits: _Edits, shortest_spans: list[tuple[int, int]],
                   counter: list[int]) -> None:
    """Relationship uniqueness for one MATCH clause (see the module docstring)."""
    pattern_end = _clause_end(code, kw_end, _CLAUSE_WORDS)
    rels: list[_Rel] = []
    for m in _REL_OPEN.finditer(code, kw_end, pattern_end):
        open_pos = m.end() - 1
        close_pos = _close(code, open_pos, "[", "]")
        body = _REL_BODY.match(code, open_pos + 1, close_pos)
        if body is None:
            continue  # not a relationship we can read: LadybugDB reports it
        if any(s <= open_pos < e for s, e in shortest_spans):
            continue
        rels.append(_Rel(open_pos + 1, close_pos, body.group("var"), _types(body.group("types")),
                         body.group("star") is not None))
    pairs = []
    for i, a in enumerate(rels):
        for b in rels[i + 1:]:
            if a.types is not None and b.types is not None and not (a.types & b.types):
                continue
            if a.variable and b.variable:
                raise _refuse(cypher, b.start, "two variable-length patterns that may share relationships in one "
                              "MATCH are not supported by the embedded engine; split them into two MATCH clauses")
            pairs.append((a, b))
    if not pairs:
        return
    for rel in {id(r): r for pair in pairs for r in pair}.values():
        if rel.var is None:  # a name to compare it by
            counter[0] += 1
            rel.var = f"_kg_r{counter[0]}"
            edits.add(rel.start, rel.start, rel.var)
    conditions = []
    for a, b in pairs:
        if a.variable or b.variable:
            fixed, var = (b, a) if a.variable else (a, b)
            conditions.append(f"NOT {fixed.var} IN rels({var.var})")
        else:
            conditions.append(f"{a.var} <> {b.var}")
    condition = " AND ".join(conditions)
    word = _WORD.match(code, pattern_end)
    if word and word.group(0).upper() == "WHERE":
        where_end = _clause_end(code, word.end(), tuple(w for w in _CLAUSE_WORDS if w != "WHERE"))
        edits.add(word.end(), word.end(), f" ({condition}) AND (")
        edits.add(where_end, where_end, ") ")
    else:
        edits.add(pattern_end, pattern_end, f" WHERE {condition} ")


def _subscripts(cypher: str, code: str, edits: _Edits, skip: list[tuple[int, int]]) -> None:
    """0-based list subscripts -> 1-based; slices and computed indexes are refused."""
    for m in re.finditer(r"\[", code):
        pos = m.start()
        if any(s <= pos < e for s, e in skip):
            continue
        before = code[:pos].rstrip()
        if not before or before[-1] in "-<>=,([{+*/%^|:":
            continue  # a list literal or a relationship pattern
        if before[-1].isalnum() or before[-1] == "_":
            word = re.search(r"\w+$", before).group(0)
            if word.upper() in _BEFORE_LIST:
                continue
        elif before[-1] not in ")]'\"`":
            continue
        close = _close(code, pos, "[", "]")
        inner = code[pos + 1:close]
        if re.fullmatch(r"\s*\d+\s*", inner):
            edits.add(pos + 1, close, str(int(inner) + 1))
        elif re.fullmatch(r"\s*-\s*\d+\s*", inner):
            continue  # negative indexes count from the end on both engines
        elif ".." in inner:
            raise _refuse(cypher, pos, "list slices ([a..b]) are not supported by the embedded engine "
                          "(it counts list positions differently)")
        else:
            raise _refuse(cypher, pos, "a list index or dynamic property that is not a literal number is not "
                          "supported by the embedded engine (it counts list positions differently)")


def _check_collect_order(cypher: str, code: str) -> None:
    """collect() after `WITH ... ORDER BY`: Neo4j keeps that order in the list, LadybugDB does not."""
    for w in _WITH.finditer(code):
        if _STARTS_ENDS_BEFORE.search(code, 0, w.start()):
            continue  # STARTS WITH / ENDS WITH
        end = _clause_end(code, w.end(), ("MATCH", "OPTIONAL", "UNWIND", "RETURN", "WITH", "UNION", "CALL"))
        order = _ORDER_BY.search(code, w.end(), end)
        nxt = _WORD.match(code, end)
        if not order or nxt is None or nxt.group(0).upper() not in ("WITH", "RETURN"):
            continue  # a MATCH or UNWIND in between makes rows of its own order on both engines
        next_end = _clause_end(code, nxt.end(), ("MATCH", "OPTIONAL", "UNWIND", "RETURN", "WITH", "UNION", "CALL"))
        if c := _COLLECT.search(code, nxt.end(), next_end):
            raise _refuse(cypher, c.start(), "collect() after WITH ... ORDER BY: the embedded engine does not keep "
                          "that order in the list; sort where you read the list, or use --backend neo4j")


_STARTS_ENDS_BEFORE = re.compile(r"(?:STARTS|ENDS)\s*$", re.I)


def _unknown_names(cypher: str, code: str, tables: Mapping[str, Any], edits: _Edits) -> None:
    """Labels and types the graph lacks -> the empty placeholder tables; `n.key` of a key no table
    has -> NULL. Neo4j finds nothing / reads null there (and `kg query` warns); LadybugDB would fail."""
    from kg.ladybug_index import NONE_LABEL, NONE_TYPE
    from kg.query_text import names_used

    used = names_used(cypher)
    for names, known, placeholder in ((used.labels, tables.get("labels", ()), NONE_LABEL),
                                      (used.rel_types, tables.get("rel_types", ()), NONE_TYPE)):
        for name, pos in names:
            if name not in known:
                edits.add(pos, pos + _token_length(cypher, pos), placeholder)
    known = set(tables.get("properties", ()))
    for name, pos in used.property_keys:
        if name in known:
            continue
        before = code[:pos].rstrip()
        var = re.search(r"(\w+|`[^`]*`)\s*\.$", before)
        if var is None:
            continue  # a key in a pattern's property map: LadybugDB names it in its error
        edits.add(var.start(1), pos + _token_length(cypher, pos), "NULL")


def _token_length(cypher: str, pos: int) -> int:
    if cypher.startswith("`", pos):
        end = cypher.find("`", pos + 1)
        return (end if end >= 0 else len(cypher)) + 1 - pos
    m = re.match(r"\w+", cypher[pos:])
    return m.end() if m else 0


def translate(cypher: str, tables: Mapping[str, Any] | None = None) -> Translated:
    """The LadybugDB form of a read-only Neo4j query, or a `QueryError` naming what cannot be.

    `tables` (labels, rel_types, properties: what the database has, `kg.ladybug_index.load_into`)
    lets names the graph lacks behave as on Neo4j (no match, null) instead of failing.

    Examples
    --------
    >>> translate("MATCH (a)-[r]->(b) RETURN type(r) AS t;").text
    'MATCH (a)-[r]->(b) RETURN label(r) AS t'
    """
    check_read_only(cypher)
    code = _masked(cypher)
    stripped = code.rstrip()
    if stripped.endswith(";"):
        cut = len(stripped) - 1
        cypher, code = cypher[:cut], code[:cut]
    if (semi := code.find(";")) >= 0:
        raise _refuse(cypher, semi, "one statement at a time: remove the ';' and what follows")
    if not code.strip():
        raise QueryError("empty query")
    if m := _WRITE_CLAUSE.search(code):
        word = " ".join(m.group(1).upper().split()).split()[0]
        raise _refuse(cypher, m.start(), f"{word} is not allowed: queries are read-only on the embedded engine "
                      "(change the graph with kg build, or use --backend neo4j --write)")
    if m := _REFUSED_CLAUSE.search(code):
        word = m.group(1).upper()
        why = ("procedures differ between Neo4j and the embedded engine; use --backend neo4j for CALL"
               if word == "CALL" else "queries are read-only")
        raise _refuse(cypher, m.start(), f"{word} is not allowed on the embedded engine: {why}")
    if m := _REFUSED_FUNCTION.search(code):
        raise _refuse(cypher, m.start(), _FUNCTION_WHY[m.group(1).lower()])
    if m := _LIST_WITH_NULL.search(code):
        raise _refuse(cypher, m.start(), "a list holding null: IN and comparisons with it give null on Neo4j but "
                      "true or false on the embedded engine; leave the null out")
    if m := _CONTAINS_EMPTY.search(cypher):
        raise _refuse(cypher, m.start(), "CONTAINS '' is false on the embedded engine (true on Neo4j); "
                      "leave the condition out")
    _check_collect_order(cypher, code)
    edits = _Edits()
    skip: list[tuple[int, int]] = []
    for m in _LABELS_FIRST.finditer(code):
        edits.add(m.start(), m.end(), f"label({m.group(1)})")
        skip.append((m.start(), m.end()))
    for m in _LABELS_FN.finditer(code):
        if not any(s <= m.start() < e for s, e in skip):
            edits.add(m.start(), m.end(), f"[label({m.group(1)})]")
    for m in _TYPE_FN.finditer(code):
        edits.add(m.start(), m.start(1), "label")
    shortest_spans = []
    for m in _SHORTEST.finditer(code):
        close = _close(code, m.end() - 1)
        shortest_spans.append((m.start(), close))
        edits.add(m.start(), m.end(), "")
        edits.add(close, close + 1, "")
        inner = _REL_OPEN.search(code, m.end(), close)
        if inner is None:
            raise _refuse(cypher, m.start(), f"{m.group(1)} needs a relationship pattern")
        rel_close = _close(code, inner.end() - 1, "[", "]")
        body = _REL_BODY.match(code, inner.end(), rel_close)
        if body is None or body.group("star") is None:
            raise _refuse(cypher, m.start(), f"{m.group(1)} needs a variable-length relationship, e.g. [*..6]")
        kind = "SHORTEST" if m.group(1).lower() == "shortestpath" else "ALL SHORTEST"
        edits.add(body.start("star"), body.end("range"),
                  f"* {kind} " + _range(cypher, body.start("star"), body.group("range"), True) + " ")
    for m in _LABEL_TEST.finditer(code):  # LadybugDB has no label predicate: compare label(n)
        names = [n.strip() for n in m.group(4).split("|")]
        test = (f"label({m.group(3)}) = '{names[0]}'" if len(names) == 1
                else f"label({m.group(3)}) IN [{', '.join(repr(n) for n in names)}]")
        edits.add(m.start(3), m.end(4), test)
    for m in _SUM.finditer(code):  # Neo4j: the sum of nothing is 0; LadybugDB: null
        close = _close(code, m.end() - 1)
        edits.add(m.start(), m.start(), "coalesce(")
        edits.add(close + 1, close + 1, ", 0)")
    counter = [0]
    for m in _EXISTS_BRACE.finditer(code):
        if not _SUBQUERY_START.match(code, m.end()):
            edits.add(m.end(), m.end(), " MATCH ")
            _rewrite_match(cypher, code, m.end(), edits, shortest_spans, counter)
    for m in _MATCH.finditer(code):
        _rewrite_match(cypher, code, m.end(), edits, shortest_spans, counter)
    for m in _REL_OPEN.finditer(code):  # every variable-length pattern, also in WHERE predicates
        open_pos = m.end() - 1
        if any(s <= open_pos < e for s, e in shortest_spans):
            continue
        body = _REL_BODY.match(code, open_pos + 1, _close(code, open_pos, "[", "]"))
        if body is not None and body.group("star") is not None:
            star = body.start("star")
            edits.add(star, body.end("range"), "* TRAIL " + _range(cypher, star, body.group("range"), False) + " ")
    if tables is not None:
        _unknown_names(cypher, code, tables, edits)
    rel_brackets = [(m.end() - 1, _close(code, m.end() - 1, "[", "]") + 1) for m in _REL_OPEN.finditer(code)]
    _subscripts(cypher, code, edits, skip + rel_brackets)
    return Translated(edits.apply(cypher), return_columns(cypher))
