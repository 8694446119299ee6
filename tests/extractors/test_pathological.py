"""Pathological texts go through the whole pipeline, and a normal sentence after them is still read.

Each of these took minutes or gigabytes before the work per paper was bounded (issue 13, point 8):
the variant linker was cubic in the parts of a hyphenated chain, the tokenizer quadratic in a run
of characters without a space, sentences and result spans quadratic in their length. Their time
and memory are measured in bench/pathological.py, not asserted here.
"""

from __future__ import annotations

import pytest

from extractors import extract
from schema import Paper

#: a normal sentence appended after the junk: its entities must still be found
TAIL = " We fine-tune XLNet on SQuAD and reach 91.2 F1."
SENTENCE = "We train ResNet-50 on ImageNet and report 76.1% top-1 accuracy. "


def _found(nlp, abstract: str) -> tuple[set[tuple[str, str]], list[tuple[str, float]]]:
    (extraction,) = extract([Paper(id="p", title="A study", abstract=abstract)], nlp=nlp)
    return {(e.label, e.name) for e in extraction.entities}, [(r.metric, r.value) for r in extraction.results]


def _assert_tail_found(entities: set[tuple[str, str]], results: list[tuple[str, float]]) -> None:
    assert {("METHOD", "XLNet"), ("DATASET", "SQuAD"), ("METRIC", "F1")} <= entities
    assert ("f 1", 91.2) in results


@pytest.mark.parametrize("parts", [1_000, 50_000], ids=["5KB", "250KB"])
def test_hyphenated_chain_of_one_name(full_nlp, parts):
    entities, results = _found(full_nlp, "-".join(["BERT"] * parts) + TAIL)
    _assert_tail_found(entities, results)
    assert ("METHOD", "BERT") in entities  # the chain's own part is still a name
    assert all(len(name) <= 256 for _, name in entities)  # no 5 KB "name"


def test_hundred_thousand_open_brackets(full_nlp):
    entities, results = _found(full_nlp, "(" * 100_000 + TAIL)
    _assert_tail_found(entities, results)


def test_deeply_nested_brackets(full_nlp):
    entities, results = _found(full_nlp, "(" * 50_000 + "BERT" + ")" * 50_000 + TAIL)
    _assert_tail_found(entities, results)
    assert ("METHOD", "BERT") in entities


def test_abstract_of_a_million_characters(full_nlp):
    """As long as spaCy takes a text (`nlp.max_length`, 1,000,000 characters with the title)."""
    size = full_nlp.max_length - len("A study. ") - len(TAIL)
    abstract = (SENTENCE * (size // len(SENTENCE) + 1))[:size] + TAIL
    entities, results = _found(full_nlp, abstract)
    _assert_tail_found(entities, results)
    assert {("METHOD", "ResNet-50"), ("DATASET", "ImageNet")} <= entities


def test_list_of_results_without_a_period(full_nlp):
    """5,000 "ModelN 91.2 F1" items in one 94,000-character sentence: sentences are cut every 512
    tokens, so the rules' look-around stays local (this took 50 s)."""
    items = ", ".join(f"Model{i} 9{i % 10}.{i % 7} F1" for i in range(5_000))
    entities, results = _found(full_nlp, items + TAIL)
    _assert_tail_found(entities, results)
