"""`kg train` and cross-validation: reproducible model, folds by paper, no paper scored by a model
trained on it, the CLI's model switches and errors."""

import json

import pytest
from typer.testing import CliRunner

from extractors.components.classifier import DEFAULT_MODEL
from extractors.training.train import Doc_, dev_sets, paper_folds
from kg.build import EXIT_FAILED, EXIT_OK
from kg.cli import app
from kg.crossval import fold_training_docs

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_folds_are_seeded_disjoint_and_balanced():
    ids = [f"p{i}" for i in range(23)]
    folds = paper_folds(ids, 5)
    assert folds == paper_folds(list(reversed(ids)), 5)  # input order does not matter
    assert set(folds) == set(ids)
    sizes = [list(folds.values()).count(f) for f in range(5)]
    assert max(sizes) - min(sizes) <= 1
    assert paper_folds(ids, 5, seed=1) != folds


def test_a_fold_model_never_trains_on_its_held_out_papers():
    dev = {"seed": [Doc_(f"s{i}", "seed") for i in range(10)], "arxiv": [Doc_(f"a{i}", "arxiv") for i in range(10)]}
    open_docs = [Doc_("o1", "open")]
    folds = paper_folds([d.doc_id for d in dev["arxiv"]], 5)
    for f in range(5):
        ids = {d.doc_id for d in fold_training_docs(dev, open_docs, "arxiv", folds, f)}
        held_out = {pid for pid, k in folds.items() if k == f}
        assert held_out and not (ids & held_out)
        assert ids == {d.doc_id for ds in dev.values() for d in ds} - held_out | {"o1"}


def test_dev_sets_join_every_gold_paper_to_its_text():
    sets = dev_sets()
    assert len(sets["seed"]) == 108 and len(sets["arxiv"]) == 160
    paper, gold = sets["arxiv"][0]
    assert paper.id == gold["id"] and paper.abstract


def test_kg_train_reproduces_the_shipped_model_byte_for_byte(tmp_path):
    out = tmp_path / "model.json"
    result = invoke("train", "-o", out)
    assert result.exit_code == EXIT_OK, result.stderr
    assert out.read_bytes() == DEFAULT_MODEL.read_bytes()
    assert DEFAULT_MODEL.stat().st_size < 3 * 1024 * 1024  # ships inside the package


@pytest.mark.xdist_group("kg-eval")  # before the README's `kg eval` blocks, which then read its cache
def test_eval_cross_validates_both_dev_sets_and_caches_the_predictions(monkeypatch):
    """`kg eval` scores each dev set by 5-fold CV; a second run with the same code, data and folds
    reads the held-out predictions from the cache (this run's, tests/conftest.py) instead of
    training again and prints the same; other folds are other entries; KG_CACHE_DIR=off keeps none."""
    from extractors.training.train import SEED
    from kg import crossval

    result = invoke("eval", "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    seed, arxiv = (next(r for title, r in report.items() if title.startswith(name)) for name in ("seed", "arXiv"))
    assert seed["papers"]["gold"] == 108 and arxiv["papers"]["gold"] == 160
    assert all("5-fold cross-validated by paper" in title for title in report)
    assert 0.6 < seed["by_type"]["METHOD"]["f1"] <= 1.0 and 0.6 < arxiv["by_type"]["METHOD"]["f1"] <= 1.0
    assert "PROPOSES" not in seed["by_type"]
    for name in ("seed", "arxiv"):
        assert (crossval.cache_dir() / f"{crossval._cache_key(name, 5, SEED, True, None)}.json").exists()

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although the predictions are cached")

    monkeypatch.setattr(crossval, "fit", no_training)
    again = invoke("eval", "--json")
    assert again.exit_code == EXIT_OK, again.stderr
    assert again.stdout == result.stdout
    assert crossval._cache_key("seed", 3, SEED, True, None) != crossval._cache_key("seed", 5, SEED, True, None)
    monkeypatch.setenv("KG_CACHE_DIR", "off")
    assert crossval.cache_dir() is None


def test_corrupt_model_is_one_line_error_and_no_model_runs_the_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_NO_MODEL", "0")  # restored after the test: --no-model sets it for workers
    bad = tmp_path / "broken.json"
    bad.write_text("{truncated", encoding="utf-8")
    corpus = tmp_path / "p.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "BERT for NER", "abstract": "We fine-tune BERT on CoNLL-2003."})
                      + "\n", encoding="utf-8")
    env = {"KG_SPAN_MODEL": str(bad)}
    result = invoke("extract", corpus, "-o", tmp_path / "out.jsonl", env=env)
    assert result.exit_code == EXIT_FAILED
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(bad.name) in lines[0] and "kg train" in lines[0]
    assert not (tmp_path / "out.jsonl").exists()
    result = invoke("extract", corpus, "-o", tmp_path / "out.jsonl", "--no-model", env=env)
    assert result.exit_code == EXIT_OK, result.stderr
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert "BERT" in {e["name"] for e in record["entities"]}
