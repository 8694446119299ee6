"""Plain-text reader: a title line, then an abstract line, repeated; blank lines ignored.

The format comes from web dumps, which can hold boilerplate lines ("Get trending papers in your
email inbox!"). A line pair is only a paper when the second line reads as the abstract of the
first: prose (it ends or contains a sentence), of any length, except that after a "title" that
is itself a sentence (ends with "." or "!") it must be longer than it or long enough to be an
abstract on its own (150 characters or 25 words). There is no minimum
length, as in every other reader (`records.make_paper` keeps any non-empty abstract), so a
one-sentence abstract is read here as in JSON. Other lines are reported and skipped, never
turned into fake papers; a long prose line with no title line before it is kept as a paper
without a title (a warning). Lines are told apart by cheap string tests only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from kg.ingest.base import WHITESPACE_ONLY, IssueCallback, fail_file, file_reader, iter_lines
from kg.ingest.clean import clean_text, preview, strip_subscribe_prefix
from kg.ingest.records import make_paper
from schema.paper import Paper, ReadIssue

#: a prose line this long (characters) or this long (words) is an abstract even with no title
#: line before it (a title lost in the dump); after a title line, any prose longer than it is
STANDALONE_MIN_CHARS = 150
STANDALONE_MIN_WORDS = 25
#: a title at most this long
TITLE_MAX_CHARS = 300

NOT_A_PAIR = "not a title followed by an abstract"

_SENTENCE_ENDS = (".", "!", "?", '."', ".'", ".)")
_INNER_SENTENCE_ENDS = (". ", "! ", "? ")


def is_prose(line: str) -> bool:
    """True for a line that ends, or holds, a sentence (`line` is whitespace-normalised)."""
    return line.endswith(_SENTENCE_ENDS) or any(end in line for end in _INNER_SENTENCE_ENDS)


def looks_like_abstract(line: str, title: str | None = None) -> bool:
    """True for prose that is an abstract on its own (`STANDALONE_MIN_CHARS` or
    `STANDALONE_MIN_WORDS` long), or, after a `title` line, for any prose at all, unless that
    "title" is itself a sentence (ends with "." or "!", as "Get trending papers in your email
    inbox once a day!" does) and the line is shorter than it."""
    if not is_prose(line):
        return False
    if len(line) >= STANDALONE_MIN_CHARS or line.count(" ") + 1 >= STANDALONE_MIN_WORDS:
        return True
    return title is not None and (len(line) > len(title) or not title.endswith((".", "!")))


def looks_like_title(line: str) -> bool:
    """True for a non-empty line short enough to be a title."""
    return 0 < len(line) <= TITLE_MAX_CHARS


def _parse_txt(stream: BinaryIO, name: str, on_issue: IssueCallback, seen: set[str]) -> Iterator[Paper]:
    """Pair each title-like line with the abstract-like line after it; report everything else."""

    def reject(lineno: int, text: str) -> None:
        on_issue(ReadIssue(file=name, line=lineno, reason=f"{NOT_A_PAIR}: {preview(text)}"))

    pending: tuple[int, str] | None = None  # (line number, text) of a title awaiting its abstract
    after_unreadable = False  # the last non-blank line was invalid UTF-8 (already reported)
    content = False
    for lineno, raw in iter_lines(stream, name, on_issue):
        content = content or raw is None or not raw.isspace()
        if raw is None:  # one record, one issue: an unreadable line takes its partner with it
            after_unreadable = pending is None
            pending = None
            continue
        text = clean_text(raw)
        if not text:
            continue
        if after_unreadable:
            after_unreadable = False
            if looks_like_abstract(text):  # the abstract of an unreadable title
                continue
        if pending is not None:
            if looks_like_abstract(text, pending[1]):
                title_line, title = pending
                pending = None
                paper = make_paper(
                    {"title": strip_subscribe_prefix(title), "abstract": text},
                    file=name, line=title_line, source="txt", on_issue=on_issue, seen=seen,
                )
                if paper is not None:
                    yield paper
                continue
            reject(*pending)
            pending = None
        if looks_like_title(text):
            pending = (lineno, text)
        elif looks_like_abstract(text):  # kept, with a "missing title" warning
            paper = make_paper({"abstract": text}, file=name, line=lineno, source="txt", on_issue=on_issue, seen=seen)
            if paper is not None:
                yield paper
        else:
            reject(lineno, text)
    if pending is not None:
        reject(*pending)
    if not content:
        raise fail_file(WHITESPACE_ONLY)


read_txt = file_reader(_parse_txt)
