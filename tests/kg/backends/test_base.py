"""kg.backends.base: merge rules, result records and backend selection."""

from __future__ import annotations

import pytest

from kg.backends import GraphBackend, QueryResult, WriteStats, get_backend
from kg.backends.base import Counts, merge_node_props, merge_rel_props
from kg.backends.networkx_backend import NetworkxBackend


def test_base_merge_keeps_existing_values_and_fills_empty_ones():
    merged = merge_node_props({"title": "Old", "url": ""}, {"title": "New", "url": "u", "x": 1})
    assert merged == {"title": "Old", "url": "u", "x": 1}


def test_base_merge_unions_aliases_and_keeps_other_names():
    merged = merge_node_props({"name": "BERT", "aliases": ["bert-base"]},
                              {"name": "Bert", "aliases": ["BERT", "b"]}, key="bert")
    assert merged == {"name": "BERT", "aliases": ["Bert", "b", "bert-base"]}


def test_base_merge_replaces_placeholder_name_equal_to_key():
    merged = merge_node_props({"name": "resnet", "aliases": []},
                              {"name": "ResNet", "aliases": []}, key="resnet")
    assert merged == {"name": "ResNet", "aliases": []}
    # ...and a real name is not replaced by a placeholder coming later
    assert merge_node_props(merged, {"name": "resnet", "aliases": []}, key="resnet") == merged


def test_base_merge_is_idempotent():
    props = {"name": "MS MARCO", "aliases": ["MS-MARCO"], "year": 2016}
    assert merge_node_props(props, props, key="ms marco") == props


def test_base_merge_rel_takes_max_confidence_and_first_evidence():
    merged = merge_rel_props({"confidence": 0.6, "evidence": "first"},
                             {"confidence": 0.9, "evidence": "second"})
    assert merged == {"confidence": 0.9, "evidence": "first"}


def test_base_query_result_records_and_write_stats_sum():
    result = QueryResult(columns=["m.name", "n"], rows=[["BERT", 2], ["ColBERT", 1]])
    assert result.records() == [{"m.name": "BERT", "n": 2}, {"m.name": "ColBERT", "n": 1}]
    assert len(result) == 2
    assert WriteStats(1, 2, 3, 4) + WriteStats(1, 1, 1, 1, 1) == WriteStats(2, 3, 4, 5, 1)
    assert Counts(nodes={"Paper": 2, "Method": 3}, rels={"USES": 4}).total_nodes == 5


def test_base_get_backend_networkx(tmp_path):
    backend = get_backend("networkx", path=tmp_path / "g.graphml")
    assert isinstance(backend, NetworkxBackend)
    assert isinstance(backend, GraphBackend)
    assert backend.path == tmp_path / "g.graphml"


@pytest.mark.parametrize("name", ["neo4j-not-yet", "sqlite"])
def test_base_get_backend_unknown_name_is_clear(name):
    with pytest.raises(ValueError, match=rf"unknown backend '{name}' \(available: neo4j, networkx\)"):
        get_backend(name)
