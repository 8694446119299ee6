"""What each output can hold: the one place that makes paper text safe for a file or a terminal.

Text from papers may carry anything Python strings can: NUL and other C0 controls, U+FFFE/U+FFFF,
lone surrogates (from `surrogateescape` or broken JSON escapes), ANSI escape sequences. Every
writer passes its text through the policy of its format; readers are not relied on to have
cleaned it.

- `xml_text`: XML 1.0 (GraphML, GEXF, HTML pages) cannot hold C0 controls other than tab,
  line feed and carriage return, U+FFFE/U+FFFF or surrogates, not even as `&#...;` references.
  Each such character becomes U+FFFD (REPLACEMENT CHARACTER).
- `utf8_text`: JSON, JSON Lines and CSV hold every character except lone surrogates, which no
  UTF-8 file can encode; each becomes U+FFFD. (JSON writers escape controls themselves.)
- `terminal`: tables and messages for people show control characters, surrogates, bidi overrides
  and line separators as visible Python escapes (`SQuAD\\x1b[31m` prints as the text
  `SQuAD\\x1b[31m`, it never turns the terminal red), and `rich` markup in data as text.
  `SafeConsole` applies the control-character part to everything it prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.text import Text

__all__ = ["REPLACEMENT", "SafeConsole", "deep", "escape_controls", "terminal", "utf8_text", "xml_text"]

#: what a character a format cannot hold becomes
REPLACEMENT = "\ufffd"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: C0/C1 controls, DEL, surrogates, bidi embeddings/overrides/isolates, line/paragraph separators
_UNSAFE_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
_UNSAFE_TERMINAL_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by U+FFFD.

    >>> xml_text("a\\x00b\\x1bc\\uffffd\\ud800e\\tf")
    'a\\ufffdb\\ufffdc\\ufffdd\\ufffde\\tf'
    """
    return _NOT_XML.sub(REPLACEMENT, text) if not text.isprintable() or not text.isascii() else text


def utf8_text(text: str) -> str:
    """`text` with lone surrogates (which UTF-8 cannot encode) replaced by U+FFFD."""
    return text if text.isascii() else _SURROGATE.sub(REPLACEMENT, text)


def deep(value: Any, fn: Callable[[str], str]) -> Any:
    """`fn` applied to every string in a value, inside lists, tuples, sets and dict keys/values."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, (list, tuple)):
        items = [deep(v, fn) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, (set, frozenset)):
        return {deep(v, fn) for v in value}
    if isinstance(value, dict):
        return {deep(k, fn): deep(v, fn) for k, v in value.items()}
    return value


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, keep_lines: bool = False) -> str:
    """Control characters (and surrogates, bidi controls) as visible Python escapes.

    `keep_lines` keeps tab and line feed (for whole messages and reports that are laid out with
    them); data values are escaped completely.

    >>> escape_controls("SQuAD\\x1b[31m")
    'SQuAD\\\\x1b[31m'
    """
    pattern = _UNSAFE_TERMINAL_KEEP_LINES if keep_lines else _UNSAFE_TERMINAL
    return pattern.sub(_visible, text)


def terminal(value: Any) -> str:
    """A data value (paper title, entity name, file name...) as text to put in a table or message:
    controls escaped, `rich` markup shown as written (`[/b]` in a title is text, not a tag)."""
    return _escape_markup(escape_controls("" if value is None else str(value)))


class SafeConsole(Console):
    """A rich Console that never sends a control character from its text to the terminal.

    Everything printed (messages, table cells, titles) goes through `render_str`; the text is
    escaped there before markup is parsed, so escape sequences in paper text or file names show
    as text. Data values should still go through `terminal` so brackets are not read as markup.
    """

    def render_str(self, text: str, *args: Any, **kwargs: Any) -> Text:  # type: ignore[override]
        return super().render_str(escape_controls(text, keep_lines=True), *args, **kwargs)
