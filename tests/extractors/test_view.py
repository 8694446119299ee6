"""extractors.components.view: the plain-list token view and span rows every component reads.

The components trust these lists instead of spaCy's Token and Span objects, so they must agree
with spaCy exactly, also on texts with odd spacing and characters whose case mapping changes
length.
"""

from __future__ import annotations

import gc

import pytest
import spacy
from spacy.language import Language

from extractors import extract
from extractors.components.view import BatchPipe, publish_spans, span_rows, token_view
from schema import Paper

TEXTS = [
    "We fine-tune BERT-base  on MS MARCO (dev) and report MRR@10 = 39.2%.",
    "İSTANBUL-NLP, ΣΟΦΙΑ and naïve Bayes\tbeat ResNet-50's top-1 … really.",
    "",
    "One",
]


@pytest.fixture(scope="module")
def blank() -> Language:
    return spacy.blank("en")


@pytest.mark.parametrize("text", TEXTS)
def test_view_lists_equal_spacy_tokens(blank, text):
    doc = blank(text)
    view = token_view(doc)
    assert view.words == [t.text for t in doc]
    assert view.lower == [t.lower_ for t in doc]
    assert view.ws == [bool(t.whitespace_) for t in doc]
    assert view.idx == [t.idx for t in doc]
    for start in range(len(doc)):
        for end in range(start, len(doc) + 1):
            assert view.span_text(start, end) == doc[start:end].text
    assert token_view(doc).words is view.words  # built once per Doc


def test_view_strings_stay_right_when_the_shared_memos_empty_themselves(blank, monkeypatch):
    from extractors.components import view as view_module

    monkeypatch.setattr(view_module, "MEMO_SIZE", 3)
    view_module._TEXT.clear()
    for text in TEXTS:
        doc = blank(text)
        assert token_view(doc).words == [t.text for t in doc]
        assert token_view(doc).lower == [t.lower_ for t in doc]
        assert len(view_module._TEXT) <= 3


def test_view_rows_round_trip_and_follow_changes_to_the_group(blank):
    doc = blank("BERT beats GPT-2 on GLUE .")
    rows = [(0, 1, "METHOD", "BERT", "1"), (2, 3, "METHOD", "GPT-2", ""), (4, 5, "DATASET", "GLUE", "0")]
    publish_spans(doc, "x", rows)
    assert [(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in doc.spans["x"]] == rows
    assert span_rows(doc, "x") == rows
    doc.spans["x"].append(doc[1:2])  # changed by someone else: read from the group, not the cache
    assert span_rows(doc, "x") == [*rows, (1, 2, "", "", "")]
    assert span_rows(doc, "missing") == []
    with pytest.raises(IndexError):
        publish_spans(doc, "y", [(5, 7, "METHOD", "", "")])


@Language.component("kg_test_boom")
def _boom(doc):
    if "BOOM" in doc.text:
        raise ValueError("boom")
    return doc


def test_extract_pauses_gc_only_inside_a_batch_and_keeps_papers_before_an_error(nlp):
    papers = [Paper(id=f"p{i}", title="T", abstract=f"We fine-tune BERT {i}.") for i in range(3)]
    assert gc.isenabled()
    assert [e.id for e in extract(papers, nlp=nlp, batch_size=2)] == ["p0", "p1", "p2"]
    assert gc.isenabled()
    gc.disable()
    try:
        list(extract(papers[:1], nlp=nlp))
        assert not gc.isenabled()  # the caller's setting is restored, not forced on
    finally:
        gc.enable()

    boom = spacy.blank("en")
    boom.add_pipe("kg_test_boom")
    got: list[str] = []
    with pytest.raises(ValueError, match="boom"):
        for e in extract([*papers[:2], Paper(id="bad", title="BOOM", abstract="x")], nlp=boom, batch_size=8):
            got.append(e.id)
    assert got == ["p0", "p1"] and gc.isenabled()


class _BatchBoom(BatchPipe):
    """Marks each Doc it sees, in call order; raises on a Doc holding "BOOM"."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, doc):
        self.seen.append(doc.text)
        if "BOOM" in doc.text:
            raise ValueError("boom")
        doc.user_data["kg_test_seen"] = True
        return doc


@Language.factory("kg_test_batch_boom")
def _make_batch_boom(nlp, name):
    comp = _BatchBoom()
    comp.name = name
    return comp


def test_batch_pipe_runs_batches_in_a_row_and_keeps_spacy_error_handling():
    texts = ["a", "b", "c BOOM", "d", "e"]
    nlp = spacy.blank("en")
    comp = nlp.add_pipe("kg_test_batch_boom", name="boomer")
    got: list[str] = []
    with pytest.raises(ValueError, match="boom"):
        for doc in nlp.pipe(texts, batch_size=4):
            got.append(doc.text)
    assert got == ["a", "b"]  # the Docs before the failing one still come out, complete
    assert comp.seen == ["a", "b", "c BOOM"]  # ... after the batch ran in a row up to the error

    calls = []
    nlp.set_error_handler(lambda name, proc, docs, e: calls.append((name, proc, [d.text for d in docs])))
    out = list(nlp.pipe(texts, batch_size=2))
    assert [d.text for d in out] == ["a", "b", "d", "e"] and all(d.user_data["kg_test_seen"] for d in out)
    assert calls == [("boomer", comp, ["c BOOM"])]  # the failing Doc is dropped, as spaCy's Pipe.pipe does


def test_our_components_give_the_same_docs_through_pipe_as_one_by_one(nlp):
    texts = ["We fine-tune BERT-base on MS MARCO (dev) and report MRR@10 = 39.2%. It beats ColBERT.",
             "Knowledge distillation (KD) improves ResNet-50 on ImageNet.", ""]
    piped = list(nlp.pipe(texts, batch_size=2))
    for text, doc in zip(texts, piped):
        one = nlp(text)
        assert doc.to_bytes(exclude=["user_data"]) == one.to_bytes(exclude=["user_data"])
        assert [s.is_sent_start for s in doc] == [s.is_sent_start for s in one]


def test_bounded_memo_computes_once_and_stays_bounded():
    from extractors.memo import BoundedMemo

    calls: list[str] = []
    memo = BoundedMemo(lambda s: calls.append(s) or s.upper(), maxsize=2)
    assert [memo["a"], memo["a"], memo["b"]] == ["A", "A", "B"] and calls == ["a", "b"]
    assert memo["c"] == "C" and len(memo) == 1  # full: emptied before "c" went in
    assert memo.get("zzz") is None and "zzz" not in memo  # .get does not compute


def test_published_rows_are_read_back_without_a_span_group():
    import spacy
    from extractors.components.view import publish_rows, publish_spans, span_rows

    doc = spacy.blank("en")("We fine-tune BERT on GLUE.")
    publish_spans(doc, "kg_terms", [(3, 4, "METHOD", "BERT", "list0")])
    publish_rows(doc, "kg_terms", [(3, 4, "METHOD", "BERT", "list0"), (5, 6, "DATASET", "GLUE", "list1")])
    assert "kg_terms" not in doc.spans  # the earlier group is gone, not left stale
    assert span_rows(doc, "kg_terms") == [(3, 4, "METHOD", "BERT", "list0"), (5, 6, "DATASET", "GLUE", "list1")]
    assert span_rows(doc, "kg_names") == []
