"""Train the span classifier (`kg_classifier`) from the annotated data kept in the repo.

Examples are the rules' own entities (`doc.spans["kg"]` of the pipeline without the classifier),
labelled by projecting annotations onto them:

- the two dev golds (document level, GOLD_GUIDELINE.md): an entity whose mentions or name match a
  required gold name or alias of type T is T; one matching only optional gold is left out (neither
  positive nor negative); one matching nothing is NONE;
- SciREX and TDMSci train (span level, Apache-2.0): a mention whose text equals an annotated span's
  text in the same document takes its type; one overlapping an annotation without matching it is
  left out; others are NONE, except METHOD guesses in TDMSci (which annotates no methods).

`fit` is a multinomial logistic regression (scikit-learn, lbfgs; deterministic for the same input),
over binary features seen in at least `min_count` training documents. Cross-validation folds are
by paper (`paper_folds`), so a model never scores a paper it was trained on.
"""

from __future__ import annotations

import json
import random
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors.components.classifier import CLASSES, Generator, SpanFeaturizer, SpanModel
from extractors.components.entities import SPAN_KEY
from extractors.lexicon import load_lexicon

DATA_DIR = Path(__file__).resolve().parent / "data"
OPEN_CORPORA = (DATA_DIR / "scirex_train.jsonl", DATA_DIR / "tdmsci_train.jsonl")
SEED = 13
#: weight of an open-corpus example against a dev-gold one (their guideline differs from ours)
OPEN_WEIGHT = 0.3


@dataclass
class Doc_:
    """One training document: its features and labels per kept entity mention."""

    doc_id: str
    group: str  # "seed", "arxiv" or "open"
    feats: list[list[str]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    from kg.evaluate import normalize_surface

    return normalize_surface(text)


def gold_forms(gold: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """(normalised required form -> type, normalised optional forms) of one gold paper."""
    from kg.evaluate import GOLD_FIELDS

    required: dict[str, str] = {}
    optional: set[str] = set()
    for label, fld in GOLD_FIELDS.items():
        for ent in gold.get(fld, []):
            forms = {_norm(f) for f in [ent["name"], *ent.get("aliases", [])]} - {""}
            if ent.get("required", True):
                for f in forms:
                    required.setdefault(f, label)
            else:
                optional |= forms
    return required, optional - set(required)


def mention_keys(doc: Any, mentions: Sequence[tuple]) -> list[str]:
    """The entity key of each candidate: the rules' key for a `kg` span, else its own text."""
    from extractors.components.view import span_rows
    from extractors.normalize import normalize_key

    rows = span_rows(doc, SPAN_KEY)
    keys = list(doc.spans[SPAN_KEY].attrs.get("key") or [r[3] for r in rows]) if rows else []
    return keys + [normalize_key(m[3]) for m in mentions[len(rows):]]


def label_by_gold(doc: Any, mentions: Sequence[tuple], gold: dict[str, Any]) -> list[str | None]:
    """Label of each candidate from a document-level gold (None: leave it out). The mentions of one
    `kg` entity share its verdict: "ViT" is right when its entity's long form is gold."""
    from extractors.components.view import span_rows

    required, optional = gold_forms(gold)
    rows = span_rows(doc, SPAN_KEY)
    names = [r[3] for r in rows] + [m[3] for m in mentions[len(rows):]]
    keys = mention_keys(doc, mentions)
    verdict: dict[str, str | None] = {}
    for m, name, key in zip(mentions, names, keys):
        label, text = m[2], m[3]
        forms = (_norm(text), _norm(name))
        hit = next((required[f] for f in forms if f in required), None)
        if hit is not None:
            prev = verdict.get(key)
            if not prev or prev == "NONE" or hit == label:
                verdict[key] = hit
        elif any(f in optional for f in forms):
            if verdict.get(key) in (None, "NONE"):
                verdict[key] = None
        else:
            verdict.setdefault(key, "NONE")
    return [verdict[k] for k in keys]


def label_by_spans(doc: Any, mentions: Sequence[tuple], spans: Sequence[dict[str, Any]],
                   has_methods: bool) -> list[str | None]:
    """Label of each candidate from span annotations over the same text."""
    by_text = {_norm(s["text"]): s["label"] for s in spans}
    out: list[str | None] = []
    for s, e, label, text, *_ in mentions:
        start, end = doc[s].idx, doc[e - 1].idx + len(doc[e - 1].text)
        hit = by_text.get(_norm(text))
        if hit is not None:
            out.append(hit)
        elif any(a["start"] < end and start < a["end"] for a in spans):
            out.append(None)
        elif label == "METHOD" and not has_methods:
            out.append(None)
        else:
            out.append("NONE")
    return out


def learn_heads(min_count: int = 2) -> tuple[list[str], list[str]]:
    """(head words, one-word names) of annotated names in the open span corpora and the curated
    name lists, each seen at least `min_count` times: a head is the last word of a name of two
    words or more, where the candidate generator looks for names the rules miss; a one-word name
    ("distillation") is proposed on its own. Not from the dev golds, so cross-validation stays fair."""
    from spacy.lang.en.stop_words import STOP_WORDS

    heads: dict[str, int] = {}
    singles: dict[str, int] = {}

    def add(name: str) -> None:
        words = name.replace(" - ", "-").split()
        last = words[-1].lower() if words else ""
        if not re.fullmatch(r"[a-z][a-z\-]+[a-z]", last) or last in STOP_WORDS:
            return
        counts = heads if len(words) >= 2 else singles if words[-1].islower() else None
        if counts is not None:
            counts[last] = counts.get(last, 0) + 1

    for path in OPEN_CORPORA:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                for ent in json.loads(line)["entities"]:
                    add(ent["text"])
    for term in load_lexicon().terms:
        add(term.pattern)
    return (sorted(h for h, n in heads.items() if n >= min_count),
            sorted(w for w, n in singles.items() if n >= min_count and len(w) >= 4))


def _featurizer(heads: tuple[Sequence[str], Sequence[str]]) -> SpanFeaturizer:
    from spacy.lang.en.stop_words import STOP_WORDS

    lexicon = load_lexicon()
    gen = Generator(heads[0], lexicon.cues.get("phrase_blocked_modifiers", frozenset()), STOP_WORDS.__contains__,
                    heads[1])
    return SpanFeaturizer(lexicon, gen)


_SPACED_HYPHEN = re.compile(r" - ")


def despace_hyphens(text: str, spans: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """SciREX writes "V - Net", "state - of - the - art": join the hyphens and move the offsets."""
    cut = [m.start() for m in _SPACED_HYPHEN.finditer(text)]
    if not cut:
        return text, spans
    # each match removes the space before and after the hyphen
    removed = []
    for p in cut:
        removed.extend((p, p + 2))
    removed.sort()

    def shift(offset: int) -> int:
        return offset - bisect_left(removed, offset)

    new_text = _SPACED_HYPHEN.sub("-", text)
    new_spans = [dict(s, start=shift(s["start"]), end=shift(s["end"]), text=new_text[shift(s["start"]):shift(s["end"])])
                 for s in spans]
    return new_text, new_spans


def dev_sets() -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    """{"seed": [(Paper, gold)], "arxiv": [...]}: the bundled gold papers joined to their texts."""
    from kg.build import DATA_DIR as KG_DATA, DEV_GOLD, SAMPLE_CORPUS
    from kg.evaluate import load_gold, title_join_key
    from kg.ingest import read_papers

    out: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    seed_papers = {title_join_key(p.title): p for p in read_papers([SAMPLE_CORPUS])}
    out["seed"] = [(seed_papers[title_join_key(g["title"])], g) for g in load_gold(DEV_GOLD)
                   if title_join_key(g.get("title") or "") in seed_papers]
    arxiv_papers = {p.id: p for p in read_papers([KG_DATA / "arxiv_dev_papers.jsonl"])}
    out["arxiv"] = [(arxiv_papers[g["id"]], g) for g in load_gold(KG_DATA / "arxiv_dev_gold.jsonl")
                    if g["id"] in arxiv_papers]
    return out


def _rule_nlp() -> Any:
    """The pipeline up to `kg_entities`: the classifier sees the Doc at exactly that point (later
    components add spans of their own, e.g. result metrics)."""
    from extractors.pipeline import build_nlp

    nlp = build_nlp(use_model=False)  # not the model: `kg train` must work when the model file is broken
    for name in nlp.pipe_names[nlp.pipe_names.index("kg_entities") + 1:]:
        nlp.remove_pipe(name)
    return nlp


def featurize_dev(nlp: Any, group: str, pairs: Iterable[tuple[Any, dict[str, Any]]],
                  heads: tuple[Sequence[str], Sequence[str]]) -> list[Doc_]:
    """Training documents of one dev set (gold projected onto the candidates)."""
    from extractors.pipeline import make_doc

    featurize = _featurizer(heads)
    pairs = list(pairs)
    docs = nlp.pipe([make_doc(nlp, p) for p, _ in pairs])
    out = []
    for (paper, gold), doc in zip(pairs, docs):
        d = Doc_(paper.id, group)
        mentions, feats = featurize(doc)
        for f, lab in zip(feats, label_by_gold(doc, mentions, gold)):
            if lab is not None:
                d.feats.append(f)
                d.labels.append(lab)
        out.append(d)
    return out


def featurize_open(nlp: Any, exclude_titles: set[str], heads: tuple[Sequence[str], Sequence[str]]) -> list[Doc_]:
    """Training documents of the open span corpora, minus papers whose title is in a dev set."""
    from extractors.pipeline import make_doc
    from kg.evaluate import title_join_key
    from schema import Paper

    featurize = _featurizer(heads)
    records = []
    for path in OPEN_CORPORA:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                text, spans = despace_hyphens(rec["text"], rec["entities"])
                title, _, abstract = text.partition("\n") if rec["source"] == "SciREX" else ("", "", text)
                if title and title_join_key(title) in exclude_titles:
                    continue
                paper = Paper(id=rec["id"], title=title, abstract=abstract)
                records.append((paper, spans, rec["source"] != "TDMSci"))
    docs = nlp.pipe([make_doc(nlp, p) for p, _, _ in records])
    out = []
    for (paper, spans, has_methods), doc in zip(records, docs):
        if paper.title:  # offsets into make_doc's text: the abstract moves from after "title\n" to its start
            shift = doc.user_data["kg_abstract_start"] - (len(paper.title) + 1)
            spans = [dict(a, start=a["start"] + shift, end=a["end"] + shift) if a["start"] > len(paper.title) else a
                     for a in spans]
        d = Doc_(paper.id, "open")
        mentions, feats = featurize(doc)
        for f, lab in zip(feats, label_by_spans(doc, mentions, spans, has_methods)):
            if lab is not None:
                d.feats.append(f)
                d.labels.append(lab)
        out.append(d)
    return out


def paper_folds(ids: Sequence[str], k: int, seed: int = SEED) -> dict[str, int]:
    """Paper id -> fold (0..k-1): a seeded shuffle of the sorted ids, dealt round-robin."""
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    return {pid: i % k for i, pid in enumerate(order)}


def _generated_start(feats: list[str]) -> tuple[str, bool] | None:
    """(head word, is a one-word candidate) of a generated candidate's features; None for a rule's."""
    if "src=gen" not in feats:
        return None
    last = next(f[5:] for f in feats if f.startswith("last="))
    return last, "len=1" in feats


def useful_starts(docs: Sequence[Doc_], heads: tuple[Sequence[str], Sequence[str]], open_weight: float,
                  min_hits: float = 2.0, min_rate: float = 0.05) -> tuple[list[str], list[str]]:
    """The heads and one-word names whose generated candidates were right at least `min_hits`
    times and `min_rate` of the time (open-corpus examples weighted as in training)."""
    hits: dict[tuple[str, bool], float] = {}
    seen: dict[tuple[str, bool], float] = {}
    for d in docs:
        w = open_weight if d.group == "open" else 1.0
        for fs, lab in zip(d.feats, d.labels):
            start = _generated_start(fs)
            if start is not None:
                seen[start] = seen.get(start, 0.0) + w
                if lab != "NONE":
                    hits[start] = hits.get(start, 0.0) + w

    def useful(key: tuple[str, bool]) -> bool:
        return hits.get(key, 0.0) >= min_hits and hits[key] >= min_rate * seen[key]

    return ([h for h in heads[0] if useful((h, False))], [w for w in heads[1] if useful((w, True))])


def _without_starts(d: Doc_, heads: Sequence[str], singles: Sequence[str]) -> Doc_:
    """`d` without the generated candidates of dropped heads and one-word names."""
    keep_h, keep_s = set(heads), set(singles)
    out = Doc_(d.doc_id, d.group)
    for fs, lab in zip(d.feats, d.labels):
        start = _generated_start(fs)
        if start is None or (start[0] in (keep_s if start[1] else keep_h)):
            out.feats.append(fs)
            out.labels.append(lab)
    return out


def fit(docs: Sequence[Doc_], heads: tuple[Sequence[str], Sequence[str]] = ((), ()), min_count: int = 2, c: float = 0.3,
        open_weight: float = OPEN_WEIGHT, meta: dict[str, Any] | None = None) -> SpanModel:
    """A `SpanModel` fitted on the mentions of `docs` (deterministic for the same input).

    Head words and one-word names whose generated candidates were (almost) never right in the
    training documents are dropped first, with their candidates: they cost time at every paper
    ("image", "models", "data") and teach nothing the NONE class does not already know."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    kept_heads, kept_singles = useful_starts(docs, heads, open_weight)
    docs = [_without_starts(d, kept_heads, kept_singles) for d in docs]
    heads = (kept_heads, kept_singles)

    df: dict[str, int] = {}
    for d in docs:
        for f in {f for fs in d.feats for f in fs}:
            df[f] = df.get(f, 0) + 1
    vocab = sorted(f for f, n in df.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocab)}
    rows, cols, ys, ws = [], [], [], []
    n = 0
    for d in docs:
        w = open_weight if d.group == "open" else 1.0
        for fs, lab in zip(d.feats, d.labels):
            for j in sorted({index[f] for f in fs if f in index}):
                rows.append(n)
                cols.append(j)
            ys.append(CLASSES.index(lab))
            ws.append(w)
            n += 1
    X = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(vocab)))
    y = np.array(ys)
    present = sorted(set(ys))
    clf = LogisticRegression(C=c, solver="saga", max_iter=200, tol=1e-3, random_state=SEED)
    clf.fit(X, y, sample_weight=np.array(ws))
    coef = np.zeros((len(CLASSES), len(vocab)))
    bias = np.full(len(CLASSES), -30.0)
    coef[present] = clf.coef_
    bias[present] = clf.intercept_
    weights = {}
    for j, f in enumerate(vocab):
        col = coef[:, j]
        if np.abs(col).max() >= 0.005:
            weights[f] = [round(float(v), 4) for v in col]
    info = {"examples": n, "features": len(weights), "C": c, "min_count": min_count, "open_weight": open_weight}
    info.update(meta or {})
    return SpanModel(CLASSES, [round(float(b), 4) for b in bias], weights, info, heads[0], heads[1])


def training_docs(heads: tuple[Sequence[str], Sequence[str]], nlp: Any | None = None) -> tuple[dict[str, list[Doc_]], list[Doc_]]:
    """({"seed": docs, "arxiv": docs}, open-corpus docs): every labelled example in the repo."""
    from kg.evaluate import title_join_key

    nlp = nlp or _rule_nlp()
    sets = dev_sets()
    dev = {name: featurize_dev(nlp, name, pairs, heads) for name, pairs in sets.items()}
    titles = {title_join_key(p.title) for pairs in sets.values() for p, _ in pairs}
    return dev, featurize_open(nlp, titles, heads)


def train(out: str | Path, use_open: bool = True) -> SpanModel:
    """Fit on all the repo's data and write the model to `out`."""
    heads = learn_heads()
    dev, open_docs = training_docs(heads)
    docs = [d for ds in dev.values() for d in ds] + (open_docs if use_open else [])
    model = fit(docs, heads=heads,
                meta={"seed": SEED, "trained_on": sorted(dev) + (["scirex", "tdmsci"] if use_open else [])})
    model.save(out)
    return model
