"""`kg_variants`: link a numbered or prefixed variant to its family (Jina-ColBERT-v2 -> ColBERT,
ResNet-50 -> ResNet, ImageNet-1K -> ImageNet). BiBERT is not a variant of BERT: only whole
hyphen/space-separated parts count. Stored in `Doc._.kg_variants` as
(span_idx, parent_name, parent_key) tuples.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.entities import SPAN_KEY
from extractors.components.names import is_coined
from extractors.lexicon import Lexicon, load_lexicon
from extractors.normalize import normalize_key

if not Doc.has_extension("kg_variants"):
    Doc.set_extension("kg_variants", default=())


def family_forms(text: str) -> list[str]:
    """Contiguous sub-names of a hyphen/space-separated name, longest first (excluding itself)."""
    parts = [p for p in text.replace(" ", "-").split("-") if p]
    forms = []
    for size in range(len(parts) - 1, 0, -1):
        for i in range(len(parts) - size + 1):
            forms.append("-".join(parts[i : i + size]))
    return forms


def find_variants(doc: Doc, lexicon: Lexicon) -> tuple[tuple[int, str, str], ...]:
    if SPAN_KEY not in doc.spans:
        return ()
    group = doc.spans[SPAN_KEY]
    keys = group.attrs.get("key", [normalize_key(s.kb_id_) for s in group])
    local = {}
    for i, s in enumerate(group):
        local.setdefault((s.label_, s.text), i)
    out = []
    seen = set()
    for i, span in enumerate(group):
        # only coined, hyphen-joined names: "Swin Transformer" is not a variant of "transformer"
        if span.label_ not in ("METHOD", "DATASET") or "-" not in span.text or " " in span.text:
            continue
        for form in family_forms(span.text):
            if sum(c.isalpha() for c in form) < 2 or form in lexicon.stop_names or not is_coined(form):
                continue
            j = local.get((span.label_, form))
            if j is not None:
                parent_name, parent_key = group[j].kb_id_, keys[j]
            else:
                term = lexicon.lookup(form)
                if term is None or term.label != span.label_ or not term.exact:
                    continue
                parent_name, parent_key = term.canonical, normalize_key(term.canonical)
            if parent_key != keys[i] and (keys[i], parent_key) not in seen:
                seen.add((keys[i], parent_key))
                out.append((i, parent_name, parent_key))
            break
    return tuple(out)


class VariantLinker:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> Doc:
        doc._.kg_variants = find_variants(doc, self.lexicon)
        return doc


@Language.factory("kg_variants", assigns=["doc._.kg_variants"], requires=["doc.spans"],
                  default_config={"terms_path": None})
def make_variant_linker(nlp: Language, name: str, terms_path: str | None) -> VariantLinker:
    return VariantLinker(load_lexicon(terms_path))
