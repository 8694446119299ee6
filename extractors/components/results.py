"""`kg_results`: reported numbers ("82.5% top-1 accuracy on ImageNet") tied to metric, dataset, method.

The number/unit parser is one named regex (NUMBER_RE). A number becomes a result only when a
metric mention is close to it in the same sentence; dataset and method come from the same
sentence, else the paper's proposed method. Stored as plain tuples in `Doc._.kg_results`:
(start_char, end_char, value, unit, metric_idx, dataset_idx, method_idx), indices into
`doc.spans["kg"]` (-1 when absent).
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.entities import SPAN_KEY
from extractors.components.sentences import SentenceIndex, doc_text

if not Doc.has_extension("kg_results"):
    Doc.set_extension("kg_results", default=())

NUMBER_RE = re.compile(
    r"(?<![\w.@/-])(?P<sign>[+-]|\u2212)?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s?"
    r"(?P<unit>%|\u00d7|x(?![a-zA-Z])|pp\b|points?\b|dB\b|bpp\b|BLEU\b)?"
)
MAX_DISTANCE = 6  # tokens between a number and its metric


def parse_number(text: str) -> tuple[float, str | None] | None:
    """Value and unit of a reported number: "+1.9 points" -> (1.9, "points"), "92.9%" -> (92.9, "%")."""
    m = NUMBER_RE.search(text)
    if m is None:
        return None
    value = float(m["num"].replace(",", ""))
    if m["sign"] in ("-", "\u2212"):
        value = -value
    unit = m["unit"]
    if unit in ("\u00d7", "x"):
        unit = "x"
    elif unit in ("point", "points", "pp"):
        unit = "points"
    return value, unit


def find_results(doc: Doc) -> tuple[tuple, ...]:
    """All (number, metric[, dataset, method]) associations in `doc`."""
    if SPAN_KEY not in doc.spans:
        return ()
    group = doc.spans[SPAN_KEY]
    roles = group.attrs.get("role", ["mentioned"] * len(group))
    covered = {i for s in group for i in range(s.start, s.end)}
    proposed = [i for i, s in enumerate(group) if s.label_ == "METHOD" and roles[i] == "proposed"]
    out = []
    sents = SentenceIndex(doc)
    for m in NUMBER_RE.finditer(doc_text(doc)):
        if m["unit"] is None and "." not in m["num"]:
            continue  # bare integers are counts or years far more often than scores
        span = doc.char_span(m.start(), m.end() if not m.group(0).endswith(" ") else m.end() - 1,
                             alignment_mode="expand")
        if span is None or any(i in covered for i in range(span.start, span.end)):
            continue
        sent = doc[slice(*sents.around(span.start))]
        in_sent = [i for i, s in enumerate(group) if s.start >= sent.start and s.end <= sent.end]
        metrics = [i for i in in_sent if group[i].label_ == "METRIC"]
        if not metrics:
            continue

        def dist(i: int) -> int:
            s = group[i]
            return s.start - span.end if s.start >= span.end else span.start - s.end + 1

        metric = min(metrics, key=dist)
        if dist(metric) > MAX_DISTANCE:
            continue
        datasets = [i for i in in_sent if group[i].label_ == "DATASET"]
        dataset = min(datasets, key=dist) if datasets else -1
        methods = [i for i in in_sent if group[i].label_ == "METHOD"]
        own = [i for i in methods if roles[i] == "proposed"]
        before = [i for i in methods if group[i].end <= span.start]
        if own:
            method = min(own, key=dist)
        elif before:
            method = max(before, key=lambda i: group[i].start)
        elif proposed:
            method = proposed[0]
        else:
            method = -1
        value, unit = parse_number(m.group(0))
        end = m.end() - (1 if m.group(0).endswith(" ") else 0)
        out.append((m.start(), end, value, unit, metric, dataset, method))
    return tuple(out)


class ResultExtractor:
    def __call__(self, doc: Doc) -> Doc:
        doc._.kg_results = find_results(doc)
        return doc


@Language.factory("kg_results", assigns=["doc._.kg_results"], requires=["doc.spans"])
def make_result_extractor(nlp: Language, name: str) -> ResultExtractor:
    return ResultExtractor()
