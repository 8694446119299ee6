"""The learned span classifier (`kg_classifier`): what it drops, retypes and adds on texts written
like fresh abstracts, against the rules alone; its model file, generator and key rules."""

import json

import pytest

from extractors import build_nlp, extract
from extractors.components.classifier import (CLASSES, Generator, ModelError, SpanModel, added_key, load_model)
from schema import Paper


def run(nlp, title, abstract):
    return next(extract([Paper(id="t", title=title, abstract=abstract)], nlp=nlp))


def names(ex, label):
    return {e.name for e in ex.entities if e.label == label}


def test_unlisted_metric_phrase_is_added(nlp, full_nlp):
    title, abstract = "Prompting at scale", ("We prompt large language models to write unit tests and measure the "
                                             "test pass rate on 200 repositories.")
    assert "test pass rate" not in names(run(nlp, title, abstract), "METRIC")  # the rules miss it
    ex = run(full_nlp, title, abstract)
    assert names(ex, "METRIC") == {"test pass rate"}


def test_unlisted_title_case_component_is_added_as_method(nlp, full_nlp):
    title, abstract = "GeoAgg: point clouds", ("We propose Hierarchical Geometry Aggregation, a module that pools "
                                               "local neighbourhoods, and evaluate it on ModelNet40.")
    assert "Hierarchical Geometry Aggregation" not in names(run(nlp, title, abstract), "METHOD")
    ex = run(full_nlp, title, abstract)
    assert "Hierarchical Geometry Aggregation" in names(ex, "METHOD")
    assert "ModelNet40" in names(ex, "DATASET")


def test_benchmark_named_like_a_model_is_a_dataset(nlp, full_nlp):
    title, abstract = "Web agents that plan", ("Our agent is evaluated on WebArena and WebVoyager, where it raises "
                                               "the task success rate from 31.2% to 44.5%.")
    for pipeline in (nlp, full_nlp):  # "evaluated on X and Y": the rules type both; the model agrees
        assert {"WebArena", "WebVoyager"} <= names(run(pipeline, title, abstract), "DATASET")


def test_longer_name_replaces_the_listed_word_inside_it(nlp, full_nlp):
    title, abstract = "Faster diffusion sampling", ("We distill a Diffusion Transformer into a four-step student and "
                                                    "report FID on ImageNet 256x256.")
    # "Diffusion Transformer" is listed now, so the rules find it too; the classifier keeps it whole
    for pipeline in (nlp, full_nlp):
        methods = names(run(pipeline, title, abstract), "METHOD")
        assert "Diffusion Transformer" in methods and "transformer" not in methods


def test_multiword_task_from_a_learned_head_is_added(full_nlp):
    ex = run(full_nlp, "Robust tabular learning", "Gradient boosted trees remain strong on tabular data; we compare "
                                                  "them with TabPFN on heart disease prediction and credit scoring.")
    assert "heart disease prediction" in names(ex, "TASK")


def test_generator_proposes_each_left_boundary_and_capitalised_runs():
    from spacy.lang.en.stop_words import STOP_WORDS

    nlp = build_nlp(use_model=False)
    doc = nlp.make_doc("We address text-to-video generation with Sparse Concept Anchoring today.")
    from extractors.components.view import token_view

    tv = token_view(doc)
    spans = {tv.span_text(s, e) for s, e in Generator(["generation"], frozenset(), STOP_WORDS.__contains__)(tv)}
    assert {"text-to-video generation", "Sparse Concept Anchoring"} <= spans
    assert not any(s.startswith("We ") for s in spans)


def test_added_names_differing_in_case_share_one_key():
    assert added_key("Bi-Level Routing Attention") == added_key("bi-level routing attention")
    assert added_key("TabPFN") == added_key("TabPFN")


def test_model_round_trip_and_probabilities(tmp_path):
    model = SpanModel(CLASSES, [0.0, 0.0, 0.0, 0.0, 1.0], {"w=net": [2.0, 0.0, 0.0, 0.0, 0.0]}, {"seed": 1},
                      ["network"], ["perplexity"])
    path = tmp_path / "m.json"
    model.save(path)
    again = SpanModel.load(path)
    assert again.heads == ["network"] and again.singles == ["perplexity"]
    p = again.proba(["w=net", "unknown"])
    assert abs(sum(p) - 1) < 1e-9 and p.index(max(p)) == CLASSES.index("METHOD")
    assert again.proba([]).index(max(again.proba([]))) == CLASSES.index("NONE")


@pytest.mark.parametrize("content,reason", [(None, "not found"), ("{not json", "corrupt"),
                                            (json.dumps({"format": "other"}), "corrupt")])
def test_missing_or_corrupt_model_names_the_file_and_the_fix(tmp_path, content, reason):
    path = tmp_path / "span_classifier.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(path)
    message = str(info.value)
    assert str(path) in message and reason in message and "kg train" in message and "\n" not in message
    with pytest.raises(ModelError):
        build_nlp(model_path=str(path))


def test_context_rows_are_the_rows_of_the_context_features(full_nlp):
    """The fast path (rows from memoised word tuples) scores exactly the features training saw."""
    from extractors.components.classifier import context_features
    from extractors.components.view import token_view
    from extractors.pipeline import make_doc

    clf = full_nlp.get_pipe("kg_classifier")
    index, matrix = clf.model.matrix
    paper = Paper(id="t", title="FooNet: fast retrieval", abstract="We evaluate FooNet on the MS MARCO dataset. "
                  "It beats BM25 in terms of MRR@10, such as on TREC.")
    doc = full_nlp.make_doc("")  # placeholder, replaced below
    doc = make_doc(full_nlp, paper)
    for name, proc in full_nlp.pipeline:
        if name == "kg_classifier":
            break
        doc = proc(doc)
    tv, mentions = clf.featurize.candidates(doc)
    assert mentions
    for s, e, label, _text, _src, m, title in mentions:
        want = sorted(index.get(f, len(matrix) - 1) for f in context_features(tv, s, e, label, m, title))
        assert sorted(clf._context.rows(tv, s, e, label, m, title)) == want


def test_name_rows_are_the_rows_of_the_name_features(full_nlp):
    """The fast path (rows from memoised word, first-word, last-word and shape parts) scores exactly
    the name features training saw, for rule and generated candidates alike."""
    from extractors.components.classifier import NameRows, _text_features

    clf = full_nlp.get_pipe("kg_classifier")
    index, matrix = clf.model.matrix
    lexicon = clf.featurize.lexicon
    fast = NameRows(clf.model, lexicon)
    names = [("BERT", "METHOD", "list"), ("text-to-video generation", "GEN", "gen"), ("MS MARCO", "DATASET", "list"),
             ("IoU", "METRIC", "abbrev"), ("Sparse Concept Anchoring", "GEN", "gen"), ("fine-tuned models", "TASK", "phrase"),
             ("A", "METHOD", "name"), ("ResNet-50", "METHOD", "list"), ("graph graph networks", "GEN", "gen"),
             ("optimizes forecasting", "TASK", "phrase"), ("knowledge distillation", "METHOD", "list")]
    for text, label, source in names * 2:  # the second time from the memos
        want = sorted(index.get(f, len(matrix) - 1) for f in dict.fromkeys(_text_features(text, label, source, lexicon)))
        assert sorted(fast(text, label, source)) == want, text
