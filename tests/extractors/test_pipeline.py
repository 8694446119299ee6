"""The pipeline on a user's installed model, saved and reloaded pipelines, and the CLI --model flag."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.training import Example

from extractors import ModelNotFound, build_nlp, extract
from schema import Paper

PAPER = Paper(id="p", title="BiViT: binary vision transformers",
              abstract="We propose BiViT. BiViT reaches 70.8% top-1 accuracy on ImageNet and beats DeiT.")


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    """A tiny English tagger we train ourselves (no pretrained model can be downloaded)."""
    nlp = spacy.blank("en")
    tagger = nlp.add_pipe("tagger")
    data = [("We propose a model .", ["PRON", "VERB", "DET", "NOUN", "PUNCT"]),
            ("BERT reaches high accuracy .", ["PROPN", "VERB", "ADJ", "NOUN", "PUNCT"])]
    for _, tags in data:
        for tag in tags:
            tagger.add_label(tag)
    examples = [Example.from_dict(nlp.make_doc(t), {"tags": tags}) for t, tags in data]
    optimizer = nlp.initialize(lambda: examples)
    random.seed(0)
    for _ in range(20):
        nlp.update(examples, sgd=optimizer)
    path = tmp_path_factory.mktemp("model") / "tiny_tagger"
    nlp.to_disk(path)
    return path


def test_pipeline_on_installed_model_keeps_its_components(trained_model):
    nlp = build_nlp(str(trained_model))
    assert nlp.pipe_names[0] == "tagger" and "kg_entities" in nlp.pipe_names
    ex = next(extract([PAPER], nlp=nlp))
    names = {(e.label, e.name) for e in ex.entities}
    assert {("METHOD", "BiViT"), ("DATASET", "ImageNet"), ("METRIC", "top-1 accuracy")} <= names
    assert ex.results and ex.results[0].value == 70.8
    doc = nlp("We propose a model .")
    assert all(t.tag_ for t in doc)


def test_pipeline_model_gives_same_entities_as_blank(trained_model, nlp):
    on_model = next(extract([PAPER], nlp=build_nlp(str(trained_model))))
    on_blank = next(extract([PAPER], nlp=nlp))
    assert [(e.label, e.key, e.role) for e in on_model.entities] == [(e.label, e.key, e.role) for e in on_blank.entities]


def test_pipeline_missing_model_is_a_clear_error():
    with pytest.raises(ModelNotFound, match="not installed"):
        build_nlp("en_core_web_nonexistent")


def test_pipeline_saved_default_pipeline_reloads(nlp, tmp_path):
    nlp.to_disk(tmp_path / "kg_pipeline")
    reloaded = spacy.load(tmp_path / "kg_pipeline")
    assert reloaded.pipe_names == nlp.pipe_names
    a = next(extract([PAPER], nlp=reloaded))
    b = next(extract([PAPER], nlp=nlp))
    assert a.model_dump() == b.model_dump()


def test_pipeline_cli_unknown_model_exits_2(tmp_path):
    from typer.testing import CliRunner

    from kg.cli import app

    result = CliRunner().invoke(app, ["extract", "--model", "en_core_web_nonexistent", "-o", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2
    assert "not installed" in result.output
