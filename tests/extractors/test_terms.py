"""The term ruler's phrase tables: the same tokens as spaCy's tokenizer, the same matches as a
PhraseMatcher on ORTH / LOWER."""

from spacy.matcher import PhraseMatcher

from extractors.components.terms import PhraseTable, pattern_tokenizer, pattern_words, surface_variants
from extractors.components.view import span_rows, token_view
from extractors.lexicon import load_lexicon


def test_pattern_words_are_the_tokenizers_tokens_for_every_listed_form(nlp):
    """The fast path (split on spaces and hyphens) must give what the tokenizer gives, on all forms."""
    forms = sorted({v for term in load_lexicon().terms for f in surface_variants(term) for v in (f, f.lower())})
    tokenizer = pattern_tokenizer(nlp)
    expected = [[t.text for t in doc] for doc in tokenizer.pipe(forms)]
    got = pattern_words(nlp, forms)
    wrong = [(f, g, e) for f, g, e in zip(forms, got, expected) if g != e]
    assert len(forms) > 10_000 and not wrong[:5]


def test_pattern_words_sends_special_cases_and_digits_to_the_tokenizer(nlp):
    assert pattern_words(nlp, ["text-to-video generation", "don't stop", "ResNet-50", "U-Net++", "10km run"]) == [
        ["text", "-", "to", "-", "video", "generation"], ["do", "n't", "stop"], ["ResNet-50"], ["U", "-", "Net++"],
        ["10", "km", "run"]]


def test_phrase_table_matches_like_a_phrase_matcher(nlp):
    doc = nlp.make_doc("We train a graph neural network and a Graph Neural Network Graph on GNN benchmarks, graph neural.")
    phrases = {1: [["graph", "neural", "network"]], 2: [["graph", "neural"]], 3: [["GNN"], ["Graph"]]}
    table = PhraseTable()
    matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
    for match_id, seqs in phrases.items():
        table.add(match_id, seqs)
        matcher.add(str(match_id), [nlp.make_doc(" ".join(s)) for s in seqs])
    words = token_view(doc).words
    expected = sorted((int(nlp.vocab.strings[m]), s, e) for m, s, e in matcher(doc))
    assert sorted(table(words)) == expected
    assert expected == [(1, 3, 6), (2, 3, 5), (2, 16, 18), (3, 8, 9), (3, 11, 12), (3, 13, 14)]


def test_term_ruler_matches_coined_names_by_case_and_phrases_in_any_case(nlp):
    doc = nlp("We distil Bert and BERT with Knowledge Distillation on ImageNet.")
    rows = {(doc[s:e].text, label) for s, e, label, _kb, _id in span_rows(doc, "kg_terms")}
    assert ("BERT", "METHOD") in rows and ("Knowledge Distillation", "METHOD") in rows
    assert ("ImageNet", "DATASET") in rows
    assert not any(text == "Bert" for text, _ in rows)
