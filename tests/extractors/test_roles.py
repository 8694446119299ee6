"""`kg_roles`: PROPOSES (role "proposed") only for what the paper itself introduces.

Each case is a made-up or paraphrased title and abstract; the names are generic on purpose, so the
rules tested are cue rules ("such as X", "X-based", "we propose X"), not lists of paper names."""

from __future__ import annotations

import pytest

from extractors import extract
from schema import Paper
from schema.extraction import Extraction


def run(nlp, title: str, abstract: str) -> Extraction:
    return next(extract([Paper(id="t", title=title, abstract=abstract)], nlp=nlp))


def role(ex: Extraction, name: str, label: str | None = None) -> str | None:
    """Role of the entity with this name, key, text or alias (None: not extracted)."""
    for e in ex.entities:
        if (label is None or e.label == label) and name in (e.key, e.name, e.text, *e.aliases):
            return e.role
    return None


def proposed(ex: Extraction) -> set[str]:
    return {e.name for e in ex.entities if e.role == "proposed"}


def test_roles_title_variant_proposed_and_example_base_not(nlp) -> None:
    ex = run(nlp, "Jina-ColBERT-v2: A General-Purpose Multilingual Late Interaction Retriever",
             "We build on late interaction models such as ColBERT.")
    assert role(ex, "Jina-ColBERT-v2") == "proposed"
    assert role(ex, "ColBERT") not in (None, "proposed")


@pytest.mark.parametrize(
    ("abstract", "own", "other"),
    [
        ("We propose FooNet, a detector that outperforms methods such as YOLOv8.", "FooNet", "YOLOv8"),
        ("We propose FooNet, which is compared with ResNet-50 and ViT.", "FooNet", "ResNet-50"),
        ("In this paper, we present FooNet, built on BERT.", "FooNet", "BERT"),
        ("We introduce FooNet, a new model that extends BERT with adapters.", "FooNet", "BERT"),
        ("We propose FooNet. Unlike ColBERT, FooNet uses one vector per passage.", "FooNet", "ColBERT"),
        ("We present FooNet, a framework combining CLIP and BERT.", "FooNet", "CLIP"),
        ("We propose FooNet for retrieval, e.g. on top of ColBERT.", "FooNet", "ColBERT"),
    ],
)
def test_roles_proposal_cue_does_not_reach_what_it_uses(nlp, abstract: str, own: str, other: str) -> None:
    ex = run(nlp, "A study", abstract)
    assert role(ex, own) == "proposed", proposed(ex)
    assert role(ex, other) not in (None, "proposed"), proposed(ex)


@pytest.mark.parametrize(
    ("abstract", "base"),
    [
        ("In this paper, we propose a new cross-encoder architecture for response retrieval.", "cross-encoder"),
        ("We propose a Transformer-based detector for small objects.", "transformer"),
        ("By contrast, we introduce the Swin Transformer as the backbone to extract context.", "Swin Transformer"),
        ("We present a novel masked image modeling (MIM) approach for pretraining.", "masked image modeling"),
        ("We develop a lightweight graph attention network for molecules.", "graph attention network"),
        ("Our BNN reaches the accuracy of a random forest with less memory.", "BNN"),
    ],
)
def test_roles_known_term_inside_the_new_thing_is_its_base(nlp, abstract: str, base: str) -> None:
    ex = run(nlp, "A study", abstract)
    assert role(ex, base) not in (None, "proposed"), proposed(ex)


def test_roles_known_term_named_by_the_new_thing_is_not_proposed(nlp) -> None:
    ex = run(nlp, "A study", "We propose BiBERT, an accurate fully binarized BERT, to remove the bottleneck.")
    assert role(ex, "BiBERT") == "proposed"
    assert role(ex, "BERT") not in (None, "proposed")


def test_roles_listed_term_inside_a_title_name_is_not_proposed(nlp) -> None:
    ex = run(nlp, "Liquid Reasoning Transformers: A Sudoku-Based Prototype", "We study reasoning.")
    assert role(ex, "transformer") not in (None, "proposed"), proposed(ex)


@pytest.mark.parametrize(
    ("abstract", "name"),
    [
        ("Finally, Progressive Masked Image Modeling (PMIM) is proposed to regularize the feature space.", "PMIM"),
        ("We call networks with these changes Sparse Transformers, and show they model long sequences.",
         "Sparse Transformers"),
        ("In this work, we introduce Adaptive Neural Images (ANI), an efficient neural representation.", "ANI"),
        ("To this end, we propose a multi-split reversible network called RevNAS.", "RevNAS"),
    ],
)
def test_roles_proposal_cues(nlp, abstract: str, name: str) -> None:
    ex = run(nlp, "A study", abstract)
    assert role(ex, name) == "proposed", [(e.name, e.role) for e in ex.entities]


def test_roles_acronym_of_a_longer_phrase_is_proposed_not_the_listed_part(nlp) -> None:
    ex = run(nlp, "A study", "We propose a novel multi-layer RNN model called densely connected bidirectional "
                             "long short-term memory (DC-Bi-LSTM) in this paper.")
    assert role(ex, "DC-Bi-LSTM") == "proposed", proposed(ex)
    assert role(ex, "long short-term memory") not in (None, "proposed")
    assert role(ex, "RNN") not in (None, "proposed")


def test_roles_coordinated_names_share_the_cue(nlp) -> None:
    ex = run(nlp, "A study", "We tailor three frameworks, called MambaBCD, MambaSCD, and MambaBDA, for change "
                             "detection.")
    assert {role(ex, n) for n in ("MambaBCD", "MambaSCD", "MambaBDA")} == {"proposed"}, proposed(ex)


def test_roles_variants_of_the_proposal_are_proposed(nlp) -> None:
    ex = run(nlp, "P2AT: Pyramid Pooling Axial Transformer for Real-time Semantic Segmentation",
             "Our results reach 80.5% and 81.1% mIoU on Camvid for P2AT-S and P2AT-L, respectively.")
    assert role(ex, "P2AT") == "proposed"
    assert role(ex, "P2AT-S") == "proposed" and role(ex, "P2AT-L") == "proposed", proposed(ex)


def test_roles_new_task_is_proposed_but_not_a_task_the_work_is_for(nlp) -> None:
    ex = run(nlp, "A study", "To address this gap, we introduce Next Scene Prediction (NSP), a new task that "
                             "needs temporal reasoning. We propose FooNet for semantic segmentation.")
    assert role(ex, "Next Scene Prediction", "TASK") == "proposed", [(e.label, e.name, e.role) for e in ex.entities]
    assert role(ex, "semantic segmentation", "TASK") not in (None, "proposed")


def test_roles_coined_component_with_acronym_in_an_own_sentence(nlp) -> None:
    """A Title Case, unlisted name the paper defines an acronym for, in a sentence about its own
    work, is one of its parts; a known name described by "is frequently used" is not."""
    ex = run(nlp, "WAY: Estimation of Vessel Destination in Worldwide AIS Trajectory",
             "WAY comprises a trajectory representation layer and Channel-Aggregative Sequential Processing (CASP) "
             "blocks.")
    assert role(ex, "CASP") == "proposed", [(e.name, e.aliases, e.role) for e in ex.entities]
    ex = run(nlp, "A study", "The Marginal Value Theorem (MVT) is frequently used to characterize this process.")
    assert role(ex, "MVT") not in ("proposed",), [(e.name, e.role) for e in ex.entities]
