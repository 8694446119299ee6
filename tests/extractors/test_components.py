import spacy
import pytest

from extractors.components.abbreviations import abbreviation_pairs, find_long_form, is_short_form
from extractors.components.names import coined_name_spans, is_coined
from extractors.components.results import parse_number
from extractors.components.variants import family_forms


@pytest.fixture(scope="module")
def blank():
    return spacy.blank("en")


@pytest.mark.parametrize(
    "text,long,short",
    [
        ("We build a hierarchical navigable small-world network (HNSW) index.", "hierarchical navigable small-world network", "HNSW"),
        ("Vision Transformers (ViTs) are strong.", "Vision Transformers", "ViTs"),
        ("We report mean average precision (mAP).", "mean average precision", "mAP"),
    ],
)
def test_abbreviations_pairs(blank, text, long, short):
    doc = blank(text)
    found = [(doc[a:b].text, doc[c:d].text) for a, b, c, d in abbreviation_pairs(doc)]
    assert found == [(long, short)]


def test_abbreviations_rejects_non_acronym_parentheses(blank):
    doc = blank("The model (which is small) works (see 2021).")
    assert abbreviation_pairs(doc) == ()


def test_abbreviations_pure_functions():
    assert find_long_form("HNSW", "a hierarchical navigable small world") == 2
    assert find_long_form("XYZ", "a hierarchical model") is None
    assert is_short_form("ViT") and not is_short_form("2021") and not is_short_form("which")


@pytest.mark.parametrize("word", ["BiBERT", "Jina-ColBERT-v2", "ResNet-50", "U-DiTs", "nDCG@10", "LLM.int8()",
                                  "word2vec", "GLUE", "U-Net"])
def test_names_coined_words(word):
    assert is_coined(word)


@pytest.mark.parametrize("word", ["Transformer", "General-Purpose", "Multi-View", "retrieval", "8-bit", "2D", "A"])
def test_names_plain_words_are_not_coined(word):
    assert not is_coined(word)


def test_names_extend_over_versions(blank):
    doc = blank("Results on PARSEME 1.1 and MS MARCO with Qua^2SeDiMo, BiBERT's gains.")
    assert [doc[s:e].text for s, e in coined_name_spans(doc)] == ["PARSEME 1.1", "MS MARCO", "Qua^2SeDiMo", "BiBERT"]


@pytest.mark.parametrize("text,value,unit", [("92.9%", 92.9, "%"), ("+1.9 points", 1.9, "points"),
                                            ("56.3x", 56.3, "x"), ("0.78", 0.78, None), ("-2.5 dB", -2.5, "dB")])
def test_results_parse_number(text, value, unit):
    assert parse_number(text) == (value, unit)


def test_variants_family_forms():
    assert family_forms("Jina-ColBERT-v2")[:3] == ["Jina-ColBERT", "ColBERT-v2", "Jina"]
    assert "ColBERT" in family_forms("Jina-ColBERT-v2")
    assert family_forms("BiBERT") == []


@pytest.mark.parametrize(
    "text,phrase,label",
    [
        ("We apply iterative layer pruning to the network.", "iterative layer pruning", "METHOD"),
        ("It relies on ternary quantization of weights.", "ternary quantization", "METHOD"),
        ("A global-local loss aligns the viewers.", "global-local loss", "METHOD"),
        ("We study KV cache compression for long contexts.", "KV cache compression", "TASK"),
    ],
)
def test_phrases_head_word_phrases(blank, text, phrase, label):
    from extractors.components.phrases import phrase_spans
    from extractors.lexicon import load_lexicon

    doc = blank(text)
    found = [(doc[s:e].text, lab) for s, e, lab in phrase_spans(doc, load_lexicon())]
    assert (phrase, label) in found


@pytest.mark.parametrize("text", ["We perform quantization on weights.", "Results show superior compression.",
                                  "The attention is computed once.", "An attention-based model is used."])
def test_phrases_verbs_and_generic_words_are_not_modifiers(blank, text):
    from extractors.components.phrases import phrase_spans
    from extractors.lexicon import load_lexicon

    assert phrase_spans(blank(text), load_lexicon()) == []
