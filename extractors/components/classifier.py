"""`kg_classifier`: a learned check on the rules' entities (keep, drop, retype or add).

The rules (`kg_entities`) propose typed spans; on papers nobody tuned them to they keep verb
phrases, units, institutions and generic words, guess types from thin context and miss unlisted
multiword names. This component scores every entity of `doc.spans["kg"]`, plus candidates of its
own (`Generator`), with a multinomial logistic regression over lexical, shape, context and rule
features (`span_features`). Per entity key (all mentions of one thing decide together) it:

- drops it when the model is sure it is no entity (P(NONE) >= `drop_threshold`, or
  `list_drop_threshold` for a DATASET or METRIC the rules typed);
- retypes it when the model is sure of another type (P(label) >= `relabel_threshold`);

and it adds the generated candidates whose best type reaches `add_threshold`.

The model is trained by `kg train` (extractors/training) from the repo's annotated data and ships
as plain JSON weights (`extractors/models/span_classifier.json`, no pickle). A name's own score is
memoised, the context's comes from memoised matrix rows, and a Doc's candidates are summed with
one numpy gather.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import accumulate, chain, compress

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.entities import SPAN_KEY
from extractors.components.view import BatchPipe, Row, TokenView, doc_extension, publish_spans, span_rows, token_view
from extractors.lexicon import Lexicon, load_lexicon
from extractors.memo import MEMO_SIZE, BoundedMemo
# the model file's code lives in the spaCy-free `extractors.spanmodel`; re-exported for callers
from extractors.spanmodel import DEFAULT_MODEL, ModelError, SpanModel, load_model  # noqa: F401
from extractors.normalize import normalize_key

CLASSES = ("METHOD", "DATASET", "METRIC", "TASK", "NONE")


def _shape(word: str) -> str:
    """"ResNet-50" -> "XxXx-d": letter case and digit classes, runs collapsed."""
    out: list[str] = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:8]


_SHAPES: BoundedMemo[str, str] = BoundedMemo(_shape)
_DIGIT = re.compile(r"\d").search


def _text_features(text: str, label: str, source: str, lexicon: Lexicon) -> list[str]:
    """Features of a name that do not depend on where it stands (memoised per name and rule)."""
    words = text.replace("-", " - ").split()
    lower = [w.lower() for w in words]
    last, first = lower[-1], lower[0]
    shape = " ".join(_SHAPES[w] for w in words[:4])
    feats = [
        f"rl={label}", f"src={source}", f"rl|src={label}|{source}",
        f"len={min(len(words), 6)}", f"shape={shape}", f"rl|shape={label}|{shape}",
        f"last={last}", f"rl|last={label}|{last}", f"first={first}", f"suf={last[-3:]}", f"rl|suf={label}|{last[-3:]}",
        f"pre={first[:3]}",
    ]
    feats.extend(f"w={w}" for w in lower if w != "-")
    if text.isupper():
        feats.append("allcaps")
    if text.islower():
        feats.append("lower")
    if _DIGIT(text):
        feats.append("digit")
    if text[1:] != text[1:].lower():
        feats.append("innercap")
    if len(text) <= 3:
        feats.append(f"short|{label}")
    # a generated candidate is one no list matched (the rules would have it): no look-up
    term = lexicon.lookup(text) if source != "gen" else None
    if term is not None:
        feats.append(f"lex={term.label}")
        feats.append(f"lexsrc={term.source}")
    if last.endswith(("ing", "tion", "sion", "ment")):
        feats.append("nominal_head")
    if last.endswith(("es", "ed", "izes", "ises")) and not last.endswith("ss"):
        feats.append("verbish_head")
    if first.endswith(("ed", "es", "izes")) and len(words) > 1:
        feats.append("verbish_first")
    return feats


_CONTEXT_CUES = frozenset({
    "dataset", "datasets", "benchmark", "benchmarks", "corpus", "metric", "metrics", "task", "tasks", "model",
    "models", "method", "methods", "score", "scores", "accuracy", "evaluate", "evaluated", "trained", "propose",
    "proposed", "introduce", "using", "via", "outperforms", "achieves", "on", "such", "like", "e.g.", "including",
})


def context_features(tv: TokenView, start: int, end: int, label: str, mentions: int, in_title: bool) -> list[str]:
    """Features of where a candidate stands: the words around it, its mention count, the title."""
    lower, n = tv.lower, tv.n
    p1 = lower[start - 1] if start > 0 else "<s>"
    p2 = lower[start - 2] if start > 1 else "<s>"
    n1 = lower[end] if end < n else "</s>"
    n2 = lower[end + 1] if end + 1 < n else "</s>"
    m = min(mentions, 3)
    feats = [
        "p1=" + p1, "p2=" + p2, "n1=" + n1, "n2=" + n2, f"p2p1={p2} {p1}", f"n1n2={n1} {n2}",
        f"rl|p1={label}|{p1}", f"rl|n1={label}|{n1}", f"m={m}", f"rl|m={label}|{m}",
    ]
    cues = _CONTEXT_CUES.intersection(lower[max(0, start - 4) : end + 4])
    if cues:  # sorted: the same order in every process (string hashes are salted per process)
        feats.extend(["ctx=" + w for w in sorted(cues)])
    if in_title:
        feats.append("title")
        feats.append(f"rl|title={label}")
        if n1 == ":":
            feats.append(f"rl|title_colon={label}")
    elif p1 == "." or p1 == "<s>":
        feats.append("sent_start")
    return feats


def span_features(tv: TokenView, start: int, end: int, label: str, mentions: int, in_title: bool,
                  text_feats: list[str]) -> list[str]:
    """All features of one candidate mention: its name's (distinct), plus the words around it."""
    return text_feats + context_features(tv, start, end, label, mentions, in_title)


Mention = tuple[int, int, str, str, str, int, bool]
"""(start, end, rule label, text, source, mentions of its key, in title) of one candidate."""

#: a generated candidate whose name's own score puts every type this far below NONE is not scored
SCREEN_MARGIN = 2.0
GEN_LABEL = "GEN"  # the "rule label" of a generated candidate (no rule typed it)
MAX_MODIFIERS = 2
_WORDISH = re.compile(r"^(?:[A-Za-z][A-Za-z'\u00c0-\u024f]*|\d[A-Za-z]|[A-Za-z]+\d+)$")


def rule_mentions(doc: Doc, tv: TokenView, title_tokens: int) -> list[Mention]:
    """The `kg` spans as mentions."""
    rows = span_rows(doc, SPAN_KEY)
    if not rows:
        return []
    attrs = doc.spans[SPAN_KEY].attrs
    keys = attrs.get("key") or [r[3] for r in rows]
    sources = attrs.get("source") or ["unknown"] * len(rows)
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    return [(s, e, label, tv.span_text(s, e), src, counts[k], s < title_tokens)
            for (s, e, label, _name, _id), k, src in zip(rows, keys, sources)]


class Generator:
    """Candidate names the rules did not propose: a head word learned from annotated names
    ("... estimation", "... rate") with up to `MAX_MODIFIERS` modifier words before it, one
    candidate per left boundary; a one-word name seen annotated on its own ("perplexity"); and runs
    of two to six capitalised words ("Sparse Concept Anchoring")."""

    def __init__(self, heads: Iterable[str], blocked: frozenset[str], is_stop: Callable[[str], bool],
                 singles: Iterable[str] = ()) -> None:
        self.heads = frozenset(heads)
        self.singles = frozenset(singles)
        self.starts = self.heads | self.singles
        self.blocked = blocked
        self.is_stop = is_stop
        self._word: BoundedMemo[str, bool] = BoundedMemo(self._modifier_word)

    def _modifier_word(self, word: str) -> bool:
        low = word.lower()
        return (bool(_WORDISH.match(word)) and len(word) >= 2 and low not in self.blocked
                and not self.is_stop(low) and not low.endswith("ly"))

    def _left(self, tv: TokenView, i: int) -> int | None:
        """Start of the modifier word ending at token i ("text-to-video" is one word), or None."""
        words, spaced = tv.words, tv.ws
        if i < 0 or not spaced[i]:
            return None
        start = i
        while start >= 2 and words[start - 1] == "-" and not spaced[start - 1] and not spaced[start - 2]:
            start -= 2
        ok = self._word
        for w in words[start : i + 1]:
            if w != "-" and not (ok[w] or (start < i and w.lower() in ("to", "of", "and"))):
                return None
        return start

    def __call__(self, tv: TokenView) -> list[tuple[int, int]]:
        words, lower, spaced, n = tv.words, tv.lower, tv.ws, tv.n
        out: list[tuple[int, int]] = []
        heads = self.heads
        for i in compress(range(n), map(self.starts.__contains__, lower)):
            if lower[i] not in heads:
                out.append((i, i + 1))
                continue
            if i + 1 < n and words[i + 1] == "-" and not spaced[i]:
                continue  # "attention-based": the head is inside a compound
            if lower[i] in self.singles:
                out.append((i, i + 1))
            start, k = i, i - 1
            for _ in range(MAX_MODIFIERS):
                s = self._left(tv, k)
                if s is None:
                    break
                start, k = s, s - 1
                out.append((start, i + 1))
        # runs of capitalised words ("Sparse Concept Anchoring"): only title-case tokens are looked at
        ok = self._word
        run_start = prev = -2
        for i in compress(range(n), map(str.istitle, words)):
            if not ok[words[i]]:
                continue
            if i == prev + 1 and spaced[prev]:
                prev = i
                continue
            if 2 <= prev + 1 - run_start <= 6:
                out.append((run_start, prev + 1))
            run_start = prev = i
        if 2 <= prev + 1 - run_start <= 6:
            out.append((run_start, prev + 1))
        return out


class SpanFeaturizer:
    """Candidates of a Doc (the `kg` spans, then generated ones) with their features; the name
    part of the features is memoised."""

    def __init__(self, lexicon: Lexicon, generator: Generator | None = None) -> None:
        self.lexicon = lexicon
        self.generator = generator
        self._text: BoundedMemo[tuple[str, str, str], list[str]] = BoundedMemo(
            lambda k: list(dict.fromkeys(_text_features(k[0], k[1], k[2], lexicon))))

    def candidates(self, doc: Doc) -> tuple[TokenView, list[Mention]]:
        """The Doc's TokenView and its candidates: the `kg` spans, then the generated ones."""
        tv = token_view(doc)
        title_chars = doc_extension(doc, "kg_title_chars", 0)
        title_tokens = bisect_left(tv.idx, title_chars) if title_chars > 0 else 0
        mentions = rule_mentions(doc, tv, title_tokens)
        if self.generator is not None:
            have = {(m[0], m[1]) for m in mentions}
            counts: dict[str, int] = {}
            gen = [(s, e, tv.span_text(s, e)) for s, e in self.generator(tv) if (s, e) not in have]
            for _s, _e, t in gen:
                k = t.lower()
                counts[k] = counts.get(k, 0) + 1
            mentions += [(s, e, GEN_LABEL, t, "gen", counts[t.lower()], s < title_tokens) for s, e, t in gen]
        return tv, mentions

    def __call__(self, doc: Doc) -> tuple[list[Mention], list[list[str]]]:
        """The candidates with all their features (for training)."""
        tv, mentions = self.candidates(doc)
        text_feats = self._text
        return mentions, [span_features(tv, s, e, label, m, title, text_feats[text, label, src])
                          for s, e, label, text, src, m, title in mentions]


class ContextRows:
    """`context_features` as rows of the model's weight matrix, without building the strings: the
    model's context features are parsed once into look-up tables keyed by the words themselves
    (and the rule label), so a candidate costs eight dict look-ups and no string is made."""

    def __init__(self, model: SpanModel) -> None:
        index, matrix = model.matrix
        self.unk = unk = len(matrix) - 1
        labels = (*CLASSES[:-1], GEN_LABEL)
        words: dict[str, dict[str, int]] = {"p1": {}, "p2": {}, "n1": {}, "n2": {}}
        pairs: dict[str, dict[tuple[str, str], int]] = {"p2p1": {}, "n1n2": {}, "rl|p1": {}, "rl|n1": {}}
        for feature, i in index.items():
            head, _, value = feature.partition("=")
            if head in words:
                words[head][value] = i
            elif head in ("rl|p1", "rl|n1"):
                label, _, word = value.partition("|")
                pairs[head][label, word] = i
            elif head in pairs:  # "p2p1=a b": a word may hold a space (a whitespace token): every split
                at = value.find(" ")
                while at >= 0:
                    pairs[head][value[:at], value[at + 1:]] = i
                    at = value.find(" ", at + 1)
        self._p1, self._p2, self._n1, self._n2 = (words[h] for h in ("p1", "p2", "n1", "n2"))
        self._pp, self._nn, self._lp, self._ln = (pairs[h] for h in ("p2p1", "n1n2", "rl|p1", "rl|n1"))

        def row(feature: str) -> int:
            return index.get(feature, unk)

        self._m = {(lab, m): [row(f"m={m}"), row(f"rl|m={lab}|{m}")] for lab in labels for m in range(4)}
        self._cue = {w: row("ctx=" + w) for w in _CONTEXT_CUES}
        self._title = {lab: [row("title"), row(f"rl|title={lab}")] for lab in labels}
        self._colon = {lab: row(f"rl|title_colon={lab}") for lab in labels}
        self._sent_start = row("sent_start")

    def rows(self, tv: TokenView, start: int, end: int, label: str, mentions: int, in_title: bool) -> list[int]:
        """The rows of `context_features(tv, start, end, label, mentions, in_title)`, in any order."""
        return self.batch(tv, [(start, end, label, "", "", mentions, in_title)])[0]

    def batch(self, tv: TokenView, mentions: list[Mention]) -> list[list[int]]:
        """`rows` of each mention (one loop, the tables bound to locals)."""
        lower, n, unk = tv.lower, tv.n, self.unk
        p1_get, p2_get, pp_get, lp_get = self._p1.get, self._p2.get, self._pp.get, self._lp.get
        n1_get, n2_get, nn_get, ln_get = self._n1.get, self._n2.get, self._nn.get, self._ln.get
        m_rows, cue_row, title_rows, colon_row = self._m, self._cue.__getitem__, self._title, self._colon
        cues_in, sent_start = _CONTEXT_CUES.intersection, self._sent_start
        out: list[list[int]] = []
        for start, end, label, _text, _src, mentions, in_title in mentions:
            p1 = lower[start - 1] if start > 0 else "<s>"
            p2 = lower[start - 2] if start > 1 else "<s>"
            n1 = lower[end] if end < n else "</s>"
            n2 = lower[end + 1] if end + 1 < n else "</s>"
            rows = [p1_get(p1, unk), p2_get(p2, unk), pp_get((p2, p1), unk), lp_get((label, p1), unk),
                    n1_get(n1, unk), n2_get(n2, unk), nn_get((n1, n2), unk), ln_get((label, n1), unk),
                    *m_rows[label, mentions if mentions < 3 else 3]]
            cues = cues_in(lower[start - 4 if start > 4 else 0 : end + 4])
            if cues:  # sorted: the float sum is then the same in every process (string hashes are salted)
                rows += map(cue_row, sorted(cues))
            if in_title:
                rows += title_rows[label]
                if n1 == ":":
                    rows.append(colon_row[label])
            elif p1 == "." or p1 == "<s>":
                rows.append(sent_start)
            out.append(rows)
        return out


class NameRows:
    """`_text_features` as rows of the model's weight matrix, from memoised parts: a new name is
    mostly made of words, first and last words and shapes already seen, so only its few whole-name
    features (length, case flags, list look-up) are worked out afresh."""

    def __init__(self, model: SpanModel, lexicon: Lexicon) -> None:
        index, matrix = model.matrix
        unk = len(matrix) - 1
        self.lexicon = lexicon

        def row(feature: str) -> int:
            return index.get(feature, unk)

        def last_rows(key: tuple[str, str]) -> list[int]:
            label, last = key
            rows = [row("last=" + last), row(f"rl|last={label}|{last}"), row("suf=" + last[-3:]),
                    row(f"rl|suf={label}|{last[-3:]}")]
            if last.endswith(("ing", "tion", "sion", "ment")):
                rows.append(row("nominal_head"))
            if last.endswith(("es", "ed", "izes", "ises")) and not last.endswith("ss"):
                rows.append(row("verbish_head"))
            return rows

        def first_rows(key: tuple[str, bool]) -> list[int]:
            first, several = key
            rows = [row("first=" + first), row("pre=" + first[:3])]
            if several and first.endswith(("ed", "es", "izes")):
                rows.append(row("verbish_first"))
            return rows

        self._const: BoundedMemo[tuple[str, str], list[int]] = BoundedMemo(
            lambda k: [row(f"rl={k[0]}"), row(f"src={k[1]}"), row(f"rl|src={k[0]}|{k[1]}")])
        self._shape: BoundedMemo[tuple[str, str], list[int]] = BoundedMemo(
            lambda k: [row("shape=" + k[1]), row(f"rl|shape={k[0]}|{k[1]}")])
        self._last: BoundedMemo[tuple[str, str], list[int]] = BoundedMemo(last_rows)
        self._first: BoundedMemo[tuple[str, bool], list[int]] = BoundedMemo(first_rows)
        self._word: BoundedMemo[str, int] = BoundedMemo(lambda w: row("w=" + w))
        self._short: BoundedMemo[str, int] = BoundedMemo(lambda label: row("short|" + label))
        self._lex: BoundedMemo[tuple[str, str], list[int]] = BoundedMemo(
            lambda k: [row("lex=" + k[0]), row("lexsrc=" + k[1])])
        self._len = [unk] + [row(f"len={i}") for i in range(1, 7)]
        self._allcaps, self._lower, self._digit, self._innercap = map(row, ("allcaps", "lower", "digit", "innercap"))

    def __call__(self, text: str, label: str, source: str) -> list[int]:
        """The rows of the distinct `_text_features(text, label, source, lexicon)`, in any order."""
        words = text.replace("-", " - ").split()
        lower = [w.lower() for w in words]
        shape = " ".join(map(_SHAPES.__getitem__, words[:4]))
        rows = (self._const[label, source] + self._shape[label, shape] + self._last[label, lower[-1]]
                + self._first[lower[0], len(words) > 1])
        rows.append(self._len[min(len(words), 6)])
        rows += map(self._word.__getitem__, dict.fromkeys(w for w in lower if w != "-"))
        if text.isupper():
            rows.append(self._allcaps)
        if text.islower():
            rows.append(self._lower)
        if _DIGIT(text):
            rows.append(self._digit)
        if text[1:] != text[1:].lower():
            rows.append(self._innercap)
        if len(text) <= 3:
            rows.append(self._short[label])
        term = self.lexicon.lookup(text) if source != "gen" else None
        if term is not None:
            rows += self._lex[term.label, term.source]
        return rows


#: types the rules get right from name lists and number context; dropping one needs more certainty
_LIST_LABELS = frozenset(("DATASET", "METRIC"))


class SpanClassifier(BatchPipe):
    """Drops or retypes the rules' entities by the model's verdict (per entity key), and adds the
    generated candidates the model is sure of."""

    def __init__(self, model: SpanModel, lexicon: Lexicon, drop_threshold: float, relabel_threshold: float,
                 add_threshold: float, list_drop_threshold: float = 0.8) -> None:
        self.model = model
        generator = Generator(model.heads, lexicon.cues.get("phrase_blocked_modifiers", frozenset()),
                              STOP_WORDS.__contains__, model.singles) if model.heads else None
        self.featurize = SpanFeaturizer(lexicon, generator)
        #: name key (text, rule label, source) -> (matrix rows of its own features, screened out)
        self._names: dict[tuple[str, str, str], tuple[list[int], bool]] = {}
        self._bias = np.asarray(model.bias, dtype=np.float64)
        self._context = ContextRows(model)
        self._name_rows_of = NameRows(model, lexicon)
        self.drop_threshold = drop_threshold
        self.list_drop_threshold = list_drop_threshold
        self.relabel_threshold = relabel_threshold
        self.add_threshold = add_threshold
        self.none = model.classes.index("NONE")

    def _rule_labels(self, rows: list[Row], keys: list[str], probs: list[list[float]]) -> list[str | None]:
        """Per `kg` span: its new label, or None to drop it (mentions of one key agree)."""
        by_key: dict[str, list[float]] = {}
        counts: dict[str, int] = {}
        for k, p in zip(keys, probs):
            acc = by_key.get(k)
            if acc is None:
                by_key[k] = list(p)
                counts[k] = 1
            else:
                for i, v in enumerate(p):
                    acc[i] += v
                counts[k] += 1
        verdict: dict[str, str | None] = {}
        classes, none = self.model.classes, self.none
        rule_label = {k: row[2] for row, k in zip(rows, keys)}
        for k, acc in by_key.items():
            c = counts[k]
            mean = [v / c for v in acc]
            drop_at = self.list_drop_threshold if rule_label[k] in _LIST_LABELS else self.drop_threshold
            if mean[none] >= drop_at:
                verdict[k] = None
                continue
            best = max((i for i in range(len(classes)) if i != none), key=mean.__getitem__)
            verdict[k] = classes[best] if mean[best] >= self.relabel_threshold else ""
        return [row[2] if verdict[k] == "" else verdict[k] for row, k in zip(rows, keys)]

    def _added(self, mentions: list[Mention], probs: list[list[float]], owner: list[int],
               rule_conf: list[float]) -> tuple[list[tuple[int, int, str, float]], set[int]]:
        """(start, end, label, probability) of the generated candidates to add, and the kept
        `kg` rows they replace: the surest first; a candidate may swallow whole entities the
        model is less sure of ("text-to-video generation" over "video generation"), never
        overlap part of one or another added candidate."""
        classes, none = self.model.classes, self.none
        scored = []
        for m, p in zip(mentions, probs):
            best = max((i for i in range(len(classes)) if i != none), key=p.__getitem__)
            if p[best] >= self.add_threshold and p[best] > p[none]:
                scored.append((-p[best], m[0], m[1], classes[best]))
        out = []
        replaced: set[int] = set()
        for negp, s, e, label in sorted(scored):
            inside = set(owner[s:e])
            if -2 in inside:  # another added candidate
                continue
            rows = inside - {-1}
            if rows:
                first, last = owner[s - 1] if s > 0 else -1, owner[e] if e < len(owner) else -1
                if (first >= 0 and first in rows) or (last >= 0 and last in rows) or any(rule_conf[r] >= -negp for r in rows):
                    continue
                replaced |= rows
            owner[s:e] = [-2] * (e - s)
            out.append((s, e, label, -negp))
        return out, replaced

    def _name_rows(self, keys: list[tuple[str, str, str]]) -> None:
        """Memoise, per name key (text, rule label, source), the matrix rows of its own features and
        whether they alone rule out a generated candidate (every type `SCREEN_MARGIN` below NONE,
        bias included): all of a Doc's new names are scored with one gather."""
        _, matrix = self.model.matrix
        name_rows = self._name_rows_of
        rows = [name_rows(text, label, src) for text, label, src in keys]
        offsets = list(accumulate((len(r) for r in rows[:-1]), initial=0))
        base = np.add.reduceat(matrix[np.fromiter(chain.from_iterable(rows), dtype=np.intp)], offsets, axis=0)
        base += self._bias
        none = self.none
        best_other = np.delete(base, none, axis=1).max(axis=1)
        screened = (best_other - base[:, none] < -SCREEN_MARGIN).tolist()
        memo = self._names
        if len(memo) + len(keys) > MEMO_SIZE:
            memo.clear()
        for key, r, out in zip(keys, rows, screened):
            memo[key] = (r, out)

    def probabilities(self, doc: Doc) -> tuple[list[Mention], list[list[float]]]:
        """The candidates worth scoring and their class probabilities (`model.proba` of their
        features, computed for the whole Doc at once)."""
        tv, mentions = self.featurize.candidates(doc)
        if not mentions:
            return [], []
        names = self._names
        new = [k for k in dict.fromkeys([(m[3], m[2], m[4]) for m in mentions]) if k not in names]
        if new:
            self._name_rows(new)
        kept: list[Mention] = []
        name_rows: list[list[int]] = []
        for mention in mentions:
            rows, screened = names[mention[3], mention[2], mention[4]]
            if screened and mention[4] == "gen":
                continue  # its name alone rules it out by a wide margin: no context can save it
            kept.append(mention)
            name_rows.append(rows)
        if not kept:
            return [], []
        flat: list[int] = []
        offsets: list[int] = []
        for rows, context in zip(name_rows, self._context.batch(tv, kept)):
            offsets.append(len(flat))
            flat += rows
            flat += context
        _, matrix = self.model.matrix
        scores = np.add.reduceat(matrix[np.array(flat, dtype=np.intp)], offsets, axis=0)
        scores += self._bias
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return kept, scores.tolist()

    def __call__(self, doc: Doc) -> Doc:
        mentions, probs = self.probabilities(doc)
        if not mentions:
            return doc
        rows = span_rows(doc, SPAN_KEY)
        nr = len(rows)
        attrs = dict(doc.spans[SPAN_KEY].attrs) if nr else {}
        keys = attrs.get("key") or [r[3] for r in rows]
        labels = self._rule_labels(rows, keys, probs[:nr])
        owner = [-1] * len(doc)  # token -> kept row covering it (-1: none)
        classes = self.model.classes
        rule_conf = []
        for r, (row, lab) in enumerate(zip(rows, labels)):
            p = probs[r]
            rule_conf.append(p[classes.index(lab)] if lab is not None else 0.0)
            if lab is not None:
                owner[row[0]:row[1]] = [r] * (row[1] - row[0])
        added, replaced = self._added(mentions[nr:], probs[nr:], owner, rule_conf) if len(mentions) > nr else ([], set())
        for r in replaced:
            labels[r] = None
        if not added and all(lab == row[2] for lab, row in zip(labels, rows)):
            return doc
        keep = [i for i, lab in enumerate(labels) if lab is not None]
        new = [(rows[i][0], rows[i][1], labels[i], rows[i][3], rows[i][4], i) for i in keep]
        tv = token_view(doc)
        for s, e, label, p in added:
            text = tv.span_text(s, e)
            new.append((s, e, label, text, "", -1 - len(new)))
        new.sort()
        publish_spans(doc, SPAN_KEY, [r[:5] for r in new])
        new_attrs = doc.spans[SPAN_KEY].attrs
        extra = {"key": lambda r: added_key(r[3]), "source": lambda r: "learned",
                 "confidence": lambda r: 0.6}
        for name, values in attrs.items():
            if isinstance(values, list) and len(values) == nr:
                make = extra.get(name, lambda r: None)
                new_attrs[name] = [values[r[5]] if r[5] >= 0 else make(r) for r in new]
            else:
                new_attrs[name] = values
        return doc


def added_key(text: str) -> str:
    """Key of a name the classifier added: several words are an English phrase whatever their
    case ("Bi-Level Routing Attention" is "bi-level routing attention"); one word keeps the
    coined-name rules of `normalize_key`."""
    return normalize_key(text.lower(), acronym=False) if " " in text else normalize_key(text)


@Language.factory("kg_classifier", assigns=["doc.spans"],
                  default_config={"model_path": None, "terms_path": None, "drop_threshold": 0.5,
                                  "list_drop_threshold": 0.8, "relabel_threshold": 0.6, "add_threshold": 0.5})
def make_span_classifier(nlp: Language, name: str, model_path: str | None, terms_path: str | None,
                         drop_threshold: float, list_drop_threshold: float, relabel_threshold: float,
                         add_threshold: float) -> SpanClassifier:
    return SpanClassifier(load_model(model_path), load_lexicon(terms_path), drop_threshold, relabel_threshold,
                          add_threshold, list_drop_threshold)
