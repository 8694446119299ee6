"""`kg_variants`: link a numbered or prefixed variant to its family (Jina-ColBERT-v2 -> ColBERT,
ResNet-50 -> ResNet, ImageNet-1K -> ImageNet). BiBERT is not a variant of BERT: only whole
hyphen/space-separated parts count. Stored in `Doc._.kg_variants` as
(span_idx, parent_name, parent_key) tuples.

Reads plain rows (`span_rows`) and slices mention texts from the Doc's text; the per-form work
(whether a sub-name can be a family, its list look-up) depends only on strings and is cached,
since the same names recur across papers.
"""

from __future__ import annotations

import re

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.entities import SPAN_KEY
from extractors.components.names import is_coined
from extractors.components.view import BatchPipe, extension_key, span_rows, token_view
from extractors.lexicon import Lexicon, Term, load_lexicon
from extractors.memo import BoundedMemo
from extractors.normalize import normalize_key

if not Doc.has_extension("kg_variants"):
    Doc.set_extension("kg_variants", default=())

_NAMED = frozenset(("METHOD", "DATASET"))
_VARIANTS = extension_key("kg_variants")
_MISSING = object()
#: `VariantLinker.family_entry` of a sub-name that cannot name a family
_NOT_FAMILY = object()


#: a version glued to a coined name: "YOLOv8", "NYUDv2" (the family is the part before "v")
_GLUED_VERSION = re.compile(r"([A-Z][A-Za-z]*[A-Z][A-Za-z]*?)(v\d+(?:\.\d+)?)$")


def _parts(text: str) -> list[str]:
    """The hyphen/space-separated parts of a name (empty ones dropped)."""
    return [p for p in text.replace(" ", "-").split("-") if p]


def family_forms(text: str, sizes: Iterable[int] | None = None) -> list[str]:
    """Contiguous sub-names of a hyphen/space-separated name, longest first (excluding itself);
    with `sizes`, only the sub-names of that many parts."""
    return list(_sub_names(_parts(text), sizes))


def _sub_names(parts: list[str], sizes: Iterable[int] | None = None) -> Iterator[str]:
    """`family_forms` lazily, sliced from the joined name: a name of k parts has k^2/2 sub-names of
    up to k parts each, so only the sizes asked for are made (and only until the caller stops)."""
    k = len(parts)
    joined = "-".join(parts)
    starts = [0]  # char offset of each part in `joined`, and len(joined) + 1 past the last
    for part in parts:
        starts.append(starts[-1] + len(part) + 1)
    wanted = range(k - 1, 0, -1) if sizes is None else sorted({s for s in sizes if 0 < s < k}, reverse=True)
    for size in wanted:
        for i in range(k - size + 1):
            yield joined[starts[i] : starts[i + size] - 1]


class VariantLinker(BatchPipe):
    """Writes `doc._.kg_variants`; keeps the per-form checks across papers.

    A variant's family is the first of its sub-names (longest first, then leftmost) that is
    named in the same paper or is an exact list entry. Only sub-names with as many parts as some
    name in the paper or some list entry can be either, so only those are made: the work is
    linear in the length of a name, not cubic (a 5 KB "BERT-BERT-..." chain took 34 s)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        #: form -> `family_entry(form)`, kept across papers
        self.entries = BoundedMemo(self.family_entry)
        #: part counts of the list entries (an exact entry matches only a form of as many parts)
        self.list_sizes = frozenset(len(_parts(t.pattern)) for t in lexicon.terms if t.exact)

    def __call__(self, doc: Doc) -> Doc:
        # `doc._.kg_variants = ...` without building an Underscore object (a plain extension's
        # value lives in `doc.user_data`)
        doc.user_data[_VARIANTS] = self.find(doc)
        return doc

    def family_entry(self, form: str) -> Term | None | object:
        """Whether a sub-name could name a family (coined, at least two letters, not a stop name):
        `_NOT_FAMILY` if not, else its exact-spelling list entry (or None)."""
        lexicon = self.lexicon
        if sum(c.isalpha() for c in form) < 2 or form in lexicon.stop_names or not is_coined(form):
            return _NOT_FAMILY
        term = lexicon.lookup(form)
        return term if term is not None and term.exact else None

    def find(self, doc: Doc) -> tuple[tuple[int, str, str], ...]:
        """(span_idx, parent_name, parent_key) for each variant mention whose family is named in the
        same paper (same label) or in the lists."""
        rows = span_rows(doc, SPAN_KEY)
        if not rows:
            return ()
        view = token_view(doc)
        text, idx, words = view.text, view.idx, view.words
        names: list[str | None] = []  # text of each METHOD/DATASET mention, None for others
        variants = []  # (row, label, parts)
        for i, (start, end, label, _kb, _id) in enumerate(rows):
            if label in _NAMED:
                # a one-token span's text is its word (no slice)
                name = words[start] if end - start == 1 else text[idx[start] : idx[end - 1] + len(words[end - 1])]
                names.append(name)
                # only coined, hyphen-joined names: "Swin Transformer" is not a variant of "transformer"
                if "-" in name and " " not in name:
                    parts = _parts(name)
                    if len(parts) > 1:
                        variants.append((i, label, parts))
                elif " " not in name and (glued := _GLUED_VERSION.match(name)) is not None:
                    variants.append((i, label, [glued[1], glued[2]]))  # "YOLOv8" -> YOLO
            else:
                names.append(None)
        if not variants:
            return ()
        keys = doc.spans[SPAN_KEY].attrs.get("key", _MISSING)
        if keys is _MISSING:
            keys = [normalize_key(r[3]) for r in rows]
        local = {}  # (label, text) -> first mention
        sizes: dict[str, set[int]] = {}  # label -> part counts of its names here
        for i, name in enumerate(names):
            if name is not None:  # only METHOD/DATASET names are looked up
                label = rows[i][2]
                local.setdefault((label, name), i)
                sizes.setdefault(label, set()).add(name.count("-") + 1)
        entries, list_sizes = self.entries, self.list_sizes
        out = []
        seen = set()
        for i, label, parts in variants:
            for form in _sub_names(parts, sizes[label] | list_sizes):
                term = entries[form]
                if term is _NOT_FAMILY:
                    continue
                j = local.get((label, form))
                if j is not None:
                    parent_name, parent_key = rows[j][3], keys[j]
                elif term is None or term.label != label:
                    continue
                else:
                    parent_name, parent_key = term.canonical, normalize_key(term.canonical)
                pair = (keys[i], parent_key)
                if parent_key != keys[i] and pair not in seen:
                    seen.add(pair)
                    out.append((i, parent_name, parent_key))
                break
        return tuple(out)


@Language.factory("kg_variants", assigns=["doc._.kg_variants"], requires=["doc.spans"],
                  default_config={"terms_path": None})
def make_variant_linker(nlp: Language, name: str, terms_path: str | None) -> VariantLinker:
    return VariantLinker(load_lexicon(terms_path))
