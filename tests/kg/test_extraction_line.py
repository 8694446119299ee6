"""kg.build.extraction_line: one compact JSON line per extraction, holding exactly the data of
`model_dump(exclude sentences)` and reading back as the same record (non-finite values included)."""

from __future__ import annotations

import json
import math

from extractors import build_nlp, extract
from extractors.calibration import drop_below
from kg.build import SAMPLE_CORPUS, extraction_line
from kg.ingest import read_papers
from schema import Entity, Extraction, Mention, Relation, ResultRecord


def _same_data(extraction: Extraction) -> None:
    line = extraction_line(extraction)
    assert "\n" not in line
    assert json.loads(line) == extraction.model_dump(exclude={"sentences"})
    assert Extraction.model_validate_json(line) == extraction.model_copy(update={"sentences": []})


def test_line_holds_the_record_on_the_sample_corpus():
    papers = list(read_papers([SAMPLE_CORPUS]))[:80]
    for extraction in extract(papers, nlp=build_nlp()):
        _same_data(extraction)
        _same_data(drop_below(extraction, 0.8))


def test_line_is_compact_utf8_and_holds_awkward_values():
    mention = Mention(field="title", start=0, end=7, text='"a\\b"\n', sentence=0)
    ex = Extraction(
        id="p\u00e9", title="Caf\u00e9 \u2014 \U0001d4d0 \"quoted\" \\ tab\t",
        entities=[Entity(label="METRIC", name="F1", key="f1", text="F1", aliases=["F-1", "\u00b5F1"],
                         role="reported", confidence=1, mentions=[mention])],
        results=[ResultRecord(metric="f1", value=v, start=0, end=1) for v in (1e-07, 95, 1e16, -0.0)],
        relations=[Relation(type="VARIANT_OF", source="a", target="b")],
        sentences=["not written"],
    )
    _same_data(ex)
    line = extraction_line(ex)
    assert line.startswith('{"id":"p\u00e9","title":"Caf\u00e9 \u2014 \U0001d4d0')  # no \u escapes, no spaces
    assert "sentences" not in json.loads(line)
    _same_data(Extraction(id="e", title=""))


def test_line_keeps_non_finite_values_as_json_dumps_does():
    ex = Extraction(id="x", title="t", results=[ResultRecord(metric="m", value=v, start=0, end=1)
                                                for v in (math.inf, -math.inf, math.nan)])
    line = extraction_line(ex)
    assert "Infinity" in line and "-Infinity" in line and "NaN" in line
    values = [r["value"] for r in json.loads(line)["results"]]
    assert values[:2] == [math.inf, -math.inf] and math.isnan(values[2])
    back = Extraction.model_validate_json(line)
    assert [r.value for r in back.results][:2] == [math.inf, -math.inf] and math.isnan(back.results[2].value)


def test_line_holds_hand_made_extractions(tiny_extractions):
    for _, extraction in tiny_extractions:
        _same_data(extraction)
