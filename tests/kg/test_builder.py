"""kg.builder: (Paper, Extraction) -> GraphBatch, on hand-made extractions."""

from __future__ import annotations

import pytest

from kg.builder import EXTRACTOR, build_batch, content_hash, edge_type, entity_props, extractor_version
from schema import Entity, Extraction, Mention, Paper, Relation, RelType


def _nodes(batch):
    return {n.id: n for n in batch.nodes}


def _rels(batch):
    return {(r.start_id, r.type.value, r.end_id): r for r in batch.rels}


@pytest.mark.parametrize(
    ("label", "role", "expected"),
    [
        ("METHOD", "proposed", RelType.PROPOSES),
        ("METHOD", "used", RelType.USES),
        ("METHOD", "compared", RelType.COMPARES_WITH),
        ("METHOD", "mentioned", RelType.USES),
        ("METHOD", "evaluated_on", RelType.USES),
        ("DATASET", "proposed", RelType.PROPOSES),
        ("DATASET", "evaluated_on", RelType.EVALUATES_ON),
        ("DATASET", "used", RelType.EVALUATES_ON),
        ("METRIC", "reported", RelType.MEASURES),
        ("METRIC", "proposed", RelType.MEASURES),
        ("TASK", "mentioned", RelType.ADDRESSES),
    ],
)
def test_builder_edge_type_by_label_and_role(label, role, expected):
    assert edge_type(label, role) is expected


def test_builder_extractor_names_rules_and_version():
    assert EXTRACTOR == "kg-rules/0.1"


def test_builder_paper_node_props_omit_none(tiny_extractions):
    nodes = _nodes(build_batch(tiny_extractions))
    version = {"extractor": extractor_version()}
    assert nodes["Paper:p1"].props == {
        "title": "ColBERT: Efficient Passage Search", "year": 2020,
        "url": "https://example.org/colbert", "source": "test",
        "content_hash": content_hash(tiny_extractions[0][0]), **version,
    }
    assert nodes["Paper:p3"].props == {"title": "A study of ResNet-50",
                                       "content_hash": content_hash(tiny_extractions[2][0]), **version}
    assert extractor_version().startswith(EXTRACTOR + "+")


def test_builder_content_hash_changes_with_content_only():
    a = Paper(id="a", title="T", abstract="A")
    assert content_hash(a) == content_hash(Paper(id="other-id", title="T", abstract="A"))
    assert content_hash(a) != content_hash(Paper(id="a", title="T", abstract="A changed"))


def test_builder_entity_aliases_are_sorted_surface_forms_without_name():
    entity = Entity(label="DATASET", name="MS MARCO", key="ms marco", text="MS-MARCO",
                    aliases=["msmarco", "MS MARCO", "MS-MARCO"], confidence=0.9)
    assert entity_props(entity) == {"name": "MS MARCO", "aliases": ["MS-MARCO", "msmarco"]}


def test_builder_entity_nodes_merge_across_papers(tiny_extractions):
    nodes = _nodes(build_batch(tiny_extractions))
    # ms marco appears in p1 (as "MS-MARCO", alias "MSMARCO") and p3 (as "MS MARCO")
    props = nodes["Dataset:ms marco"].props
    assert {k: props[k] for k in ("name", "aliases")} == {"name": "MS MARCO", "aliases": ["MS-MARCO", "MSMARCO"]}
    # every surface form keeps the papers it was seen in
    assert {"MS-MARCO @ p1", "MS MARCO @ p3"} <= set(props["alias_evidence"])
    assert nodes["Method:colbert"].label == "Method"
    assert nodes["Method:colbert"].key == "colbert"


def test_builder_paper_edges_carry_confidence_evidence_extractor_role(tiny_extractions):
    rels = _rels(build_batch(tiny_extractions))
    assert rels[("Paper:p1", "COMPARES_WITH", "Method:bm25")].props == {
        "confidence": 0.8,
        "evidence": "On MS-MARCO ColBERT reaches an MRR@10 of 36.0% and beats BM25.",
        "extractor": EXTRACTOR,
        "role": "compared",
    }
    assert rels[("Paper:p2", "USES", "Method:bert")].props["role"] == "mentioned"
    assert rels[("Paper:p2", "PROPOSES", "Dataset:colbench")].props["confidence"] == 0.75


def test_builder_result_node_and_links(tiny_extractions):
    batch = build_batch(tiny_extractions)
    nodes, rels = _nodes(batch), _rels(batch)
    r1 = "Result:p1#abstract:105-110"
    assert nodes[r1].key == "p1#abstract:105-110"
    assert nodes[r1].props == {"value": 36.0, "unit": "%", "text": "36.0%", "relative": False}
    assert {(s, t, e) for s, t, e in rels if r1 in (s, e)} == {
        ("Paper:p1", "REPORTS", r1),
        (r1, "OF_METRIC", "Metric:mrr@10"),
        (r1, "ON_DATASET", "Dataset:ms marco"),
        (r1, "FOR_METHOD", "Method:colbert"),
    }
    r2 = "Result:p2#abstract:94-99"
    assert nodes[r2].props == {"value": 0.521, "text": "0.521", "relative": False}  # unit, spread None omitted
    assert {t for s, t, e in rels if s == r2} == {"OF_METRIC", "ON_DATASET"}


def test_builder_variant_of_creates_missing_target(tiny_extractions):
    batch = build_batch(tiny_extractions)
    nodes, rels = _nodes(batch), _rels(batch)
    assert ("Method:jina-colbert-v2", "VARIANT_OF", "Method:colbert") in rels
    assert ("Method:resnet-50", "VARIANT_OF", "Method:resnet") in rels
    assert nodes["Method:resnet"].props == {"name": "resnet", "aliases": []}


def test_builder_counts_match_hand_count(tiny_extractions):
    batch = build_batch(tiny_extractions)
    assert len(batch.nodes) == 18
    assert len(batch.rels) == 24


def test_builder_is_deterministic_without_duplicates(tiny_extractions):
    once = build_batch(tiny_extractions)
    assert build_batch(tiny_extractions).model_dump() == once.model_dump()
    assert len({n.id for n in once.nodes}) == len(once.nodes)
    assert len({(r.start_id, r.type, r.end_id) for r in once.rels}) == len(once.rels)
    assert build_batch(tiny_extractions + tiny_extractions).model_dump() == once.model_dump()


def test_builder_evidence_is_empty_when_sentence_is_missing():
    paper = Paper(id="x", title="T", abstract="BERT.")
    bert = Entity(label="METHOD", name="BERT", key="bert", text="BERT", role="used",
                  confidence=0.5,
                  mentions=[Mention(field="abstract", start=0, end=4, text="BERT", sentence=3)])
    batch = build_batch([(paper, Extraction(id="x", title="T", entities=[bert]))])
    assert batch.rels[0].props["evidence"] == ""


def test_builder_placeholder_name_gives_way_to_real_name():
    paper = Paper(id="x", title="T", abstract="A")
    extraction = Extraction(
        id="x", title="T",
        entities=[Entity(label="METHOD", name="ResNet-50", key="resnet-50", text="ResNet-50",
                         confidence=0.9)],
        relations=[{"type": "VARIANT_OF", "source": "resnet-50", "target": "resnet"}],
    )
    other = Extraction(id="y", title="T", entities=[
        Entity(label="METHOD", name="ResNet", key="resnet", text="resnet", confidence=0.9)])
    nodes = _nodes(build_batch([(paper, extraction),
                                (Paper(id="y", title="T", abstract="A"), other)]))
    assert nodes["Method:resnet"].props == {"name": "ResNet", "aliases": ["resnet"],
                                            "alias_evidence": ["resnet @ y"]}


def test_builder_rejects_extraction_of_another_paper():
    with pytest.raises(ValueError, match="does not belong to paper 'a'"):
        build_batch([(Paper(id="a", title="T", abstract="A"), Extraction(id="b", title="T"))])


def test_builder_variant_target_uses_given_name():
    paper = Paper(id="x", title="T", abstract="A")
    extraction = Extraction(
        id="x", title="T",
        entities=[Entity(label="METHOD", name="ResNet-50", key="resnet-50", text="ResNet-50",
                         confidence=0.9)],
        relations=[Relation(type="VARIANT_OF", source="resnet-50", target="resnet",
                            target_name="ResNet")],
    )
    nodes = _nodes(build_batch([(paper, extraction)]))
    assert nodes["Method:resnet"].props == {"name": "ResNet", "aliases": []}


def test_builder_result_keeps_relative_and_spread(tiny_extractions):
    paper, extraction = tiny_extractions[0]
    first = extraction.results[0]
    delta = first.model_copy(update={"relative": True, "start": first.start + 1000, "end": first.end + 1000})
    spread = first.model_copy(update={"spread": 0.15, "start": first.start + 2000, "end": first.end + 2000})
    nodes = _nodes(build_batch([(paper, extraction.model_copy(update={"results": [delta, spread]}))]))
    props = {k: (n.props["relative"], n.props.get("spread")) for k, n in nodes.items() if k.startswith("Result:")}
    assert sorted(props.values(), key=str) == [(False, 0.15), (True, None)]
