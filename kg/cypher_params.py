"""Cypher text handling: literals, parameters, masking, and what a read-only query may not do.

`split_segments` / `_masked` tell code from string literals, comments and quoted names, so that the
checks here and the dialect layer (kg/cypher_dialect.py) never look inside a literal. Queries pass
their values as real parameters on every backend; `render_params` (one escaped literal per `$name`,
single pass) remains for tools that need query text with the values written in.
`check_read_only` refuses file access, administration and procedures on every backend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kg.backends.base import QueryError

__all__ = [
    "Prepared",
    "QueryError",
    "Segment",
    "check_read_only",
    "cypher_literal",
    "line_col",
    "quote_string",
    "render_params",
    "split_segments",
]

SegmentKind = Literal["code", "string", "comment", "ident"]


@dataclass(frozen=True)
class Segment:
    """A piece of query text: code, a string literal, a comment or a `backtick` identifier."""

    kind: SegmentKind
    text: str
    start: int


_OPENER = re.compile(r"['\"`]|//|/\*")
_CLOSED = {
    "'": (re.compile(r"'(?:[^'\\]|\\.)*'", re.S), "string", "string literal"),
    '"': (re.compile(r'"(?:[^"\\]|\\.)*"', re.S), "string", "string literal"),
    "`": (re.compile(r"`[^`]*`"), "ident", "quoted name"),
    "//": (re.compile(r"//[^\n]*"), "comment", "comment"),
    "/*": (re.compile(r"/\*.*?\*/", re.S), "comment", "comment"),
}
_PARAM = re.compile(r"\$(\w+)")
_AGGREGATE = re.compile(r"(?<![\w.])(count|sum|avg|min|max|collect)(?=\s*\()", re.I)
_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                   "\b": "\\b", "\f": "\\f"}
_CYPHER_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.S)
_CYPHER_UNESCAPE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f",
                    "'": "'", '"': '"', "\\": "\\"}


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def split_segments(cypher: str) -> list[Segment]:
    """Split query text into code, string literals, comments and quoted names.

    Raises
    ------
    QueryError
        For an unterminated string, quoted name or block comment.
    """
    segments: list[Segment] = []
    pos = 0
    while pos < len(cypher):
        found = _OPENER.search(cypher, pos)
        if found is None:
            segments.append(Segment("code", cypher[pos:], pos))
            break
        if found.start() > pos:
            segments.append(Segment("code", cypher[pos:found.start()], pos))
        pattern, kind, what = _CLOSED[found.group()]
        closed = pattern.match(cypher, found.start())
        if closed is None:
            line, col = line_col(cypher, found.start())
            raise QueryError(f"unterminated {what} starting at line {line}, col {col}")
        segments.append(Segment(kind, closed.group(), found.start()))  # type: ignore[arg-type]
        pos = closed.end()
    return segments


def quote_string(value: str) -> str:
    """A double-quoted Cypher string literal whose content is exactly `value`."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F or ch in "\u2028\u2029" or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _unquote(literal: str) -> str:
    """The value of a Cypher string literal ('...' or "...")."""

    def unescape(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _CYPHER_UNESCAPE.get(esc, "\\" + esc)

    return _CYPHER_ESCAPE.sub(unescape, literal[1:-1])


def cypher_literal(value: Any, name: str = "?") -> str:
    """Render a parameter value as a Cypher literal: str, int, float, bool, None or a list.

    Examples
    --------
    >>> cypher_literal("O'Brien \\"x\\"")
    '"O\\'Brien \\\\"x\\\\""'
    >>> cypher_literal([1, 2.5, True, None])
    '[1, 2.5, true, null]'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"parameter ${name}: {value!r} cannot be written as a Cypher literal")
        return repr(float(value))
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v, name) for v in value) + "]"
    raise QueryError(
        f"parameter ${name}: unsupported value type {type(value).__name__} "
        f"(use str, int, float, bool, None or a list of those)"
    )


@dataclass(frozen=True)
class Prepared:
    """Rendered query text plus the map back to positions in the user's text."""

    text: str
    #: (rendered start, rendered end, original start, verbatim?) for each piece
    pieces: tuple[tuple[int, int, int, bool], ...]

    def original_pos(self, pos: int) -> int:
        """Offset in the user's query of an offset in `text` (start of a replaced piece)."""
        for r_start, r_end, o_start, verbatim in self.pieces:
            if r_start <= pos < r_end:
                return o_start + (pos - r_start if verbatim else 0)
        return self.pieces[-1][2] if self.pieces else 0


def _render(cypher: str, params: Mapping[str, Any] | None, engine: bool) -> Prepared:
    params = params or {}
    out: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    size = 0

    def emit(text: str, original_start: int, verbatim: bool) -> None:
        nonlocal size
        out.append(text)
        pieces.append((size, size + len(text), original_start, verbatim))
        size += len(text)

    for seg in split_segments(cypher):
        if seg.kind != "code":
            if engine and seg.kind == "string":
                emit(quote_string(_unquote(seg.text)), seg.start, False)
            elif engine and seg.kind == "comment":
                emit(re.sub(r"[^\n]", " ", seg.text), seg.start, True)
            else:
                emit(seg.text, seg.start, True)
            continue
        code = _AGGREGATE.sub(lambda m: m.group(1).upper(), seg.text) if engine else seg.text
        pos = 0
        for m in _PARAM.finditer(code):
            name = m.group(1)
            if name not in params:
                raise QueryError(f"missing parameter ${name}")
            emit(code[pos:m.start()], seg.start + pos, True)
            emit(cypher_literal(params[name], name), seg.start + m.start(), False)
            pos = m.end()
        emit(code[pos:], seg.start + pos, True)
    return Prepared("".join(out), tuple(pieces))


def render_params(cypher: str, params: Mapping[str, Any] | None = None) -> str:
    """Replace each `$name` outside literals and comments by the escaped literal of its value.

    Parameters
    ----------
    cypher : str
        Query text with `$name` placeholders (as for Neo4j).
    params : mapping, optional
        Values: str, int, float, bool, None or lists of those. Extra names are ignored.

    Returns
    -------
    str
        The query with literals in place of placeholders; everything else unchanged.

    Raises
    ------
    QueryError
        "missing parameter $name" for a placeholder without a value, or an unsupported value.

    Examples
    --------
    >>> render_params('MATCH (m:Method) WHERE m.name = $n RETURN "$n"', {"n": 'a"b'})
    'MATCH (m:Method) WHERE m.name = "a\\\\"b" RETURN "$n"'
    """
    return _render(cypher, params, engine=False).text


# --- helpers for the checks below and kg.cypher_dialect ----------------------------------------

def _masked(cypher: str) -> str:
    """The query with literal and comment contents blanked (same length, same lines)."""
    parts = []
    for seg in split_segments(cypher):
        if seg.kind == "code":
            parts.append(seg.text)
        elif seg.kind == "comment":
            parts.append(re.sub(r"[^\n]", " ", seg.text))
        else:
            parts.append(seg.text[0] + re.sub(r"[^\n]", " ", seg.text[1:-1]) + seg.text[-1])
    return "".join(parts)


def _refuse(cypher: str, pos: int, message: str) -> QueryError:
    line, col = line_col(cypher, pos)
    return QueryError(f"{message} (line {line}, col {col})")


# --- what a read-only query may not do, on any backend ---------------------------------------
# A read transaction stops writes, but not reading server files (LOAD CSV), administration
# commands (users, roles, databases, settings, transactions) or procedures such as
# dbms.listConfig(): those are refused by their text unless the user asks for --write.
_LOAD_CSV = re.compile(r"(?<![\w.$])LOAD\s+CSV(?!\w)", re.I)
#: a statement (the query, a `{ ... }` subquery or a UNION part) that starts with one of these
#: words is an administration command
_ADMIN_WORDS = ("SHOW", "GRANT", "DENY", "REVOKE", "TERMINATE", "ALTER", "DROP", "RENAME", "START", "STOP",
                "ENABLE", "DEALLOCATE", "REALLOCATE", "DRYRUN")
_STATEMENT_START = re.compile(
    r"(?:^|[{;]|(?<![\w.$])UNION(?:\s+ALL)?(?!\w))\s*"
    r"(?:(?:EXPLAIN|PROFILE)\s+)?(?:CYPHER(?:\s+\w+\s*=\s*\w+)*\s+)?(?:USE\s+[\w.]+\s+)?"
    r"(?P<word>[A-Za-z]+)(?P<rest>\s+(?:OR\s+REPLACE\s+)?(?:COMPOSITE\s+)?[A-Za-z]+)?",
    re.I,
)
_ADMIN_CREATE = re.compile(r"\s+(?:OR\s+REPLACE\s+)?(?:COMPOSITE\s+)?(USER|ROLE|DATABASE|ALIAS|SERVER)$", re.I)
_ADMIN_ANYWHERE = re.compile(r"(?<![\w.$])(SHOW|TERMINATE)\s+(?:\w+\s+)?(TRANSACTIONS?|SETTINGS?|USERS?|ROLES?"
                             r"|DATABASES?|PRIVILEGES?|PROCEDURES?|FUNCTIONS?|ALIASES)(?!\w)", re.I)
_PROCEDURE = re.compile(r"(?<![\w.$])CALL\s+(?!\{|\()((?:`[^`]*`|\w+)(?:\s*\.\s*(?:`[^`]*`|\w+))*)", re.I)
#: clauses that change the graph: refused by their text on every backend (the engine never sees them)
_WRITE_CLAUSE = re.compile(r"(?<![\w.$:])(DETACH\s+DELETE|NODETACH\s+DELETE|CREATE|MERGE|DELETE|SET|REMOVE|FOREACH)"
                           r"(?!\w)(?!\s*[:.])", re.I)  # `set.role`: a variable named set
_ALIAS_BEFORE = re.compile(r"(?<![\w.$])AS$", re.I)
#: statements of other embedded engines (Kùzu/LadybugDB) that load, copy or change files and databases
_ENGINE_WORDS = ("COPY", "ATTACH", "DETACH", "INSTALL", "LOAD", "EXPORT", "IMPORT", "CHECKPOINT", "BEGIN", "COMMIT",
                 "ROLLBACK")
#: procedures a read-only query may call: schema introspection and index look-ups
_READ_PROCEDURES = ("db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.", "db.index.fulltext.query",
                    "db.index.vector.query", "db.ping")


def check_read_only(cypher: str) -> None:
    """Raise a `QueryError` naming the first thing a read-only query may not do.

    Refused: LOAD CSV (reads files and URLs from the server), administration commands
    (SHOW USERS, SHOW SETTINGS, CREATE USER, DROP DATABASE, GRANT, TERMINATE TRANSACTIONS, ...),
    the clauses that write (CREATE, MERGE, SET, DELETE, DETACH DELETE, REMOVE, FOREACH), an
    embedded engine's file and database statements (COPY, ATTACH, INSTALL, LOAD FROM, EXPORT, ...)
    and every procedure outside a short list of read-only look-ups (`CALL dbms.listConfig()`,
    `CALL apoc.load.json(...)`). Neo4j's read transaction stops writes too; refusing them by
    their text names the clause and its place, before any graph is opened, on every backend.
    """
    code = _masked(cypher)
    hint = "queries are read-only (Neo4j: add --write to run it)"
    if m := _LOAD_CSV.search(code):
        raise _refuse(cypher, m.start(), f"LOAD CSV is not allowed: {hint}")
    for m in _STATEMENT_START.finditer(code):
        word, rest = m.group("word").upper(), m.group("rest") or ""
        if code[m.end("word"):].lstrip().startswith(":"):
            continue  # a map key: `{start: 1}`
        if word in _ADMIN_WORDS or (word == "CREATE" and _ADMIN_CREATE.match(rest)):
            command = " ".join(f"{word}{rest}".upper().split())
            raise _refuse(cypher, m.start("word"), f"{command} is an administration command: {hint}")
        if word in _ENGINE_WORDS and not (word == "DETACH" and re.match(r"\s+DELETE\b", rest, re.I)):
            shown = f"{word} {rest.strip().upper()}" if word == "LOAD" and rest else word  # LOAD FROM
            raise _refuse(cypher, m.start("word"), f"{shown} is not allowed: {hint}")
    if m := _ADMIN_ANYWHERE.search(code):
        command = " ".join(m.group(0).upper().split())
        raise _refuse(cypher, m.start(), f"{command} is an administration command: {hint}")
    for m in _WRITE_CLAUSE.finditer(code):
        before = code[:m.start()].rstrip()
        # `(n: Set)`, `[:USES|CREATE]`, `n:A&Set` are labels and types; `AS set` names a column
        if not before.endswith((":", "|", "&", "!")) and not _ALIAS_BEFORE.search(before):
            clause = " ".join(m.group(1).upper().split())
            raise _refuse(cypher, m.start(), f"{clause} is not allowed: {hint}")
    for m in _PROCEDURE.finditer(code):
        written = cypher[m.start(1):m.end(1)]  # the masked text blanks `quoted` names
        name = re.sub(r"[`\s]", "", written).lower()
        if not any(name == p or (p.endswith(".") and name.startswith(p)) or
                   (p.endswith("query") and name.startswith(p)) for p in _READ_PROCEDURES):
            raise _refuse(cypher, m.start(), f"procedure {written} is not allowed: {hint}")
