"""Doc -> `Extraction`: the only reader of our `._` attributes and span groups.

Offsets are mapped back to the `title` or `abstract` field; one `Entity` per key with all its
mentions; spaCy objects never leave this module.

The output is built as plain dicts and validated once by `Extraction` (pydantic validates the
nested entities, mentions and results in one call, ~3x faster than a model object per item), and
spans are read as plain rows and TokenView offsets rather than Span objects.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import count
from typing import Any

from spacy.tokens import Doc

from extractors.calibration import CalibrationModel, best_evidence, calibrated_confidence, load_model
from extractors.components.entities import kg_columns
from extractors.components.results import char_span_tokens
from extractors.components.sentences import SentenceIndex
from extractors.components.view import TokenView, doc_extension, token_view
from extractors.memo import MEMO_SIZE
from schema import Entity, Extraction

ROLE_PRIORITY = {"proposed": 5, "compared": 4, "evaluated_on": 3, "used": 2, "reported": 1, "mentioned": 0}


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


def _sentences(view: TokenView, bounds: tuple[tuple[int, int], ...], title_end: int,
               abstract_start: int) -> list[str]:
    """Evidence text per sentence (clipped to its field)."""
    texts = []
    full, idx, words = view.text, view.idx, view.words
    for start, end in bounds:
        if start < end:
            s, e = idx[start], idx[end - 1] + len(words[end - 1])
        else:
            s, e = _char_bounds(view, start, end)
        if s < title_end:
            if e > title_end:
                e = title_end
        elif s < abstract_start:
            s = abstract_start
        texts.append(full[s:e].strip())
    return texts


Key = tuple[str, str]
"""(label, key) of an entity."""


_NO_EVIDENCE = (0.0, "unknown")


class _Calibration:
    """`calibrated_confidence` memoised per distinct feature tuple: it depends only on the
    entity's source, raw score, label, mention count (1, 2, 3+), role and whether it is in the
    title, and those repeat across papers. Emptied when the packaged model object changes."""

    def __init__(self) -> None:
        self.model: CalibrationModel | None = None
        self.memo: dict[tuple[Any, ...], float] = {}

    def apply(self, entities: dict[Key, dict[str, Any]], evidence: dict[Key, tuple[float, str]],
              titled: set[Key]) -> None:
        """Replace each entity's raw score (its best span's) with its calibrated confidence."""
        model = load_model()
        if model is not self.model or len(self.memo) >= MEMO_SIZE:
            self.model, self.memo = model, {}
        memo = self.memo
        for ek, ent in entities.items():
            source = evidence.get(ek, _NO_EVIDENCE)[1]
            raw = ent["confidence"]
            mentions = len(ent["mentions"])
            key = (source, raw, ent["label"], mentions if mentions < 3 else 3, ent["role"], ek in titled)
            value = memo.get(key)
            if value is None:
                value = memo[key] = calibrated_confidence(Entity(**ent), source, raw)
            ent["confidence"] = value


_calibration = _Calibration()


def _entities(doc: Doc, view: TokenView, sent_starts: list[int], title_end: int, abstract_start: int
              ) -> tuple[dict[Key, dict[str, Any]], dict[int, dict[str, Any]]]:
    """One entity (as the fields of `Entity`) per (label, key) of the `kg` spans, with all its
    mentions, and the entity of each span index (spans straddling the title/abstract seam have none)."""
    rows, keys, confs, roles, sources = kg_columns(doc)
    full, idx, words = view.text, view.idx, view.words
    priority = ROLE_PRIORITY

    entities: dict[Key, dict[str, Any]] = {}
    span_entity: dict[int, dict[str, Any]] = {}
    titled: set[Key] = set()  # entities with a mention in the title
    entity_keys = list(zip([r[2] for r in rows], keys))
    # (raw score, source) of each entity's best span, over every span (also those straddling the seam)
    evidence = best_evidence(entity_keys, confs, sources)
    # the attrs lists run parallel to the rows
    for i, (start, end, _, name, _), ek, conf, role in zip(count(), rows, entity_keys, confs, roles):
        if start < end:
            start_char, end_char = idx[start], idx[end - 1] + len(words[end - 1])
        else:
            start_char, end_char = _char_bounds(view, start, end)
        text = full[start_char:end_char]
        sentence = bisect_right(sent_starts, start) - 1
        if sentence < 0:
            sentence = 0
        if end_char <= title_end:
            mention = {"field": "title", "start": start_char, "end": end_char, "text": text, "sentence": sentence}
            titled.add(ek)
        elif start_char >= abstract_start:
            mention = {"field": "abstract", "start": start_char - abstract_start, "end": end_char - abstract_start,
                       "text": text, "sentence": sentence}
        else:
            continue  # straddles the title/abstract seam
        ent = entities.get(ek)
        if ent is None:
            ent = entities[ek] = {"label": ek[0], "name": name, "key": ek[1], "text": text,
                                  "aliases": [] if text == name else [text], "role": role, "confidence": conf,
                                  "mentions": [mention]}
        else:
            ent["mentions"].append(mention)
            if conf > ent["confidence"]:
                ent["confidence"] = conf
            if priority[role] > priority[ent["role"]]:
                ent["role"] = role
            if text != ent["name"] and text not in ent["aliases"]:
                ent["aliases"].append(text)
        span_entity[i] = ent
    _calibration.apply(entities, evidence, titled)
    return entities, span_entity


def _fold_into(ent: dict[str, Any], into: dict[str, Any]) -> None:
    """Make entity `ent` part of `into`: its mentions, its spellings as aliases, the stronger role."""
    into["mentions"] = sorted(into["mentions"] + ent["mentions"], key=lambda m: (m["field"] != "title", m["start"]))
    for form in (ent["name"], *ent["aliases"]):
        if form != into["name"] and form not in into["aliases"]:
            into["aliases"].append(form)
    if ROLE_PRIORITY[ent["role"]] > ROLE_PRIORITY[into["role"]]:
        into["role"] = ent["role"]


def _merge_task_variants(entities: dict[Key, dict[str, Any]]) -> None:
    """A task named as another task of the paper with modifiers before it ("real-time semantic
    segmentation", "open-vocabulary object detection") is that task: one entity, the longer form
    an alias (GOLD_GUIDELINE's convention). Not when the paper introduces it, nor when two tasks
    refine the same one ("binary change detection", "semantic change detection"): those are kinds."""
    tasks = {ek[1]: ek for ek in entities if ek[0] == "TASK"}
    if len(tasks) < 2:
        return
    base_of: dict[str, str] = {}
    children: dict[str, int] = {}
    for key in tasks:
        words = key.split()
        base = next((b for b in (" ".join(words[i:]) for i in range(1, len(words))) if b in tasks), None)
        if base is not None:
            base_of[key] = base
            children[base] = children.get(base, 0) + 1
    for key in sorted(base_of, key=len, reverse=True):
        ent, into = entities[tasks[key]], entities[tasks[base_of[key]]]
        if ent["role"] == "proposed" or children[base_of[key]] > 1:
            continue
        _fold_into(ent, into)
        if ent["confidence"] > into["confidence"]:
            into["confidence"] = ent["confidence"]
        del entities[tasks[key]]


def _merge_bare_metric(entities: dict[Key, dict[str, Any]], span_entity: dict[int, dict[str, Any]]) -> None:
    """A one-word metric ("accuracy") in a paper that names exactly one metric ending in it ("top-1
    accuracy") is that metric: one entity, the bare word an alias (as the gold guideline has it),
    and its numbers are reported in the named metric."""
    metrics = {ek[1]: ek for ek in entities if ek[0] == "METRIC"}
    for key, ek in list(metrics.items()):
        if " " in key:
            continue
        longer = [k for k in metrics if k != key and k.endswith(" " + key)]
        if len(longer) != 1:
            continue
        ent, into = entities[ek], entities[metrics[longer[0]]]
        _fold_into(ent, into)
        del entities[ek]
        for i, e in span_entity.items():
            if e is ent:
                span_entity[i] = into


def _results(found: tuple[tuple, ...], view: TokenView, span_entity: dict[int, dict[str, Any]],
             sent_starts: list[int], title_end: int, abstract_start: int) -> list[dict[str, Any]]:
    """`Doc._.kg_results` as the fields of `ResultRecord`, for numbers whose metric has an entity."""
    results = []
    for start, end, value, unit, mi, di, pi, relative, spread in found:
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
            "metric": metric["key"], "value": value, "unit": unit, "relative": relative, "spread": spread,
            "dataset": dataset["key"] if dataset is not None else None,
            "method": method["key"] if method is not None else None,
            "field": field, "start": fs, "end": fe, "text": view.text[start:end],
            "sentence": max(0, bisect_right(sent_starts, char_span_tokens(view, start, end)[0]) - 1),
        })
    return results


def _relations(variants: tuple[tuple, ...], span_entity: dict[int, dict[str, Any]],
               entities: dict[Key, dict[str, Any]]) -> list[dict[str, Any]]:
    """VARIANT_OF relations (as the fields of `Relation`) from kept entities, each once."""
    relations, seen = [], set()
    for i, parent_name, parent_key in variants:
        child = span_entity.get(i)
        if child is not None and (child["label"], child["key"]) in entities:
            rel = (child["key"], parent_key, child["label"], parent_name)
            if rel not in seen:
                seen.add(rel)
                relations.append({"type": "VARIANT_OF", "source": child["key"], "target": parent_key,
                                  "label": child["label"], "target_name": parent_name})
    return relations


def doc_to_extraction(doc: Doc, paper_id: str, title: str, efficiency: frozenset[str] = frozenset()) -> Extraction:
    """Convert an annotated Doc into the extraction contract.

    Efficiency quantities (latency, FLOPs, ...) count as metrics only when the paper reports a
    number for them (the annotation guideline's rule), so those without a result are dropped.
    """
    view = token_view(doc)
    title_end = doc_extension(doc, "kg_title_chars")
    abstract_start = doc.user_data.get("kg_abstract_start", title_end)
    sents = SentenceIndex(doc)
    sentences = _sentences(view, sents.bounds, title_end, abstract_start)
    entities, span_entity = _entities(doc, view, sents.starts, title_end, abstract_start)
    _merge_task_variants(entities)
    _merge_bare_metric(entities, span_entity)
    results = _results(doc_extension(doc, "kg_results"), view, span_entity, sents.starts, title_end, abstract_start)
    if efficiency:
        measured = {r["metric"] for r in results}
        for ek, ent in list(entities.items()):
            if ent["label"] == "METRIC" and ent["name"] in efficiency and ent["key"] not in measured:
                del entities[ek]
    relations = _relations(doc_extension(doc, "kg_variants"), span_entity, entities)
    return Extraction(id=paper_id, title=title, entities=list(entities.values()),
                      results=results, relations=relations, sentences=sentences)
