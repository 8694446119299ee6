"""Doc -> `Extraction`: the only reader of our `._` attributes and span groups.

Offsets are mapped back to the `title` or `abstract` field; one `Entity` per key with all its
mentions; spaCy objects never leave this module.

The output is built as plain dicts and validated once by `Extraction` (pydantic validates the
nested entities, mentions and results in one call, ~3x faster than a model object per item), and
spans are read as plain rows and TokenView offsets rather than Span objects.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from spacy.tokens import Doc

from extractors.calibration import CalibrationModel, calibrated_confidence, load_model
from extractors.components.entities import SPAN_KEY
from extractors.components.sentences import SentenceIndex
from extractors.components.view import TokenView, span_rows, token_view
from schema import Entity, Extraction

ROLE_PRIORITY = {"proposed": 5, "compared": 4, "evaluated_on": 3, "used": 2, "reported": 1, "mentioned": 0}
_CALIBRATED_MAX = 65536


def _field_offsets(doc: Doc, start: int, end: int) -> tuple[str, int, int] | None:
    """(field, start, end) of a char range, or None if it straddles the title/abstract seam."""
    title_end = doc._.kg_title_chars
    abstract_start = doc.user_data.get("kg_abstract_start", title_end)
    if end <= title_end:
        return "title", start, end
    if start >= abstract_start:
        return "abstract", start - abstract_start, end - abstract_start
    return None


def _char_bounds(view: TokenView, start: int, end: int) -> tuple[int, int]:
    """`(span.start_char, span.end_char)` of `doc[start:end]` without building the Span."""
    if start < end:
        return view.idx[start], view.idx[end - 1] + len(view.words[end - 1])
    at = view.idx[start] if start < view.n else len(view.text)
    return at, at


def _token_at(view: TokenView, char: int) -> int:
    """`doc.char_span(char, ..., alignment_mode="expand").start` for a char inside the text."""
    t = bisect_right(view.idx, char) - 1
    return t + 1 if char == view.idx[t] + len(view.words[t]) else t


def _sentences(doc: Doc, view: TokenView, title_end: int, abstract_start: int) -> list[str]:
    """Evidence text per sentence (clipped to its field)."""
    texts = []
    full = view.text
    for start, end in SentenceIndex(doc).bounds:
        s, e = _char_bounds(view, start, end)
        if s < title_end:
            e = min(e, title_end)
        else:
            s = max(s, abstract_start)
        texts.append(full[s:e].strip())
    return texts


class _Calibrated:
    """`calibrated_confidence` per distinct feature tuple: it depends only on the entity's
    source, raw score, label, mention count (1, 2, 3+), role and whether it is in the title,
    and those repeat across papers. Emptied when the packaged model object changes."""

    def __init__(self) -> None:
        self.model: CalibrationModel | None = None
        self.values: dict[tuple[Any, ...], float] = {}

    def __call__(self, ent: dict[str, Any], source: str) -> float:
        model = load_model()
        if model is not self.model or len(self.values) >= _CALIBRATED_MAX:
            self.model, self.values = model, {}
        mentions = ent["mentions"]
        in_title = any(m["field"] == "title" for m in mentions)
        key = (source, ent["confidence"], ent["label"], min(len(mentions), 3), ent["role"], in_title)
        value = self.values.get(key)
        if value is None:
            value = self.values[key] = calibrated_confidence(Entity(**ent), source, ent["confidence"])
        return value


_calibrated = _Calibrated()


def doc_to_extraction(doc: Doc, paper_id: str, title: str, efficiency: frozenset[str] = frozenset()) -> Extraction:
    """Convert an annotated Doc into the extraction contract.

    Efficiency quantities (latency, FLOPs, ...) count as metrics only when the paper reports a
    number for them (the annotation guideline's rule), so those without a result are dropped.
    """
    ext = doc._
    view = token_view(doc)
    full = view.text
    title_end = ext.kg_title_chars
    abstract_start = doc.user_data.get("kg_abstract_start", title_end)
    sentences = _sentences(doc, view, title_end, abstract_start)
    sent_index = SentenceIndex(doc).index
    rows = span_rows(doc, SPAN_KEY)
    attrs = doc.spans[SPAN_KEY].attrs if rows else {}
    n = len(rows)
    keys = attrs["key"] if "key" in attrs else [r[3] for r in rows]
    confs = attrs["confidence"] if "confidence" in attrs else [0.5] * n
    roles = attrs["role"] if "role" in attrs else ["mentioned"] * n
    sources = attrs["source"] if "source" in attrs else ["unknown"] * n

    entities: dict[tuple[str, str], dict[str, Any]] = {}
    span_entity: dict[int, dict[str, Any]] = {}
    # (label, key) -> (raw score, source) of the entity's best span, first on ties, over every
    # span (as calibration.entity_evidence): ent["confidence"] is still that raw score below
    evidence: dict[tuple[str, str], tuple[float, str]] = {}
    for i, (start, end, label, name, _) in enumerate(rows):
        ek = (label, keys[i])
        conf = confs[i]
        best = evidence.get(ek)
        if best is None or conf > best[0]:
            evidence[ek] = (conf, sources[i])
        start_char, end_char = _char_bounds(view, start, end)
        if end_char <= title_end:
            field, fs, fe = "title", start_char, end_char
        elif start_char >= abstract_start:
            field, fs, fe = "abstract", start_char - abstract_start, end_char - abstract_start
        else:
            continue  # straddles the title/abstract seam
        text = full[start_char:end_char]
        mention = {"field": field, "start": fs, "end": fe, "text": text, "sentence": sent_index(start)}
        ent = entities.get(ek)
        if ent is None:
            ent = entities[ek] = {"label": label, "name": name, "key": keys[i], "text": text, "aliases": [],
                                  "role": roles[i], "confidence": conf, "mentions": [mention]}
        else:
            ent["mentions"].append(mention)
            ent["confidence"] = max(ent["confidence"], conf)
            if ROLE_PRIORITY[roles[i]] > ROLE_PRIORITY[ent["role"]]:
                ent["role"] = roles[i]
        if text != ent["name"] and text not in ent["aliases"]:
            ent["aliases"].append(text)
        span_entity[i] = ent
    for ek, ent in entities.items():
        ent["confidence"] = _calibrated(ent, evidence.get(ek, (0.0, "unknown"))[1])

    results = []
    for start, end, value, unit, mi, di, pi in ext.kg_results:
        metric = span_entity.get(mi)
        if metric is None:
            continue
        if end <= title_end:
            field, fs, fe = "title", start, end
        elif start >= abstract_start:
            field, fs, fe = "abstract", start - abstract_start, end - abstract_start
        else:
            continue
        dataset, method = span_entity.get(di), span_entity.get(pi)
        results.append({
            "metric": metric["key"], "value": value, "unit": unit,
            "dataset": dataset["key"] if dataset is not None else None,
            "method": method["key"] if method is not None else None,
            "field": field, "start": fs, "end": fe, "text": full[start:end],
            "sentence": sent_index(_token_at(view, start)),
        })
    measured = {r["metric"] for r in results}
    for ek, ent in list(entities.items()):
        if ent["label"] == "METRIC" and ent["name"] in efficiency and ent["key"] not in measured:
            del entities[ek]
    relations, seen = [], set()
    for i, parent_name, parent_key in ext.kg_variants:
        child = span_entity.get(i)
        if child is not None and (child["label"], child["key"]) in entities:
            rel = (child["key"], parent_key, child["label"], parent_name)
            if rel not in seen:
                seen.add(rel)
                relations.append({"type": "VARIANT_OF", "source": child["key"], "target": parent_key,
                                  "label": child["label"], "target_name": parent_name})
    return Extraction(id=paper_id, title=title, entities=list(entities.values()),
                      results=results, relations=relations, sentences=sentences)
