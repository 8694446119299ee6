"""kg.build.extraction_line writes exactly what `json.dumps(model_dump(exclude sentences))` did.

The line is made by json's encoder reading each model's `__dict__` (no `model_dump` copy); these
tests hold it to the plain form on real extractions and on records built to be awkward.
"""

from __future__ import annotations

import json
import math

from extractors import build_nlp, extract
from extractors.calibration import drop_below
from kg.build import SAMPLE_CORPUS, extraction_line
from kg.ingest import read_papers
from schema import Entity, Extraction, Mention, Relation, ResultRecord


def _plain(extraction: Extraction) -> str:
    return json.dumps(extraction.model_dump(exclude={"sentences"}), ensure_ascii=False)


def test_line_equals_model_dump_on_the_sample_corpus():
    papers = list(read_papers([SAMPLE_CORPUS]))[:80]
    for extraction in extract(papers, nlp=build_nlp()):
        assert extraction_line(extraction) == _plain(extraction)
        assert extraction_line(drop_below(extraction, 0.8)) == _plain(drop_below(extraction, 0.8))


def test_line_equals_model_dump_on_awkward_values():
    mention = Mention(field="title", start=0, end=7, text='"a\\b"\n', sentence=0)
    ex = Extraction(
        id="p\u00e9", title="Caf\u00e9 \u2014 \U0001d4d0 \"quoted\" \\ tab\t",
        entities=[Entity(label="METRIC", name="F1", key="f1", text="F1", aliases=["F-1", "\u00b5F1"],
                         role="reported", confidence=1, mentions=[mention])],
        results=[ResultRecord(metric="f1", value=v, start=0, end=1) for v in (1e-07, 95, 1e16, -0.0)],
        relations=[Relation(type="VARIANT_OF", source="a", target="b")],
        sentences=["not written"],
    )
    assert extraction_line(ex) == _plain(ex)
    assert "sentences" not in json.loads(extraction_line(ex))
    assert extraction_line(Extraction(id="e", title="")) == _plain(Extraction(id="e", title=""))


def test_line_keeps_non_finite_values_as_json_dumps_does():
    ex = Extraction(id="x", title="t", results=[ResultRecord(metric="m", value=v, start=0, end=1)
                                                for v in (math.inf, -math.inf, math.nan)])
    line = extraction_line(ex)
    assert line == _plain(ex)
    assert "Infinity" in line and "NaN" in line


def test_line_equals_model_dump_on_hand_made_extractions(tiny_extractions):
    for _, extraction in tiny_extractions:
        assert extraction_line(extraction) == _plain(extraction)
