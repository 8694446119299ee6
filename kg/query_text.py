"""What a Cypher query's text says, read without running it: names, parameters, result columns.

`kg query` uses this on every backend (networkx, Neo4j, any later engine), before and after the
engine runs, so its warnings and column names do not depend on the engine:

- `names_used`: the node labels, relationship types and property keys a query reads and the
  `$parameters` it uses, each with its position. Read from tokens of the user's text, never
  spliced back into a query.
- `query_warnings`: one line per label, type or property key the graph does not have (with the
  closest names, as Neo4j's notifications give them) and per `--param` the query never uses.
- `return_columns`: the result columns as the user wrote them (`m.name`, `count(*)`, an alias),
  which is how Neo4j names them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kg.backends.base import GraphVocabulary, QueryError, QueryResult
from kg.cypher_params import line_col, split_segments

__all__ = ["NamesUsed", "Token", "names_used", "query_warnings", "return_columns", "split_statement",
           "tokens", "with_columns_as_written"]

TokenKind = Literal["name", "quoted", "param", "number", "string", "punct"]


@dataclass(frozen=True)
class Token:
    """One token of query text: `value` is a quoted name without its backticks."""

    kind: TokenKind
    value: str
    pos: int
    #: offset just past the token in the query text
    end: int


_CODE_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<param>\$\w+)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<punct><-|->|--|\.\.|<>|<=|>=|=~|\+=|\S)",
    re.U,
)


def tokens(cypher: str) -> list[Token]:
    """The query as tokens; comments are dropped, string literals become one token each.

    Raises
    ------
    QueryError
        For an unterminated string, quoted name or block comment.
    """
    out: list[Token] = []
    for seg in split_segments(cypher):
        if seg.kind == "comment":
            continue
        if seg.kind == "string":
            out.append(Token("string", seg.text, seg.start, seg.start + len(seg.text)))
            continue
        if seg.kind == "ident":
            name = seg.text[1:-1]
            if out and out[-1].kind == "punct" and out[-1].value == "$" and out[-1].pos + 1 == seg.start:
                out[-1] = Token("param", name, out[-1].pos, seg.start + len(seg.text))  # $`odd name`
            else:
                out.append(Token("quoted", name, seg.start, seg.start + len(seg.text)))
            continue
        for m in _CODE_TOKEN.finditer(seg.text):
            kind = m.lastgroup
            if kind == "ws":
                continue
            value = m.group()[1:] if kind == "param" else m.group()
            out.append(Token(kind, value, seg.start + m.start(), seg.start + m.end()))  # type: ignore[arg-type]
    return out


def _is_name(tok: Token | None) -> bool:
    return tok is not None and tok.kind in ("name", "quoted")


def _word(tok: Token | None) -> str:
    return tok.value.upper() if tok is not None and tok.kind == "name" else ""


#: words after which `(` opens a pattern or a parenthesised expression, not a function's arguments
_NOT_CALLS = {"MATCH", "MERGE", "CREATE", "WHERE", "AND", "OR", "XOR", "NOT", "RETURN", "WITH", "IN", "UNWIND",
              "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "DELETE", "SET", "REMOVE", "OPTIONAL", "EXISTS", "AS",
              "BY", "IS", "CONTAINS", "STARTS", "ENDS", "YIELD", "ON", "SKIP", "LIMIT"}
#: clauses whose labels, types and keys are written, not read (no "does not exist" warning for them)
_WRITING = {"CREATE", "MERGE", "SET", "REMOVE"}
_CLAUSES = {"MATCH", "OPTIONAL", "WHERE", "WITH", "RETURN", "UNWIND", "CALL", "YIELD", "ORDER", "SKIP", "LIMIT",
            "UNION", "DELETE", "DETACH", "FOREACH", *_WRITING}
_LABEL_JOIN = {"|", "&", ":", "!", "%"}


@dataclass
class NamesUsed:
    """Names a query reads, as (name, offset) pairs in the order they appear."""

    labels: list[tuple[str, int]] = field(default_factory=list)
    rel_types: list[tuple[str, int]] = field(default_factory=list)
    property_keys: list[tuple[str, int]] = field(default_factory=list)
    params: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Bracket:
    char: str
    #: "(" not a function call's arguments (a node pattern or an expression), "[" after `-`/`<-`
    pattern: bool
    #: "{" directly after a node or relationship's variable/labels: its keys are property keys
    property_map: bool = False
    #: "{" after a variable: map projection (`n {.name, .key}`), its `.key`s belong to that variable
    projected: str | None = None


def names_used(cypher: str) -> NamesUsed:
    """The labels, relationship types and property keys a query reads, and the parameters it uses.

    Property keys count where they are read from a variable bound in a node or relationship
    pattern (`m.name`, `n {.name}`), or written in a pattern's property map (`{key: $k}`): a
    key read from a map (`WITH {a: 1} AS m RETURN m.a`) is no graph property. Labels, types and
    keys in CREATE, MERGE, SET and REMOVE are being written and are left out.

    Examples
    --------
    >>> used = names_used("MATCH (m:Method {key: $k})<-[:USES]-(p) RETURN p.title")
    >>> [n for n, _ in used.labels], [n for n, _ in used.rel_types], [n for n, _ in used.property_keys]
    (['Method'], ['USES'], ['key', 'title'])
    >>> [n for n, _ in used.params]
    ['k']
    """
    toks = tokens(cypher)
    used = NamesUsed()
    stack: list[_Bracket] = []
    bound: set[str] = set()
    reads: list[tuple[str, str, int]] = []  # (variable, key, offset), kept if the variable is bound
    clause = ""
    i = 0
    while i < len(toks):
        tok = toks[i]
        prev = toks[i - 1] if i else None
        top = stack[-1] if stack else None
        writing = clause in _WRITING
        if tok.kind == "param":
            used.params.append((tok.value, tok.pos))
        elif tok.kind == "name" and tok.value.upper() in _CLAUSES and not (prev and prev.value in (".", ":")) \
                and (i + 1 >= len(toks) or toks[i + 1].value != ":"):
            clause = tok.value.upper()
        elif tok.kind == "punct" and tok.value in "([{":
            if tok.value == "(":
                call = prev is not None and prev.kind == "name" and prev.value.upper() not in _NOT_CALLS
                stack.append(_Bracket("(", pattern=not call))
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                if not call and _is_name(nxt) and i + 2 < len(toks) and toks[i + 2].value in (":", "{", ")"):
                    bound.add(nxt.value)  # type: ignore[union-attr]
            elif tok.value == "[":
                rel = prev is not None and prev.value in ("-", "<-")
                stack.append(_Bracket("[", pattern=rel))
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                if rel and _is_name(nxt):
                    bound.add(nxt.value)  # type: ignore[union-attr]
            else:
                in_pattern = top is not None and top.pattern and (
                    prev is not None and (prev.value in ("(", "[") or _is_name(prev) or prev.kind == "number"))
                projected = prev.value if _is_name(prev) and not in_pattern else None
                stack.append(_Bracket("{", pattern=False, property_map=in_pattern, projected=projected))
        elif tok.kind == "punct" and tok.value in ")]}":
            if stack:
                stack.pop()
        elif tok.kind == "punct" and tok.value == ":":
            if top is not None and top.char == "{":
                if top.property_map and _is_name(prev) and not writing:
                    used.property_keys.append((prev.value, prev.pos))  # type: ignore[union-attr]
            elif prev is not None and (_is_name(prev) or prev.value in ("(", "[", "|")):
                # a label expression: NAME ((| & : !)* NAME)*
                target = used.rel_types if (top is not None and top.char == "[" and top.pattern) else used.labels
                j = i + 1
                while j < len(toks) and (toks[j].value in _LABEL_JOIN and toks[j].kind == "punct"
                                         or _is_name(toks[j]) and toks[j - 1].value in _LABEL_JOIN):
                    if _is_name(toks[j]) and not writing:
                        target.append((toks[j].value, toks[j].pos))
                    j += 1
                i = j
                continue
        elif tok.kind == "punct" and tok.value == "." and i + 1 < len(toks) and _is_name(toks[i + 1]):
            key = toks[i + 1]
            called = i + 2 < len(toks) and toks[i + 2].value in ("(", ".")
            if _is_name(prev) and not called and not (i >= 2 and toks[i - 2].value == "."):
                if not writing:
                    reads.append((prev.value, key.value, key.pos))  # type: ignore[union-attr]
            elif prev is not None and prev.value in ("{", ",") and top is not None and top.projected:
                if not writing:
                    reads.append((top.projected, key.value, key.pos))
            i += 2
            continue
        i += 1
    used.property_keys.extend((key, pos) for var, key, pos in reads if var in bound)
    used.property_keys.sort(key=lambda item: item[1])
    return used


def _suggest(name: str, known: Iterable[str]) -> list[str]:
    """Close matches for a misspelt name: same name in another case first, then difflib's."""
    known = sorted(set(known))
    same_case = [k for k in known if k.lower() == name.lower()]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    lowered = {k.lower(): k for k in known}
    close += [lowered[k] for k in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    return list(dict.fromkeys(same_case + close))[:3]


def query_warnings(cypher: str, vocabulary: GraphVocabulary | None,
                   params: Mapping[str, Any] | None = None) -> list[str]:
    """One line per name the graph does not have and per parameter the query never uses.

    Parameters
    ----------
    cypher : str
        The query as the user wrote it.
    vocabulary : GraphVocabulary or None
        What the graph holds (`backend.vocabulary()`); None checks only the parameters.
    params : mapping, optional
        The `--param` values given.
    """
    used = names_used(cypher)
    out: list[str] = []
    if vocabulary is not None:
        checks = ((used.labels, vocabulary.labels, "label", ":"),
                  (used.rel_types, vocabulary.rel_types, "relationship type", ":"),
                  (used.property_keys, vocabulary.property_keys, "property key", ""))
        for names, known, what, prefix in checks:
            seen: set[str] = set()
            for name, pos in names:
                if name in known or name in seen:
                    continue
                seen.add(name)
                line, col = line_col(cypher, pos)
                hint = _suggest(name, known)
                did_you_mean = f"; did you mean {' or '.join(prefix + h for h in hint)}?" if hint else ""
                out.append(f"{what} {prefix}{name} does not exist in the graph (line {line}, col {col})"
                           f"{did_you_mean}")
    in_query = {name for name, _ in used.params}
    for name in params or {}:
        if name not in in_query:
            hint = _suggest(name, in_query)
            did_you_mean = f"; did you mean {' or '.join('$' + h for h in hint)}?" if hint else ""
            out.append(f"--param {name} is not used: the query has no ${name}{did_you_mean}")
    return out


_RETURN_END = {"ORDER", "SKIP", "LIMIT", "UNION"}


def return_columns(cypher: str) -> list[str] | None:
    """The outer query's result columns as Neo4j names them: an item's alias, else its text.

    The text of an item is as written (inner spaces and line breaks kept, comments dropped,
    ends trimmed). None for `RETURN *` or a query without a final top-level RETURN.

    Examples
    --------
    >>> return_columns("MATCH (m)<--(p) RETURN m.name, count(*) AS n, toLower( m.key ) ORDER BY n")
    ['m.name', 'n', 'toLower( m.key )']
    """
    toks = tokens(cypher)
    depth = 0
    start = None
    for i, tok in enumerate(toks):
        if tok.kind == "punct" and tok.value in "([{":
            depth += 1
        elif tok.kind == "punct" and tok.value in ")]}":
            depth -= 1
        elif depth == 0 and _word(tok) == "RETURN":
            start = i + 1
    if start is None:
        return None
    if start < len(toks) and _word(toks[start]) == "DISTINCT":
        start += 1
    items: list[list[Token]] = [[]]
    depth = 0
    for tok in toks[start:]:
        if tok.kind == "punct" and tok.value in "([{":
            depth += 1
        elif tok.kind == "punct" and tok.value in ")]}":
            depth -= 1
        elif depth == 0 and (_word(tok) in _RETURN_END or tok.value == ";" and tok.kind == "punct"):
            break
        if depth == 0 and tok.kind == "punct" and tok.value == ",":
            items.append([])
            continue
        items[-1].append(tok)
    columns: list[str] = []
    for item in items:
        if not item or (len(item) == 1 and item[0].value == "*" and item[0].kind == "punct"):
            return None
        if len(item) >= 3 and _word(item[-2]) == "AS" and _is_name(item[-1]):
            columns.append(item[-1].value)
            continue
        first, last = item[0], item[-1]
        text = "".join(seg.text for seg in split_segments(cypher[first.pos:last.end]) if seg.kind != "comment")
        columns.append(text.strip())
    return columns


def with_columns_as_written(result: QueryResult, cypher: str) -> QueryResult:
    """`result` with its columns renamed as the user wrote them (see `return_columns`).

    Left as the engine named them when the RETURN cannot be read or the counts differ.
    """
    try:
        columns = return_columns(cypher)
    except QueryError:
        return result
    if columns is None or len(columns) != len(result.columns) or columns == result.columns:
        return result
    return QueryResult(columns=columns, rows=result.rows)


def split_statement(cypher: str) -> str:
    """The query without a trailing `;` (as a .cypher file ends); refuse a second statement.

    Raises
    ------
    QueryError
        "one statement per query" naming the `;` that starts the second one.
    """
    toks = tokens(cypher)
    semis = [t for t in toks if t.kind == "punct" and t.value == ";"]
    if not semis:
        return cypher
    last_code = toks[-1]
    for semi in semis:
        if semi is not last_code:
            line, col = line_col(cypher, semi.pos)
            raise QueryError(f"one statement per query: a second one follows the ';' at line {line}, col {col}")
    return cypher[:last_code.pos] + cypher[last_code.pos + 1:]
