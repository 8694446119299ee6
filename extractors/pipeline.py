"""Build the spaCy pipeline and run it over papers.

The default pipeline is `spacy.blank("en")` + a sentencizer (spaCy's rules, run by our
`kg_sentencizer`) + our rule-based components (no pretrained model can be downloaded on the build
machines); a user's installed model can be named instead and our components are added after its own.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# importing the components registers their factories
from extractors.components import abbreviations, classifier, entities, names, phrases, results, roles, terms, variants  # noqa: F401
from extractors.components.sentences import TEXT_KEY
from extractors.components.view import extension_key
from extractors.lexicon import load_lexicon
from extractors.tokenizer import add_final_period_suffix, tokenize
from extractors.records import doc_to_extraction
from extractors.spanmodel import NO_MODEL_ENV, model_enabled  # noqa: F401 - re-exported
from schema import Extraction, Paper

log = logging.getLogger(__name__)

CONFIG_PATH = Path(__file__).parent / "config.cfg"
#: components that read the name lists (and take a `terms_path` setting)
TERMS_USERS = ("kg_term_ruler", "kg_names", "kg_phrases", "kg_entities", "kg_classifier", "kg_roles", "kg_variants")
KG_COMPONENTS = ("kg_term_ruler", "kg_abbreviations", "kg_names", "kg_phrases", "kg_entities", "kg_classifier",
                 "kg_roles", "kg_results", "kg_variants")
LEARNED = "kg_classifier"


#: where `doc._.kg_title_chars` lives in `doc.user_data`
_TITLE_CHARS_KEY = extension_key("kg_title_chars")


class ModelNotFound(ValueError):
    """The spaCy model a user named is not installed."""


def build_nlp(model: str | None = None, terms_path: str | None = None, use_model: bool | None = None,
              model_path: str | None = None) -> Language:
    """The extraction pipeline: our config on a blank English pipeline, or on `model`.

    `use_model=False` leaves out the learned span classifier (the rules alone, `--no-model`;
    default: `model_enabled()`); `model_path` names another span-classifier file than the shipped
    one. A missing or corrupt model file raises `ModelError`.
    """
    if use_model is None:
        use_model = model_enabled()
    if model is None:
        config = spacy.util.load_config(CONFIG_PATH)
        if terms_path:
            for comp in TERMS_USERS:
                config["components"][comp]["terms_path"] = terms_path
        if not use_model:
            config["nlp"]["pipeline"] = [c for c in config["nlp"]["pipeline"] if c != LEARNED]
            del config["components"][LEARNED]
        elif model_path:
            config["components"][LEARNED]["model_path"] = str(model_path)
        nlp = spacy.blank("en", config=config)
        log.info("extraction pipeline (blank English%s): %s", "" if use_model else ", rules only",
                 ", ".join(nlp.pipe_names))
        return nlp
    try:
        nlp = spacy.load(model, exclude=["ner", "lemmatizer"])
    except OSError as exc:
        raise ModelNotFound(f"spaCy model '{model}' is not installed (pip install it, or omit --model)") from exc
    add_final_period_suffix(nlp)
    if not nlp.has_pipe("parser") and not nlp.has_pipe("senter") and not nlp.has_pipe("sentencizer"):
        nlp.add_pipe("kg_sentencizer", name="sentencizer")  # spaCy's rules, faster
    for comp in KG_COMPONENTS:
        if comp == LEARNED and not use_model:
            continue
        cfg = {"terms_path": terms_path} if comp in TERMS_USERS else {}
        if comp == LEARNED and model_path:
            cfg["model_path"] = str(model_path)
        nlp.add_pipe(comp, config=cfg)
    log.info("extraction pipeline (on %s): %s", model, ", ".join(nlp.pipe_names))
    return nlp


def make_doc(nlp: Language, paper: Paper) -> Doc:
    """One Doc per paper: title and abstract joined on one line (newlines slow the tokenizer 9x)."""
    title, abstract = paper.title, paper.abstract
    sep = "" if not title else " " if title[-1] in ".?!" else ". "
    text = f"{title}{sep}{abstract}"
    doc = tokenize(nlp, text)  # nlp.make_doc, with the work on space-less runs bounded
    user_data = doc.user_data
    user_data[TEXT_KEY] = text
    # `doc._.kg_title_chars = len(title)` without building an Underscore object: spaCy keeps
    # a Doc extension's value in user_data under this key
    user_data[_TITLE_CHARS_KEY] = len(title)
    user_data["kg_abstract_start"] = len(title) + len(sep)
    return doc


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its previous state after.

    A batch allocates tens of thousands of short-lived lists, tuples and dicts (all freed by
    reference counting), which otherwise trigger a collection every few papers, and now and then
    a full one over every long-lived object (vocab, name lists): about a fifth of extraction time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _extract_batch(nlp: Language, batch: list[Paper], batch_size: int, efficiency: frozenset[str],
                   done: list[Extraction]) -> Exception | None:
    """Append each paper's Extraction to `done`; return the error that stopped the batch, if any.
    The Docs are freed on return, before the garbage collector resumes (it would scan them)."""
    try:
        docs = [make_doc(nlp, p) for p in batch]
        for paper, doc in zip(batch, nlp.pipe(docs, batch_size=batch_size)):
            done.append(doc_to_extraction(doc, paper.id, paper.title, efficiency))
    except Exception as exc:  # noqa: BLE001 - the caller re-raises it after the papers done
        return exc
    return None


def extract(papers: Iterable[Paper], nlp: Language | None = None, batch_size: int = 64) -> Iterator[Extraction]:
    """Extract entities, results and relations from each paper, in input order.

    Examples
    --------
    >>> from schema import Paper
    >>> ex = next(extract([Paper(id="p1", title="BERT for NER", abstract="We fine-tune BERT on CoNLL.")]))
    >>> sorted(e.name for e in ex.entities)[:1]
    ['BERT']
    """
    nlp = nlp or build_nlp()
    efficiency = load_lexicon().cues.get("efficiency_metrics", frozenset())
    pending: list[Paper] = []

    def run(batch: list[Paper]) -> Iterator[Extraction]:
        # the whole batch runs with the cyclic GC paused, and is yielded after (also the papers
        # done before one that raises, then the error), so the caller never runs with it paused
        done: list[Extraction] = []
        with _gc_paused():
            error = _extract_batch(nlp, batch, batch_size, efficiency, done)
        yield from done
        if error is not None:
            raise error

    for paper in papers:
        pending.append(paper)
        if len(pending) >= batch_size:
            yield from run(pending)
            pending = []
    if pending:
        yield from run(pending)
