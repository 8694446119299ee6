"""`kg_variants`: link a numbered or prefixed variant to its family (Jina-ColBERT-v2 -> ColBERT,
ResNet-50 -> ResNet, ImageNet-1K -> ImageNet). BiBERT is not a variant of BERT: only whole
hyphen/space-separated parts count. Stored in `Doc._.kg_variants` as
(span_idx, parent_name, parent_key) tuples.

Reads plain rows (`span_rows`) and slices mention texts from the Doc's text; the per-name work
(sub-names, which of them can be a family, list look-ups) depends only on strings and is cached,
since the same names recur across papers.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.entities import SPAN_KEY
from extractors.components.names import is_coined
from extractors.components.view import extension_key, span_rows, token_view
from extractors.lexicon import Lexicon, Term, load_lexicon
from extractors.memo import BoundedMemo
from extractors.normalize import normalize_key

if not Doc.has_extension("kg_variants"):
    Doc.set_extension("kg_variants", default=())

_NAMED = frozenset(("METHOD", "DATASET"))
_VARIANTS = extension_key("kg_variants")
_MISSING = object()


def family_forms(text: str) -> list[str]:
    """Contiguous sub-names of a hyphen/space-separated name, longest first (excluding itself)."""
    parts = [p for p in text.replace(" ", "-").split("-") if p]
    forms = []
    for size in range(len(parts) - 1, 0, -1):
        for i in range(len(parts) - size + 1):
            forms.append("-".join(parts[i : i + size]))
    return forms


class VariantLinker:
    """Writes `doc._.kg_variants`; keeps the per-name family candidates across papers."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        #: name -> `family_candidates(name)`, kept across papers
        self.families = BoundedMemo(self.family_candidates)

    def __call__(self, doc: Doc) -> Doc:
        # `doc._.kg_variants = ...` without building an Underscore object (a plain extension's
        # value lives in `doc.user_data`)
        doc.user_data[_VARIANTS] = self.find(doc)
        return doc

    def family_candidates(self, text: str) -> tuple[tuple[str, Term | None], ...]:
        """Sub-names of `text` (longest first) that could name its family: coined, at least two
        letters, not a stop name; each with its exact-spelling list entry (or None)."""
        lexicon = self.lexicon
        out = []
        for form in family_forms(text):
            if sum(c.isalpha() for c in form) < 2 or form in lexicon.stop_names or not is_coined(form):
                continue
            term = lexicon.lookup(form)
            out.append((form, term if term is not None and term.exact else None))
        return tuple(out)

    def find(self, doc: Doc) -> tuple[tuple[int, str, str], ...]:
        """(span_idx, parent_name, parent_key) for each variant mention whose family is named in the
        same paper (same label) or in the lists."""
        rows = span_rows(doc, SPAN_KEY)
        if not rows:
            return ()
        view = token_view(doc)
        text, idx, words = view.text, view.idx, view.words
        families = self.families
        names: list[str | None] = []  # text of each METHOD/DATASET mention, None for others
        variants = []  # (row, label, candidate family names)
        for i, (start, end, label, _kb, _id) in enumerate(rows):
            if label in _NAMED:
                # a one-token span's text is its word (no slice)
                name = words[start] if end - start == 1 else text[idx[start] : idx[end - 1] + len(words[end - 1])]
                names.append(name)
                # only coined, hyphen-joined names: "Swin Transformer" is not a variant of "transformer"
                if "-" in name and " " not in name:
                    forms = families[name]
                    if forms:
                        variants.append((i, label, forms))
            else:
                names.append(None)
        if not variants:
            return ()
        keys = doc.spans[SPAN_KEY].attrs.get("key", _MISSING)
        if keys is _MISSING:
            keys = [normalize_key(r[3]) for r in rows]
        local = {}  # (label, text) -> first mention
        for i, name in enumerate(names):
            if name is not None:  # only METHOD/DATASET names are looked up
                local.setdefault((rows[i][2], name), i)
        out = []
        seen = set()
        for i, label, forms in variants:
            for form, term in forms:
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
