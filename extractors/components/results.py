"""`kg_results`: reported numbers ("82.5% top-1 accuracy on ImageNet") tied to metric, dataset, method.

Numbers are found with one regex over the abstract (NUMBER_RE: sign, "~", "x1500", value, unit,
a range "1.05x-1.28x" as one value), then tied to a METRIC mention of the same sentence the
way abstracts write results, tried in this order:

1. a metric after the number, across result words ("71.2% top-1 accuracy", "by 2.1 BLEU",
   "28% reduction in FLOPs"); lists pair in order ("4.80x and 3.44x for latency and model size");
2. a metric before it ("F1 score of 0.82", "improves F1 by 1.9 points", "accuracy (87.8%)",
   "an rFID of 0.38 (versus 0.87 for SD-VAE)");
3. an earlier result of the same or the previous sentence with the same unit, for enumerations
   ("87.5% top-1 accuracy on ILSVRC-2012, 99.4% on CIFAR-10, and 76.3% on VTAB") and
   "a score of 35.6".

A number followed by another noun ("1.3M parameters", "35% fewer parameters", "2.5x faster
speed") measures that noun, not a metric further away, so it is dropped; bare integers and sizes
(7B, 1.3M) need the metric right next to them; numbers in the title are left out (the abstract
states them with their context). Numbers joined by "and", ",", "/" or "from ... to" share a
metric or pair with a metric list; "A to B" and "between A and B" are one range (first value).

Dataset: "on/in/for D" right after the number, else a dataset next to the metric phrase, else
the nearest in the sentence. Method: "0.87 for SD-VAE", else the paper's own method in the
sentence, else the last method before the number that is neither a baseline nor a part, else
the paper's own method (see `_method`). Stored as plain tuples in
`Doc._.kg_results`: (start_char, end_char, value, unit, metric_idx, dataset_idx, method_idx,
relative, spread), indices into `doc.spans["kg"]` (-1 when absent); `relative` marks a gain over
something else ("by 2.1 BLEU", "+1.9 points", "45% fewer FLOPs", "2x faster"), `spread` the "± 0.15"
of a value (None without one).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter

from spacy.language import Language
from spacy.tokens import Doc

from extractors.components.entities import SPAN_KEY, kg_columns
from extractors.components.sentences import SentenceIndex
from extractors.components.view import BatchPipe, Row, TokenView, append_spans, extension_key, span_rows, token_view
from extractors.lexicon import Lexicon, load_lexicon
from extractors.normalize import normalize_key

if not Doc.has_extension("kg_results"):
    Doc.set_extension("kg_results", default=())

_NOT_DIMENSION = r"(?![a-zA-Z]|\s?\d)"  # "4x", not "3 x 3" or "2048times 2048"
_UNIT = (
    rf"\\?%\$?|\$?\\times\$?{_NOT_DIMENSION}|\u00d7{_NOT_DIMENSION}|[xX]{_NOT_DIMENSION}|times{_NOT_DIMENSION}|-?fold\b|pp\b"
    r"|points?\b|percent(?:age points?)?\b|pts\b|dB\b|bpp\b|ms\b|[kMG]bps\b|[KMGT]i?B\b|seconds?\b|hours?\b"
    r"|minutes\b"
)
#: "± 0.15", "+/- 0.15", "+-0.33", "$\pm$ 0.15" after a value: its spread, not a second value
_SPREAD = r"\s?(?:\u00b1|\+/-|\+-|\$?\\pm\$?)\s?(?P<{name}>\d+(?:\.\d+)?)"
NUMBER_RE = re.compile(
    r"(?<![\w.@^*\-])"
    r"(?:(?P<approx>[~\u223c\u2248]|\$?\\sim\$?)\s?)?(?P<sign>[+\-\u2212])?(?P<xpre>[x\u00d7](?=\d))?"
    r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)"
    rf"(?:{_SPREAD.format(name='spread')})?"
    rf"(?:(?P<size>[kKMBGT])(?![A-Za-z\d])|\s?(?P<unit>{_UNIT}))?"
    rf"(?:{_SPREAD.format(name='spread2')}(?:\s?(?:{_UNIT}))?)?"
    rf"(?P<range>\s?(?:--?|\u2013|~|\u223c)\s?\d+(?:\.\d+)?(?:\s?(?P<range_unit>{_UNIT}))?)?"
)
#: where a NUMBER_RE match can start: its first character, and NUMBER_RE's lookbehind on the one
#: before. Starting with a character class lets `re` skip ahead in C; NUMBER_RE (which opens with
#: a lookbehind) is then only tried at these positions.
NUMBER_START_RE = re.compile(r"[~\u223c\u2248+\-\u2212x\u00d7\d.$\\](?<![\w.@^*\-].)", re.DOTALL)
#: NUMBER_START_RE for ASCII text (where `\d` is 0-9 and `\w` is [A-Za-z0-9_]): a class of plain
#: characters lets `re` scan for it about twice as fast as one with a category
ASCII_NUMBER_START_RE = re.compile(r"[-~+x.0-9$\\](?<![A-Za-z0-9_.@^*\-].)", re.DOTALL)
_WORD_AFTER_RE = re.compile(r"-?[A-Za-z]")
#: statistics about a result, not results: "95% CI", "(CI: 0.70-0.76", "p < .001", "SD = 0.2"
_STAT_AFTER_RE = re.compile(r"\s?(?:CI\b|confidence (?:interval|level))")
#: "top 1, 2, and 3 error", "Top-5": a rank, not a reported value
_RANK_BEFORE_RE = re.compile(r"\b(?:top|rank|Top|Rank|TOP)[\s-]?$")
_STAT_BEFORE_RE = re.compile(r"(?:\bCIs?|\b[pP]|\bSD|\bstd|\bIQR|\bSE)\s?(?:[:=<>\u2264\u2265]\s?)?\(?$")
UNIT_NAMES = {"\\%": "%", "%$": "%", "\\%$": "%", "percent": "%", "percentage point": "points",
              "percentage points": "points", "\\times": "x", "$\\times": "x", "\\times$": "x", "$\\times$": "x", "\u00d7": "x", "X": "x", "times": "x", "fold": "x", "-fold": "x", "pp": "points",
              "point": "points", "pts": "points", "second": "s", "seconds": "s", "hour": "h", "hours": "h",
              "minutes": "min", "k": "K"}
SIZE_UNITS = frozenset("KMBGT")
MAX_DISTANCE = 5  # tokens (an entity counts as one) between a metric and a number after it
MAX_BY_DISTANCE = 12  # "improves the throughput of GPT-style models by 1.05x"
AFTER_WINDOW = 5  # tokens searched after a number for its metric

#: words between a number and the metric it measures ("2.1% absolute improvement in F1")
RESULT_WORDS = frozenset(
    "absolute relative average avg mean overall improvement improvements gain gains increase increases "
    "reduction reductions decrease drop boost saving savings higher lower better worse more less lift "
    "margin speedup speedups".split()
)
#: comparatives that name their own dimension ("4x smaller", "40% faster"): no metric further away
DIMENSION_WORDS = frozenset("smaller larger bigger faster slower fewer cheaper lighter shorter longer".split())
#: links from a number to a later metric ("for latency", "in terms of PSNR")
AFTER_LINKS = frozenset("in on of for terms the a an (".split())
#: non-nouns after a number: they end the search without saying the number measures something else
FUNCTION_WORDS = frozenset(
    "and or but nor with without while whereas when which that than over compared versus vs against as at "
    "to from by per across among under above below behind ahead beyond after before during through within "
    "via respectively also still only even just both all each its their our this these those it they we "
    "is are was were be being been has have had can could may might will would should up down out off "
    "about around approximately nearly almost roughly so thus hence then there here whose where who not no "
    "on in of for the a an into onto upon despite like unlike same comparable similar".split()
)
#: what may sit between a metric and a bare integer or size ("R1 score of 41", "FLOPs: 4.1G")
TIGHT_GAP = frozenset("of score scores = : is was are were value values a an reaches reached achieves achieved "
                      "to up by".split())
#: words before a baseline method ("surpassing DeiT by 0.3%"), besides the lexicon's compare cues
COMPARE_WORDS = frozenset("surpassing surpasses outperforming outperforms than over versus vs vs. against rivals "
                          "rivaling comparable".split())
#: words that open a new clause after a comma (", and Y gets 81.8%")
CLAUSE_WORDS = frozenset("and but while whereas which".split())
#: words before a method that is a part of the one reporting ("with ResNet-50", "using BERT")
PART_WORDS = frozenset("with using via from on of".split())
#: words right before a number that carry on an earlier result of the sentence with the same unit
#: ("accuracy of 90.9%, compared to 9.1% for ...", "the previous SOTA accuracy of 96.0%, achieving 99.72%")
CARRY_BEFORE = frozenset("compared to versus vs vs. than against over achieving reaching obtaining attaining "
                         "achieves reaches obtains attains achieved reached obtained attained".split())
#: words right after a number that carry on an earlier result ("9.17x ..., and 3.17x on average")
CARRY_AFTER = ("on average", "in average", "respectively", "overall")
#: words between a method and a number that is its own ("DINOv2's 0.76", "DenseNet-121 (0.74", "X with 0.62")
OWNER_GAP = frozenset("( 's \u2019s with : baseline baselines model models".split())
#: counts and hyperparameters: a metric named so is not a score ("1.3M parameters", "batch size of 256")
COUNT_METRIC_RE = re.compile(r"(?:^|\s)(?:epochs?|steps?|param(?:eter)?s?|batch(?: size)?|layers?|samples?|gpus?"
                             r"|tokens?|iterations?|heads?|shots?|examples?|images?)$")
#: words after a number that make it a count ("300 epochs", "8 GPUs", "15 shot")
COUNT_WORDS = frozenset("epoch epochs step steps parameter parameters params batch layers layer samples sample "
                        "gpus gpu tokens token iterations iteration heads shot shots examples images".split())
_DELTA_WORDS = (r"(?:improvements?|gains?|increases?|reductions?|decreases?|drops?|boosts?|higher|lower|better"
                r"|worse|more|less|fewer|faster|slower|smaller|larger|bigger|greater|cheaper|savings?|speed-?ups?"
                r"|lifts?|margins?)")
#: "by 2.4%", "a gain of up to 0.3%/1.1%": the text before a relative number
DELTA_BEFORE_RE = re.compile(
    rf"\b(?:by|{_DELTA_WORDS} of)\s+(?:(?:up to|about|approximately|around|nearly|over|more than|roughly|an?|"
    r"only|almost|at least)\s+|~)*(?:[-+\d.,%x]+\s*(?:/|,|and|or|to)\s*)*$",
    re.IGNORECASE,
)
#: "2.4% higher", "0.5 dB PSNR gain", "3 times faster": the text after a relative number
DELTA_AFTER_RE = re.compile(
    rf"\s*(?:(?!(?:with|on|in|and|at|while|than|for|of|to)\b)[\w@./-]+\s+){{0,2}}"
    rf"(?:absolute |relative |average |overall )?{_DELTA_WORDS}\b",
    re.IGNORECASE,
)
#: nouns that name what a reported number measures: the head of an unlisted metric phrase; those
#: of _HEADS are metrics alone, those of _MODIFIED_HEADS only with a modifier ("task success rate",
#: "training costs", "token reduction"; not a bare "rate" or "time")
_HEADS = r"(?:accuracy|accuracies|precision|recall|sensitivity|specificity|throughput|latency|memory)"
_MODIFIED_HEADS = (r"(?:rates?|coverage|overhead|errors?|costs?|speed|usage|consumption|efficiency|fidelity|loss"
                   r"|utilization|time|reduction)")
#: words that may modify a metric head but are no part of its name ("average", "state-of-the-art")
_NOT_MODIFIERS = (r"(?:the|a|an|of|on|in|for|and|or|with|to|at|by|from|than|that|which|while|is|are|was|were|its|their"
                  r"|our|this|these|average|mean|overall|geometric|total|high|higher|low|lower|new|best|final|relative"
                  r"|absolute|strong|competitive|only|consistent|superior|significant|impressive|notable|substantial"
                  r"|considerable|top|peak|maximum|minimum|good|better|excellent|great|perfect|remarkable|over|up"
                  r"|nearly|about|approximately|around|[a-z]+ly|state-of-the-art|sota|improvements?|gains?|increases?"
                  r"|reductions?|decreases?|drops?|fewer|less|more|greater|faster|smaller|larger)")
_MODIFIER = rf"(?!{_NOT_MODIFIERS}\b)[a-z][a-z0-9]*(?:-[a-z0-9]+)*\s"
#: a metric phrase: up to two modifiers and a head noun
_PHRASE = rf"(?P<phrase>(?:{_MODIFIER}){{0,2}}{_HEADS}|(?:{_MODIFIER}){{1,2}}{_MODIFIED_HEADS})\b"
#: delta words before an unlisted metric ("a 534% increase in click-through rate"); not the comparatives
#: of DIMENSION_WORDS ("5x faster fitting time" measures speed, a quantity of its own)
_DELTA_BEFORE_METRIC = (r"(?:improvements?|gains?|increases?|reductions?|decreases?|drops?|boosts?|higher|lower|better"
                        r"|worse|greater|less|savings?)")
#: an unlisted metric named after its number: "54.6% success rate", "a 534% increase in click-through
#: rate", "30x greater parameter efficiency", "below 40% average test pass rates"
METRIC_AFTER_RE = re.compile(
    rf"\s(?:(?:relative|absolute|average|overall|mean)\s)?"
    rf"(?:{_DELTA_BEFORE_METRIC}\s(?:in\s|of\s)?)?(?:(?:average|mean|overall)\s)?{_PHRASE}"
)
#: ... before it: "a performance overhead of only 1%", "a detection rate of 78.8%"
METRIC_BEFORE_RE = re.compile(
    rf"\b{_PHRASE}\s(?:of|=|:|is|was)\s(?:(?:only|approximately|about|around|nearly|up to|over|just)\s)?$"
)
#: ... or as the object of a verb of change: "reducing training costs by 87%", "improving success rates by 24-45%",
#: "(improves X from A to B) and the encoding speed by 12x"
METRIC_BY_RE = re.compile(
    rf"\b(?:(?:reduc|lower|improv|increas|cut|boost|rais|decreas|enhanc)[a-z]*|and)\s(?:(?:the|overall|average)\s)?"
    rf"{_PHRASE}\sby\s(?:(?:only|approximately|about|around|nearly|up to|over|more than|roughly)\s)?$"
)
GROUP_SEP = re.compile(r"\s*(?:,\s*(?:and|or)?|and|or|/|to|vs\.?|versus)\s*", re.IGNORECASE)
_START, _END, _LABEL = itemgetter(0), itemgetter(1), itemgetter(2)  # of a Row


@dataclass
class Number:
    """One reported-number candidate: char span, value, unit and token span."""

    start: int
    end: int
    value: float
    unit: str | None
    integer: bool  # no decimals and no unit: a count or a year more often than a score
    t0: int = 0
    t1: int = 0
    spread: float | None = None  # "10.36 ± 0.15": 0.15
    signed: bool = False  # "+1.9": a delta

    @property
    def strict(self) -> bool:
        """Counts and sizes ("12 layers", "7B") are results only right next to their metric."""
        return self.integer or self.unit in SIZE_UNITS


def _unit_name(unit: str | None) -> str | None:
    """One spelling per unit: "times", "X" and "\u00d7" are "x"; "pp" and "point" are "points"."""
    return None if unit is None else UNIT_NAMES.get(unit, unit)


def _match_number(m: re.Match[str]) -> tuple[float, str | None]:
    value = float(m["num"].replace(",", ""))
    if m["sign"] in ("-", "\u2212"):
        value = -value
    unit = "x" if m["xpre"] else m["size"] or m["unit"] or m["range_unit"]  # "2-3%": the unit is written once
    return value, _unit_name(unit)


def _match_spread(m: re.Match[str]) -> float | None:
    """The spread of "10.36 ± 0.15" (0.15), None when the number has none."""
    spread = m["spread"] or m["spread2"]
    return None if spread is None else float(spread)


def parse_spread(text: str) -> float | None:
    """The spread written after a reported number ("± 0.15", "+/-0.2", "$\\pm$ 0.15"), if any.

    Examples
    --------
    >>> parse_spread("10.36 ± 0.15"), parse_spread("98.23+-0.33%"), parse_spread("92.9%")
    (0.15, 0.33, None)
    """
    m = NUMBER_RE.search(text)
    return None if m is None else _match_spread(m)


def parse_number(text: str) -> tuple[float, str | None] | None:
    """Value and unit of a reported number.

    Examples
    --------
    >>> parse_number("+1.9 points"), parse_number("92.9%"), parse_number("56.3 times")
    ((1.9, 'points'), (92.9, '%'), (56.3, 'x'))
    >>> parse_number("up to x1500"), parse_number("1.3M"), parse_number("1.05x-1.28x")
    ((1500.0, 'x'), (1.3, 'M'), (1.05, 'x'))
    """
    m = NUMBER_RE.search(text)
    return None if m is None else _match_number(m)


def is_relative_number(text: str, start: int, end: int, unit: str | None, signed: bool) -> bool:
    """Whether the number text[start:end] is a gain over something else rather than a score: a sign
    ("+1.9"), points, a multiple ("2x faster"), or delta words ("by 2.1 BLEU", "45% fewer FLOPs").

    Examples
    --------
    >>> t = "It improves accuracy by 3.9% and reaches 81.2% on ImageNet."
    >>> is_relative_number(t, 24, 28, "%", False), is_relative_number(t, 41, 46, "%", False)
    (True, False)
    """
    if signed or unit in ("points", "x"):
        return True
    return bool(DELTA_BEFORE_RE.search(text, max(0, start - 40), start)
                or DELTA_AFTER_RE.match(text[end:end + 40]))


def _find_numbers(text: str, first: int) -> Iterator[re.Match[str]]:
    """`NUMBER_RE.finditer(text, first)`, trying NUMBER_RE only where a match can start."""
    search = (ASCII_NUMBER_START_RE if text.isascii() else NUMBER_START_RE).search
    match = NUMBER_RE.match
    at = search(text, first)
    while at is not None:
        m = match(text, at.start())
        if m is None:
            at = search(text, at.start() + 1)
        else:
            yield m
            at = search(text, m.end())


def char_span_tokens(view: TokenView, start: int, end: int) -> tuple[int, int] | None:
    """Token bounds of `doc.char_span(start, end, alignment_mode="expand")` (None when spaCy
    gives None), found by bisecting the token offsets instead of building a Span."""
    length = len(view.text)
    if not (0 <= start < length and 0 < end <= length):
        return None
    idx, words = view.idx, view.words
    t0 = bisect_right(idx, start) - 1
    if start == idx[t0] + len(words[t0]):
        t0 += 1  # the trailing whitespace of a token is not part of it
    return t0, bisect_right(idx, end - 1)


def _numbers(view: TokenView, text: str, first: int) -> list[Number]:
    """The reported-number candidates of `text` from char `first` on."""
    out = []
    rank_end = -1  # end of the last rank number ("top 1"), so "top 1, 2, and 3" are all ranks
    for m in _find_numbers(text, first):
        start, end = m.start(), m.end()
        if _RANK_BEFORE_RE.search(text, max(0, start - 6), start) or (
                rank_end >= 0 and GROUP_SEP.fullmatch(text, rank_end, start)):
            rank_end = end
            continue
        if start > 0 and text[start - 1] == "/" and (start < 2 or text[start - 2] not in "0123456789%"):
            continue  # "ViT-B/16", not "0.3%/1.1%"
        if not (m["unit"] or m["size"] or m["xpre"]) and _WORD_AFTER_RE.match(text, end, end + 2):
            continue  # "3D", "4-bit", "2nd"
        if _STAT_AFTER_RE.match(text, end) or _STAT_BEFORE_RE.search(text, max(0, start - 8), start):
            continue  # "95% CI: 0.70-0.76", "p<.001"
        value, unit = _match_number(m)
        integer = unit is None and "." not in m["num"]
        if integer and 1900 <= value <= 2099:
            continue  # a year
        tokens = char_span_tokens(view, start, end)
        if tokens is not None:
            out.append(Number(start, end, value, unit, integer, *tokens, _match_spread(m), m["sign"] is not None))
    return out


def _groups(numbers: list[Number], text: str, sents: SentenceIndex) -> list[tuple[list[Number], bool]]:
    """Numbers joined by "and", ",", "/" or "to" in one sentence, each with whether it is a range."""
    groups: list[tuple[list[Number], bool]] = []
    for n in numbers:
        if groups:
            members, _ = groups[-1]
            prev = members[-1]
            sep = GROUP_SEP.fullmatch(text[prev.end:n.start])
            if sep and (prev.unit == n.unit or prev.unit is None) and sents.index(prev.t0) == sents.index(n.t0):
                for m in members:  # "3.9 and 3.4 points": the unit is written once
                    if m.unit is None and n.unit is not None:
                        m.unit, m.integer = n.unit, False
                members.append(n)
                lead = text[max(0, members[0].start - 8):members[0].start].lower().split()[-1:]
                word = sep.group().strip().lower()
                ranged = len(members) == 2 and (
                    (word == "to" and lead != ["from"]) or (word == "and" and lead == ["between"]))
                groups[-1] = (members, ranged)
                continue
        groups.append(([n], False))
    return groups


class _Context:
    """Token-level views of one Doc's entities (the `kg` span group's rows, as parallel lists
    `starts`, `ends`, `labels`) and numbers; token strings come from the TokenView."""

    def __init__(self, doc: Doc, rows: list[Row], view: TokenView) -> None:
        self.doc = doc
        self.view = view
        self.words, self.lower, self.n = view.words, view.lower, view.n
        self.starts = list(map(_START, rows))  # (columns copied in C)
        self.ends = list(map(_END, rows))
        self.labels = list(map(_LABEL, rows))
        starts, ends = self.starts, self.ends
        # token -> first entity on it (later rows first, so the first row's entry is the one left)
        self.label_at: dict[int, int] = {t: i for i in range(len(rows) - 1, -1, -1) for t in range(starts[i], ends[i])}
        self.metric_start: dict[int, int] = {}
        self.metric_end: dict[int, int] = {}
        for i, label in enumerate(self.labels):
            if label == "METRIC":
                self.metric_start.setdefault(starts[i], i)
                self.metric_end.setdefault(ends[i] - 1, i)
        self.number_tokens: dict[int, int] = {}  # token -> index of the number on it
        self.abstract_start: int = doc.user_data.get("kg_abstract_start", 0)  # chars before it are the title

    def label(self, t: int) -> str | None:
        i = self.label_at.get(t)
        return None if i is None else self.labels[i]

    def is_noun(self, t: int) -> bool:
        """A word that names what a number before it measures ("parameters", "speed")."""
        word = self.lower[t]
        # str.isalpha of the token text is spaCy's `Token.is_alpha`
        return (t not in self.label_at and word not in FUNCTION_WORDS and word not in RESULT_WORDS
                and not word.endswith(("ing", "ed", "ly")) and self.words[t].isalpha())

    def open_paren(self, t0: int, floor: int) -> int | None:
        """Token index of the unclosed "(" holding token t0, if any (within the sentence)."""
        depth = 0
        words = self.words
        for i in range(t0 - 1, floor - 1, -1):
            text = words[i]
            if text == ")":
                depth += 1
            elif text == "(":
                if depth == 0:
                    return i
                depth -= 1
        return None

    def metrics_after(self, t1: int, limit: int, own: set[int]) -> tuple[list[int | None], bool, bool]:
        """Metric (list) after a number: (items, blocked, adjacent); items empty if none.

        `blocked`: the number is followed by another noun it measures; `adjacent`: only result
        words sit between number and metric.
        """
        i, steps, adjacent, dimension, delta = t1, 0, True, False, False
        while i < limit and steps < AFTER_WINDOW:
            if i in self.metric_start:
                return self._metric_list(i, limit), False, adjacent
            k = self.number_tokens.get(i)
            if k is not None and k not in own:
                return [], dimension, False
            if self.label(i) == "DATASET":
                i = self.ends[self.label_at[i]]
                steps, adjacent = steps + 1, False
                continue
            word = self.lower[i]
            if word in RESULT_WORDS or word in DIMENSION_WORDS:
                dimension = dimension or word in DIMENSION_WORDS
                delta = delta or adjacent
                i, steps = i + 1, steps + 1
                continue
            if word in AFTER_LINKS:
                i, steps, adjacent = i + 1, steps + 1, False
                continue
            if self.is_noun(i):
                # "81.7% validation accuracy": a modifier or two, then the metric
                for j in range(i + 1, i + 4):  # ("span-based F1": a hyphen is no word)
                    if j in self.metric_start and j < limit:
                        return self._metric_list(j, limit), False, False
                    if j >= limit or not (self.is_noun(j) or self.words[j] == "-"
                                          or (not adjacent and self.words[j].islower() and j not in self.label_at)):
                        break
                if len(own) > 1 and not adjacent:
                    items = self._metric_list(i, limit)  # "... in power consumption and model size"
                    if len(items) == len(own) and any(m is not None for m in items):
                        return items, False, False
                # "12x reduction in time cost": the change of that noun, not of a metric before
                return [], adjacent or dimension or delta, False
            if not adjacent and self.words[i].islower():
                for j in range(i + 1, min(limit, i + 4)):  # "in forecasting mIoU", "in span-based Micro-F1"
                    if j in self.metric_start:
                        return self._metric_list(j, limit), False, False
                    if self.words[j] != "-" and not self.words[j].islower():
                        break
            return [], dimension, False
        return [], dimension, False

    def _metric_list(self, t: int, limit: int) -> list[int | None]:
        """"FLOPs and model size": the item at token t and those coordinated with it, as metric
        indices (None for an item that is not a metric)."""
        lower, items, j = self.lower, [], t
        while j < limit:
            if j in self.metric_start:
                items.append(self.metric_start[j])
                j = self.ends[self.metric_start[j]]
            else:
                k = j
                while k < limit and k - j < 3 and self.is_noun(k):
                    k += 1
                if k == j:
                    break
                items.append(None)
                j = k
            if j >= limit:
                break
            word = lower[j]
            if word == "," and j + 1 < limit and lower[j + 1] in ("and", "or"):
                j += 2
            elif word in ("and", "or", ",", "/"):
                j += 1
            else:
                break
        return items

    def metrics_before(self, t0: int, floor: int, size: int) -> tuple[list[int], int, bool]:
        """Metric (list) before a number: (items, gap tokens, tight gap); items empty if none."""
        words, lower, i, steps, tight = self.words, self.lower, t0 - 1, 0, True
        while i >= floor and steps < MAX_BY_DISTANCE:
            if i in self.metric_end:
                m = self.metric_end[i]
                if steps <= MAX_DISTANCE or self._by_object(m, t0):
                    return self._metric_list_before(m, size), steps, tight
                return [], steps, False
            if i in self.number_tokens or words[i] in (";", "(") or lower[i] in ("while", "whereas"):
                return [], steps, False
            if words[i] == "," and i + 1 < t0 and lower[i + 1] in CLAUSE_WORDS:
                return [], steps, False  # "X gets 76.1% accuracy, and Y gets 81.8%": a new clause
            if words[i] == ")":
                opened = self.open_paren(i, floor)
                inner = self.metric_start.get(opened + 1) if opened is not None else None
                if inner is not None and self.ends[inner] == i:
                    return [inner], steps, tight  # "mean average precision (mAP) of 45.2"
                return [], steps, False
            j = self.label_at.get(i)
            if j is not None:
                i = self.starts[j] - 1
            else:
                tight = tight and lower[i] in TIGHT_GAP
                i -= 1
            steps += 1
        return [], steps, False

    def _by_object(self, m: int, t0: int) -> bool:
        """ "<metric> of <its object> by N": the improvement of a metric, further away."""
        lower, end = self.lower, self.ends[m]
        before = lower[max(end, t0 - 3):t0]
        return end < self.n and lower[end] == "of" and "by" in before

    def _metric_list_before(self, last: int, size: int) -> list[int]:
        """ "F1 and accuracy of 80.1 and 90.2": metrics coordinated before, paired when sizes agree."""
        items, start = [last], self.starts[last]
        while len(items) < size and start >= 2 and self.lower[start - 1] in ("and", ",", "/"):
            prev = self.metric_end.get(start - 2)
            if prev is None:
                break
            items.insert(0, prev)
            start = self.starts[prev]
        return items if len(items) == size else [last]

    def dataset_after(self, t1: int, limit: int) -> int:
        """The dataset a number is stated for ("76.3% on the 19 task VTAB"), or -1."""
        if t1 >= limit or self.lower[t1] not in ("on", "in", "for", "over"):
            return -1
        for t in range(t1 + 1, min(limit, t1 + 5)):
            if self.label(t) == "DATASET":
                return self.label_at[t]
            if t in self.label_at or self.doc[t].is_punct:  # rare: a Token is fine here
                return -1
        return -1

    def score_cue(self, t0: int, floor: int) -> bool:
        """ "a score of 35.6": a number the sentence calls a score (not "a GenEval score of")."""
        if t0 - 3 < floor:
            return False
        words = self.lower[t0 - 2:t0]
        return (words[0] in ("score", "scores") and words[1] in ("of", "is", ":")
                and t0 - 3 not in self.label_at and self.words[t0 - 3].islower())

    def carries_on(self, t0: int, t1: int, floor: int, limit: int) -> bool:
        """A number that continues an earlier result of its sentence: after "compared to",
        "achieving", ... or before "on average", "respectively" (rule 3 of the module doc)."""
        lower = self.lower
        if t0 - 1 >= floor and (lower[t0 - 1] in CARRY_BEFORE
                                or (t0 - 2 >= floor and lower[t0 - 1] in ("a", "an") and lower[t0 - 2] in CARRY_BEFORE)):
            return True
        after = " ".join(lower[t1:min(limit, t1 + 2)])
        return after.startswith(CARRY_AFTER)

    def owner(self, t0: int, floor: int) -> int:
        """The METHOD a number belongs to by its writing ("DINOv2's 0.76", "DenseNet-121 (0.74, ...)",
        "DBT-DINO with 0.62"), or -1."""
        i, lower = t0 - 1, self.lower
        while i >= floor and t0 - i <= 3 and lower[i] in OWNER_GAP:
            i -= 1
        if i < t0 - 1 and i >= floor and self.label(i) == "METHOD":
            return self.label_at[i]
        return -1

    def changed_phrase(self, n: Number) -> bool:
        """ "reducing training costs by 87%": the number measures the change of a phrase that is
        no entity (METRIC_BY_RE), so not the change of a metric further back."""
        m = METRIC_BY_RE.search(self.view.text, max(0, n.start - 80), n.start)
        if m is None:
            return False
        tokens = char_span_tokens(self.view, m.start("phrase"), m.end("phrase"))
        return tokens is not None and self.label_at.keys().isdisjoint(range(*tokens))

    def count_after(self, t1: int, limit: int) -> bool:
        """ "300 epochs", "15 shot", "8 GPUs": the number counts something."""
        return t1 < limit and self.lower[t1] in COUNT_WORDS


def _distance(span_start: int, span_end: int, t0: int, t1: int) -> int:
    """Tokens between a span and the token range [t0, t1) (0 when they overlap or touch)."""
    if span_start >= t1:
        return span_start - t1
    if span_end <= t0:
        return t0 - span_end
    return 0


def _dataset(ctx: _Context, in_sent: list[int], n: Number, metric: int, limit: int) -> int:
    """Dataset of a result: stated after the number, next to the metric phrase, else nearest."""
    starts, ends = ctx.starts, ctx.ends
    m_start, m_end = starts[metric], ends[metric]
    stated = ctx.dataset_after(max(n.t1, m_end), limit)  # "71.2% top-1 accuracy on ImageNet"
    if stated < 0 and m_end > n.t1:
        stated = ctx.dataset_after(n.t1, limit)  # "82.5% on ImageNet in accuracy"
    if stated >= 0:
        return stated
    datasets = [i for i in in_sent if ctx.labels[i] == "DATASET"]
    if not datasets:
        return -1
    lo, hi = min(n.t0, m_start), max(n.t1, m_end)

    def rank(i: int) -> tuple[int, int, bool]:
        s, e = starts[i], ends[i]
        return (_distance(s, e, lo, hi), _distance(s, e, n.t0, n.t1), s < n.t0)

    return min(datasets, key=rank)


def _dataset_list(ctx: _Context, members: list[Number], metrics: list[int | None], bounds: tuple[int, int]
                  ) -> list[int]:
    """Datasets for a list of numbers, in order: "80.7% and 40.5% (mAP) on VOC2007 and COCO
    (respectively)" names them after the numbers (and their metric), "On VOC2007 and COCO, ... 80.7%
    and 40.5% ... respectively" before; [] when the counts differ."""
    first, limit = bounds
    last = members[-1]
    after = max([last.t1] + [ctx.ends[m] for m in metrics if m is not None and ctx.starts[m] >= last.t1])
    lower = ctx.lower
    out: list[int] = []
    if after < limit and lower[after] in ("on", "in", "for", "over", "across"):
        t = after + 1
        while t < limit:
            if lower[t] in ("the", "and", ",", "/", "respectively"):
                t += 1
                continue
            if ctx.label(t) != "DATASET":
                break
            i = ctx.label_at[t]
            out.append(i)
            t = ctx.ends[i]
        if len(out) == len(members):
            return out
    if "respectively" in lower[first:limit]:
        out = []
        for t in range(first, limit):
            if ctx.label(t) == "DATASET" and ctx.starts[ctx.label_at[t]] == t:
                out.append(ctx.label_at[t])
        return out
    return []


def _method(ctx: _Context, in_sent: list[int], n: Number, bounds: tuple[int, int], roles: list[str],
            keys: list[str], proposed: list[int], compare: frozenset[str]) -> int:
    """Method of a result: "0.87 for SD-VAE"; else the paper's own method (its title's) in the
    sentence; else the last method before the number, after "our"/"we", that is neither a baseline
    ("surpassing DeiT by 0.3%") nor a part ("with ResNet-50", "(e.g., WIRE)"); else the paper's own."""
    starts, ends, lower = ctx.starts, ctx.ends, ctx.lower
    first, limit = bounds
    if n.t1 < limit and lower[n.t1] in ("for", "by"):
        for t in range(n.t1 + 1, min(limit, n.t1 + 3)):
            if ctx.label(t) == "METHOD":
                return ctx.label_at[t]
    owner = ctx.owner(n.t0, first)
    if owner >= 0:
        return owner  # a baseline's number stays the baseline's: "compared to DINOv2's 0.76"
    methods = [i for i in in_sent if ctx.labels[i] == "METHOD"]
    titled = [i for i in proposed if ctx.view.start_char(starts[i]) < ctx.abstract_start]
    own_keys = {keys[i] for i in titled or proposed}  # "BiBERT: ..." over "BiBERT, a binarized BERT"
    mine = [i for i in methods if keys[i] in own_keys]
    if mine:
        return min(mine, key=lambda i: _distance(starts[i], ends[i], n.t0, n.t1))

    def subject(i: int) -> bool:
        """Not a baseline ("surpassing DeiT by 0.3%") nor a part ("combined with quantization")."""
        start = starts[i]
        words = lower[max(first, start - 4):start]
        return (roles[i] != "compared" and not compare.intersection(words)
                and not PART_WORDS.intersection(words[-1:]) and ctx.open_paren(start, first) is None)

    since = first  # after the last "our"/"we": "As the first binarized BERT, our method yields ..."
    for k in range(n.t0 - 1, first - 1, -1):
        if lower[k] in ("our", "we"):
            since = k
            break
    before = [i for i in methods if since <= starts[i] and ends[i] <= n.t0 and subject(i)]
    if before:
        return max(before, key=lambda i: starts[i])
    own = titled or proposed
    return own[0] if own else -1


def _metrics_for(ctx: _Context, members: list[Number], ranged: bool, bounds: tuple[int, int],
                 found: list[tuple[int, Number, int]], sent_no: int) -> list[int | None]:
    """The metric of each number of a group (None: not a result), by the rules in the module doc."""
    words, first, last = ctx.words, members[0], members[-1]
    opened = ctx.open_paren(first.t0, bounds[0])
    floor, limit = bounds
    if opened is not None:
        floor = opened + 1
        limit = next((t for t in range(last.t1, limit) if words[t] == ")"), limit)
    if ctx.count_after(last.t1, limit):
        return []
    strict = any(n.strict for n in members)
    after, blocked, adjacent = ctx.metrics_after(last.t1, limit, {ctx.number_tokens[n.t0] for n in members})
    if after and (adjacent or not strict):
        return after
    if not strict and ctx.changed_phrase(first):
        return []  # "... PSNR and the encoding speed by 12x": the speed's change, not PSNR's
    before, gap, tight = ctx.metrics_before(first.t0, floor, 1 if ranged else len(members))
    if before and (not (strict or blocked) or (tight and gap <= 3)):
        return list(before)
    if strict or blocked:
        return []
    if opened is not None and opened - 1 in ctx.metric_end:
        return [ctx.metric_end[opened - 1]]  # "the best accuracy (87.8%)"
    same_sentence = [m for s, n, m in found if s == sent_no and n.unit == first.unit]
    if opened is not None:
        if found and found[-1][1].t1 == opened and found[-1][1].unit == first.unit:
            return [found[-1][2]]  # "an rFID of 0.38 (versus 0.87 for SD-VAE)"
        if first.t0 == opened + 1 and ctx.owner(first.t0, bounds[0]) >= 0:
            return same_sentence[-1:]  # "outperforming DINOv2 (0.73, 95% CI: ...)"
        return []
    if ctx.dataset_after(last.t1, limit) >= 0 or ctx.score_cue(first.t0, floor):
        earlier = [m for s, n, m in found if s >= sent_no - 1 and n.unit == first.unit]
        return earlier[-1:]  # "..., 99.4% on CIFAR-10, and 76.3% on VTAB"
    if ctx.carries_on(first.t0, last.t1, floor, limit) or ctx.owner(first.t0, bounds[0]) >= 0:
        return same_sentence[-1:]  # "compared to 9.1% for ...", "and 3.17x on average"
    return []


_compare_cache: list[tuple[Lexicon, frozenset[str]]] = []


def _compare_words(lexicon: Lexicon) -> frozenset[str]:
    """The lexicon's compare cues and COMPARE_WORDS (the union built once per lexicon, not per paper)."""
    if not _compare_cache or _compare_cache[0][0] is not lexicon:
        _compare_cache[:] = [(lexicon, lexicon.cues.get("compare_cues", frozenset()) | COMPARE_WORDS)]
    return _compare_cache[0][1]


def _discover_metrics(doc: Doc, view: TokenView, text: str, rows: list[Row], numbers: list[Number]) -> bool:
    """Add a METRIC span for a metric no list knows when the text reports a number for it in a
    fixed way (METRIC_AFTER_RE, METRIC_BEFORE_RE, METRIC_BY_RE): a result needs its metric. Only
    for scores (a unit or decimals), not after "at" (an operating point: "at 1% false positive
    rate") or "e.g." (a setting), and never over another entity. True when spans were added."""
    taken: set[int] | None = None
    added: list[Row] = []
    for n in numbers:
        if n.strict or text.endswith(("at ", "at up to ", "e.g., ", "e.g, ", "e.g. ", "such as "), 0, n.start):
            continue
        m = (METRIC_AFTER_RE.match(text, n.end) or METRIC_BEFORE_RE.search(text, max(0, n.start - 60), n.start)
             or METRIC_BY_RE.search(text, max(0, n.start - 80), n.start))
        if m is None:
            continue
        tokens = char_span_tokens(view, m.start("phrase"), m.end("phrase"))
        if tokens is None:
            continue
        if taken is None:
            taken = {t for start, end, *_ in rows for t in range(start, end)}
        if not taken.isdisjoint(range(*tokens)):
            continue
        taken.update(range(*tokens))
        added.append((tokens[0], tokens[1], "METRIC", m["phrase"], ""))
    if not added:
        return False
    append_spans(doc, SPAN_KEY, added, {
        "key": [normalize_key(r[3]) for r in added], "confidence": [0.7] * len(added),
        "role": ["reported"] * len(added), "source": ["result"] * len(added)})
    return True


def find_results(doc: Doc) -> tuple[tuple, ...]:
    """All (number, metric[, dataset, method]) associations in `doc`: a first pass with the
    entities found so far; numbers left without a metric may name an unlisted one
    (`_discover_metrics`), and then a second pass runs with it."""
    view = token_view(doc)
    text = view.text
    candidates = _numbers(view, text, doc.user_data.get("kg_abstract_start", 0))
    if not candidates:
        return ()
    out, used = _find_results(doc, view, text, candidates)
    left = [n for n in candidates if n.start not in used]
    if left and _discover_metrics(doc, view, text, span_rows(doc, SPAN_KEY), left):
        out, _ = _find_results(doc, view, text, candidates)
    return out


def _spans_by_sentence(ctx: _Context, sents: SentenceIndex) -> dict[int, list[int]]:
    """Sentence number -> the spans inside it, in span order: one pass over the spans (listing
    them per result was results x spans)."""
    bounds = sents.bounds
    out: dict[int, list[int]] = {}
    for i, (s, e) in enumerate(zip(ctx.starts, ctx.ends)):
        k = sents.index(s)
        if s == e and k > 0 and bounds[k - 1][1] == s:  # an empty span on a boundary is in both
            out.setdefault(k - 1, []).append(i)
        if e <= bounds[k][1]:
            out.setdefault(k, []).append(i)
    return out


def _find_results(doc: Doc, view: TokenView, text: str, candidates: list[Number]) -> tuple[tuple[tuple, ...], set[int]]:
    """One pass of `find_results`: the results and the start chars of the numbers given a metric."""
    rows = span_rows(doc, SPAN_KEY)
    if "METRIC" not in map(_LABEL, rows):  # (iterated in C, not by a generator)
        return (), set()
    ctx = _Context(doc, rows, view)
    label_at = ctx.label_at
    numbers = [n for n in candidates if label_at.keys().isdisjoint(range(n.t0, n.t1))]  # (tested in C)
    if not numbers:
        return (), set()
    for k, n in enumerate(numbers):
        for t in range(n.t0, n.t1):
            ctx.number_tokens.setdefault(t, k)
    sents = SentenceIndex(doc)
    _, keys, _, roles, _ = kg_columns(doc)
    found: list[tuple[int, Number, int]] = []  # (sentence, number, metric)
    paired: dict[int, int] = {}  # start char of a number -> its dataset, from a list in the same order
    for members, ranged in _groups(numbers, text, sents):
        sent_no = sents.index(members[0].t0)
        metrics = _metrics_for(ctx, members, ranged, sents.bounds[sent_no], found, sent_no)
        if not metrics:
            continue
        if ranged:
            first, last = members
            members = [Number(first.start, last.end, first.value, first.unit, False, first.t0, last.t1,
                              first.spread, first.signed)]
        if len(metrics) != len(members):
            metrics = [metrics[0]] * len(members)
        if len(members) > 1:
            datasets = _dataset_list(ctx, members, metrics, sents.bounds[sent_no])
            if len(datasets) == len(members):
                paired.update(zip((n.start for n in members), datasets))
        found.extend((sent_no, n, m) for n, m in zip(members, metrics)
                     if m is not None and not COUNT_METRIC_RE.search(keys[m]))
    if not found:
        return (), set()

    proposed = [i for i, label in enumerate(ctx.labels) if label == "METHOD" and roles[i] == "proposed"]
    compare = _compare_words(load_lexicon())
    out, seen = [], set()
    spans_in = _spans_by_sentence(ctx, sents)
    for sent_no, n, metric in found:
        s_start, s_end = sents.bounds[sent_no]
        in_sent = spans_in.get(sent_no, [])
        dataset = paired.get(n.start)
        if dataset is None:
            dataset = _dataset(ctx, in_sent, n, metric, s_end)
        method = _method(ctx, in_sent, n, (s_start, s_end), roles, keys, proposed, compare)
        ident = (keys[metric], n.value, n.unit, keys[dataset] if dataset >= 0 else None)
        if ident not in seen:
            seen.add(ident)
            relative = is_relative_number(text, n.start, n.end, n.unit, n.signed)
            out.append((n.start, n.end, n.value, n.unit, metric, dataset, method, relative, n.spread))
    return tuple(out), {n.start for _, n, _ in found}


_RESULTS = extension_key("kg_results")


class ResultExtractor(BatchPipe):
    def __call__(self, doc: Doc) -> Doc:
        # `doc._.kg_results = ...` without building an Underscore object (a plain extension's
        # value lives in `doc.user_data`)
        doc.user_data[_RESULTS] = find_results(doc)
        return doc


@Language.factory("kg_results", assigns=["doc._.kg_results"], requires=["doc.spans"])
def make_result_extractor(nlp: Language, name: str) -> ResultExtractor:
    return ResultExtractor()
