"""Doc -> `Extraction`: the only reader of our `._` attributes and span groups.

Offsets are mapped back to the `title` or `abstract` field; one `Entity` per key with all its
mentions; spaCy objects never leave this module.
"""

from __future__ import annotations

from spacy.tokens import Doc

from extractors.calibration import calibrated_confidence, entity_evidence
from extractors.components.entities import SPAN_KEY
from extractors.components.sentences import SentenceIndex, doc_text
from schema import Entity, Extraction, Mention, Relation, ResultRecord

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


def _sentences(doc: Doc) -> tuple[list[str], list[int]]:
    """Evidence text per sentence (clipped to its field) and each sentence's start token."""
    texts, starts = [], []
    full = doc_text(doc)
    title_end = doc._.kg_title_chars
    abstract_start = doc.user_data.get("kg_abstract_start", title_end)
    for start, end in SentenceIndex(doc).bounds:
        sent = doc[start:end]
        s, e = sent.start_char, sent.end_char
        if s < title_end:
            e = min(e, title_end)
        else:
            s = max(s, abstract_start)
        texts.append(full[s:e].strip())
        starts.append(sent.start)
    return texts, starts


def doc_to_extraction(doc: Doc, paper_id: str, title: str, efficiency: frozenset[str] = frozenset()) -> Extraction:
    """Convert an annotated Doc into the extraction contract.

    Efficiency quantities (latency, FLOPs, ...) count as metrics only when the paper reports a
    number for them (the annotation guideline's rule), so those without a result are dropped.
    """
    sentences, sent_starts = _sentences(doc)
    group = doc.spans[SPAN_KEY] if SPAN_KEY in doc.spans else []
    attrs = group.attrs if SPAN_KEY in doc.spans else {}
    n = len(group)
    keys = attrs.get("key", [s.kb_id_ for s in group])
    confs = attrs.get("confidence", [0.5] * n)
    roles = attrs.get("role", ["mentioned"] * n)

    def sent_index(token_i: int) -> int:
        lo, hi = 0, len(sent_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if sent_starts[mid] <= token_i:
                lo = mid
            else:
                hi = mid - 1
        return lo

    entities: dict[tuple[str, str], Entity] = {}
    span_entity: dict[int, Entity] = {}
    full = doc_text(doc)
    title_end = doc._.kg_title_chars
    abstract_start = doc.user_data.get("kg_abstract_start", title_end)
    for i, span in enumerate(group):
        start_char, end_char = span.start_char, span.end_char
        if end_char <= title_end:
            field, start, end = "title", start_char, end_char
        elif start_char >= abstract_start:
            field, start, end = "abstract", start_char - abstract_start, end_char - abstract_start
        else:
            continue  # straddles the title/abstract seam
        text = full[start_char:end_char]  # Span.text rebuilds the string token by token
        mention = Mention(field=field, start=start, end=end, text=text, sentence=sent_index(span.start))
        ent = entities.get((span.label_, keys[i]))
        if ent is None:
            ent = entities[(span.label_, keys[i])] = Entity(
                label=span.label_, name=span.kb_id_, key=keys[i], text=text,
                aliases=[], role=roles[i], confidence=confs[i], mentions=[mention],
            )
        else:
            ent.mentions.append(mention)
            ent.confidence = max(ent.confidence, confs[i])
            if ROLE_PRIORITY[roles[i]] > ROLE_PRIORITY[ent.role]:
                ent.role = roles[i]
        if text != ent.name and text not in ent.aliases:
            ent.aliases.append(text)
        span_entity[i] = ent
    sources = entity_evidence(doc)  # ent.confidence is still the best span's raw score here
    for k, ent in entities.items():
        ent.confidence = calibrated_confidence(ent, sources.get(k, (0.0, "unknown"))[1], ent.confidence)
    results = []
    for start, end, value, unit, mi, di, pi in doc._.kg_results:
        where = _field_offsets(doc, start, end)
        if where is None or mi not in span_entity:
            continue
        field, fs, fe = where
        results.append(ResultRecord(
            metric=span_entity[mi].key, value=value, unit=unit,
            dataset=span_entity[di].key if di in span_entity else None,
            method=span_entity[pi].key if pi in span_entity else None,
            field=field, start=fs, end=fe, text=full[start:end],
            sentence=sent_index(doc.char_span(start, end, alignment_mode="expand").start),
        ))
    measured = {r.metric for r in results}
    for k, ent in list(entities.items()):
        if ent.label == "METRIC" and ent.name in efficiency and ent.key not in measured:
            del entities[k]
    relations = []
    for i, parent_name, parent_key in doc._.kg_variants:
        if i in span_entity and (span_entity[i].label, span_entity[i].key) in entities:
            child = span_entity[i]
            rel = Relation(type="VARIANT_OF", source=child.key, target=parent_key, label=child.label,
                           target_name=parent_name)
            if rel not in relations:
                relations.append(rel)
    return Extraction(id=paper_id, title=title, entities=list(entities.values()),
                      results=results, relations=relations, sentences=sentences)
