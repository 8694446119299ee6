"""`kg_phrases`: unlisted technique and task names built like listed ones, found by their head word
("iterative layer pruning", "ternary quantization", "KV cache compression").

Without a tagger we cannot chunk noun phrases, so a phrase is one or two modifier words in front
of a head word from `cues.json` (`phrase_method_heads` / `phrase_task_heads`); modifiers are plain
lower-case (or hyphenated) words that are not stop words, adverbs or generic adjectives. Spans go to
`doc.spans["kg_phrases"]` labelled METHOD or TASK.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.lexicon import Lexicon, load_lexicon

SPAN_KEY = "kg_phrases"
MAX_MODIFIERS = 2


def _modifier_end(doc: Doc, i: int, blocked: frozenset[str]) -> int | None:
    """Start token of the modifier word ending at token i (handles "global-local"), or None."""
    tok = doc[i]
    if not tok.whitespace_:
        return None
    start = i
    while start >= 2 and doc[start - 1].text == "-" and not doc[start - 1].whitespace_ and not doc[start - 2].whitespace_:
        start -= 2
    words = [t for t in doc[start : i + 1] if t.text != "-"]
    for t in words:
        text = t.text
        if (not t.is_alpha or t.is_stop or len(text) < 2 or text.lower() in blocked
                or text.endswith("ly") or (text.endswith("ing") and len(words) == 1)):
            return None
        if not (t.is_lower or (t.is_upper and len(text) <= 4)):
            return None
    return start


def phrase_spans(doc: Doc, lexicon: Lexicon) -> list[tuple[int, int, str]]:
    """(start, end, label) of head-word phrases with at least one modifier."""
    cues = lexicon.cues
    method_heads, task_heads = cues["phrase_method_heads"], cues["phrase_task_heads"]
    blocked = cues["phrase_blocked_modifiers"]
    out = []
    for i, tok in enumerate(doc):
        low = tok.lower_
        label = "METHOD" if low in method_heads else "TASK" if low in task_heads else None
        if label is None or not tok.is_lower:
            continue
        if i + 1 < len(doc) and doc[i + 1].text == "-" and not tok.whitespace_:
            continue  # "attention-based": the head is inside a compound
        start, k, mods = i, i - 1, 0
        while k >= 0 and mods < MAX_MODIFIERS:
            s = _modifier_end(doc, k, blocked)
            if s is None:
                break
            start, k, mods = s, s - 1, mods + 1
        if mods:
            out.append((start, i + 1, label))
    return out


class PhraseFinder:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[SPAN_KEY] = [Span(doc, s, e, label=lab) for s, e, lab in phrase_spans(doc, self.lexicon)]
        return doc


@Language.factory("kg_phrases", assigns=["doc.spans"], default_config={"terms_path": None})
def make_phrase_finder(nlp: Language, name: str, terms_path: str | None) -> PhraseFinder:
    return PhraseFinder(load_lexicon(terms_path))
