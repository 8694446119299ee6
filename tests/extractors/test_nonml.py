"""Papers from outside ML (physics, astronomy, biology, economics) give few entities and no junk:
units, instruments, telescopes, genes, institutions and the like are no methods or datasets.
ML abstracts that mention such things (or the old junk cases: "PASCAL VOC2012" as two methods,
"Leaderboard" as a dataset, verb phrases as tasks) keep their real entities.

The abstracts are written for this test in the style of arXiv abstracts of each field
(`tests/fixtures/nonml_abstracts.jsonl`); each row lists names that must not come out as an
entity (`absent`) and, for the ML ones, [label, name] pairs that must (`present`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors import extract
from extractors.components.names import coined_name_spans, not_a_name
from extractors.components.phrases import is_verb_form
from extractors.lexicon import load_lexicon
from schema import Paper

FIXTURE = Path(__file__).parents[1] / "fixtures" / "nonml_abstracts.jsonl"
ROWS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
OTHER_FIELDS = [r for r in ROWS if r["field"] != "ml"]
ML = [r for r in ROWS if r["field"] == "ml"]
#: at most this many entities in a title and abstract from another field
MAX_ENTITIES = 3


@pytest.fixture(scope="module", params=["rules", "full"])
def pipeline(request):
    """Both the rules alone and the shipped pipeline (rules + span classifier) must hold."""
    return request.getfixturevalue("nlp" if request.param == "rules" else "full_nlp")


def test_fixture_covers_the_fields():
    fields = [r["field"] for r in ROWS]
    for field in ("physics", "astronomy", "biology", "economics"):
        assert fields.count(field) >= 3, field
    assert len(ML) >= 4


@pytest.fixture(scope="module")
def extractions(pipeline):
    papers = [Paper(id=r["id"], title=r["title"], abstract=r["abstract"]) for r in ROWS]
    return {ex.id: ex for ex in extract(papers, nlp=pipeline)}


def _surface_forms(ex) -> dict[str, str]:
    """Every spelling of every entity (name, text, aliases, mention texts) -> its label."""
    forms = {}
    for e in ex.entities:
        for form in (e.name, e.text, *e.aliases, *(m.text for m in e.mentions)):
            forms[form] = e.label
    return forms


def _show(ex) -> list[tuple[str, str]]:
    return [(e.label, e.name) for e in ex.entities]


@pytest.mark.parametrize("row", OTHER_FIELDS, ids=lambda r: r["id"])
def test_other_fields_give_few_entities(extractions, row):
    ex = extractions[row["id"]]
    assert len(ex.entities) <= MAX_ENTITIES, _show(ex)


@pytest.mark.parametrize("row", OTHER_FIELDS, ids=lambda r: r["id"])
def test_other_fields_with_one_computing_word_give_few_entities(pipeline, row):
    """One word that ML papers use too ("training") does not make a physics paper an ML paper."""
    if row["id"] in ("econ-monetary", "fin-esg"):
        pytest.skip("no units or object nouns: one computing word is all there is to go by")
    paper = Paper(id=row["id"], title=row["title"], abstract=row["abstract"] + " Analysts received training.")
    ex = next(extract([paper], nlp=pipeline))
    assert len(ex.entities) <= MAX_ENTITIES, _show(ex)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_no_junk_entities(extractions, row):
    """Units, instruments, objects, institutions, genes: not an entity of any type."""
    forms = _surface_forms(extractions[row["id"]])
    junk = [name for name in row["absent"] if name in forms]
    assert not junk, (junk, _show(extractions[row["id"]]))


@pytest.mark.parametrize("row", OTHER_FIELDS, ids=lambda r: r["id"])
def test_other_fields_no_methods_or_datasets_from_units_or_names(extractions, row):
    units = load_lexicon().stop_names
    ex = extractions[row["id"]]
    for e in ex.entities:
        if e.label in ("METHOD", "DATASET"):
            assert e.text not in units and e.name not in units, _show(ex)


@pytest.mark.parametrize("row", ML, ids=lambda r: r["id"])
def test_ml_entities_still_found(extractions, row):
    ex = extractions[row["id"]]
    forms = _surface_forms(ex)
    # a more specific name ("3D object detection" for "object detection") finds it too
    missing = [(label, name) for label, name in row["present"]
               if not any(lab == label and (form == name or form.endswith(" " + name)) for form, lab in forms.items())]
    assert not missing, (missing, _show(ex))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_no_task_starts_with_a_verb(extractions, row):
    blocked = load_lexicon().cues["phrase_blocked_modifiers"]
    ex = extractions[row["id"]]
    for e in ex.entities:
        if e.label == "TASK":
            first = e.text.split()[0].lower()
            assert first not in blocked and not is_verb_form(first, blocked), _show(ex)


def test_pascal_voc2012_is_one_dataset(extractions):
    ex = extractions["ml-detector"]
    voc = [e for e in ex.entities if "VOC" in e.text]
    assert [(e.label, e.text) for e in voc] == [("DATASET", "PASCAL VOC2012")]


def test_defined_organisations_are_no_entities(pipeline):
    abstract = ("Spectra were taken with the Very Large Telescope (VLT) and calibrated at the National "
                "Institute of Standards and Technology (NIST). We train a ResNet-50 classifier on the VLT spectra.")
    ex = next(extract([Paper(id="t", title="A study", abstract=abstract)], nlp=pipeline))
    forms = _surface_forms(ex)
    assert "VLT" not in forms and "Very Large Telescope" not in forms, _show(ex)
    assert "National Institute of Standards and Technology" not in forms, _show(ex)
    assert forms.get("ResNet-50") == "METHOD"


def test_short_ml_snippet_is_not_taken_for_another_field(pipeline):
    """One sentence says too little about its field: its names are typed as in ML abstracts."""
    ex = next(extract([Paper(id="t", title="A study", abstract="We compare FooNet with BarNet.")], nlp=pipeline))
    assert {e.name for e in ex.entities if e.label == "METHOD"} >= {"FooNet", "BarNet"}


@pytest.mark.parametrize("word", ["GeV", "keV", "TeV", "mK", "GPa", "Mpc", "nM", "MWh", "USD", "EUR", "tCO2"])
def test_units_are_stop_names(word):
    assert word in load_lexicon().stop_names


@pytest.mark.parametrize(
    "text,expected",
    [("eV^2", True), ("cm^-3", True), ("sin^2", True), ("theta_23", True), ("G12D", True), ("N501Y", True),
     ("A^2MIM", False), ("Qua^2SeDiMo", False), ("ResNet-50", False), ("T5", False), ("I3D", False),
     ("V100", False), ("GeV", True), ("Zn(CN)2", True), ("WSe2", True), ("Fe3O4", True), ("NF4", False),
     ("SAM2", False), ("CoCa", False), ("WASP-39b", True), ("GW150914", True), ("NGC", True), ("IoT-23", False),
     ("GPT-4", False)],
)
def test_not_a_name(text, expected):
    assert not_a_name(text, load_lexicon().stop_names) is expected


@pytest.mark.parametrize(
    "word,expected",
    [("optimizes", True), ("unifies", True), ("facilitate", True), ("facilitates", True), ("enables", True),
     ("analyze", True), ("size", False), ("visual", False), ("series", False), ("speech", False),
     ("probabilistic", False), ("image", False)],
)
def test_verb_forms(word, expected):
    blocked = load_lexicon().cues["phrase_blocked_modifiers"]
    assert (word in blocked or is_verb_form(word, blocked)) is expected


def test_acronym_with_year_extends_an_acronym(nlp):
    doc = nlp.make_doc("We evaluate on PASCAL VOC2012 and WMT14 with MS MARCO.")
    spans = [doc[s:e].text for s, e in coined_name_spans(doc, load_lexicon().stop_names)]
    assert "PASCAL VOC2012" in spans and "MS MARCO" in spans
