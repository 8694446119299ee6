"""`kg_roles`: what the paper does with each entity (proposed, used, compared, evaluated_on, ...).

Decided from cue words around the entity's mention (lists in `patterns/cues.json`) and from the
title ("X: a ..." names the paper's own contribution). Stored as `doc.spans["kg"].attrs["role"]`.

`proposed` (the graph's PROPOSES edge) is kept for what the paper itself introduces. A cue
("we propose", "called", "our", "X is introduced") only counts when nothing between it and the
mention says the mention is something else: "such as X", "based on X", "a framework for X",
"combining X", "X-based", "X as the backbone". A known, listed term that only modifies or
heads the new thing ("a new cross-encoder architecture", "a fully binarized BERT") is its base,
not the proposal. These are general cue rules: the same words decide for any paper.

Works on plain rows (`span_rows`) and the Doc's `TokenView` lists: building Span and Token
objects for every mention and its context words was most of this component's time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from spacy.language import Language
from spacy.lexeme import Lexeme
from spacy.tokens import Doc
from spacy.vocab import Vocab

from extractors.components.entities import SPAN_KEY
from extractors.components.sentences import SentenceIndex
from extractors.components.view import BatchPipe, TokenView, doc_extension, span_rows, token_view
from extractors.lexicon import Lexicon, load_lexicon
from extractors.memo import lexeme_flags

if not Doc.has_extension("kg_title_chars"):
    Doc.set_extension("kg_title_chars", default=0)

_SELF = {"we", "our", "this", "here"}
_PROPOSED_AFTER = ([",", "a", "novel"], [",", "a", "new"], [",", "which", "we"])
_CUED = frozenset(("METHOD", "DATASET"))  # roles of other labels depend on context only when proposed
_FIXED_ROLES = {"METRIC": "reported"}

#: how far before a mention a propose verb / naming verb / "our" may stand
_PROPOSE_WINDOW = 10
_NAMING_WINDOW = 3
_OUR_WINDOW = 3
_PAREN_WINDOW = 16  # an acronym's long form ("we propose the A B for C in D (ABCD)") is long
_STRICT_WINDOW = 3  # TASK and METRIC: only a cue right before the mention ("we introduce X")

#: verb forms that propose, beyond the lexicon's list (gerunds: "by introducing X")
_PROPOSE_EXTRA = frozenset(("proposing", "introducing", "presenting", "developing", "designing", "devising",
                            "unveil", "unveils", "establish", "establishes", "curate", "curates"))
#: propose words that are nouns after a determiner ("this design", "our release")
_NOUN_AFTER_DET = frozenset(("design", "designs", "release", "build", "offer", "offers", "construct", "create"))
_DETERMINERS = frozenset(("a", "an", "the", "this", "these", "that", "our", "its", "their", "his", "her"))
#: self-naming verbs: "we call it X", "which we term X", "we refer to this as X"
_NAMING_VERBS = frozenset(("call", "calls", "term", "terms", "refer", "refers", "dub", "dubs", "denote", "denotes",
                           "coin", "coins"))
#: "X is proposed" (not "was proposed by", "has been proposed": earlier work)
_PASSIVE_PARTICIPLES = frozenset(("proposed", "introduced", "presented", "designed", "developed", "devised",
                                  "constructed"))
_PASSIVE_AUX = frozenset(("is", "are"))
#: words right after a mention that may start a proposed cue: "is proposed", ", a novel", "(XX) is"
_MAYBE_AFTER = frozenset(("is", "are", ",", "("))  # see `_maybe_after`

#: between a cue and the mention, these say the mention is something the proposal uses,
#: extends, is compared with or is about ("we propose a framework for X", "such as X")
_BLOCKERS = frozenset((
    # prepositions and particles
    "of", "in", "on", "for", "with", "from", "by", "via", "into", "onto", "over", "than", "upon", "to", "at",
    "as", "within", "through", "across", "against", "under", "between", "among", "without", "toward", "towards",
    "beyond", "unlike", "versus", "vs", "vs.", "atop", "behind",
    # examples
    "such", "like", "including", "include", "includes", "e.g.", "e.g", "i.e.", "i.e", "especially", "particularly",
    "namely",
    # relative clauses and copulas: "X that uses Y", "X is a simple Y"
    "that", "which", "who", "where", "whose", "is", "are", "was", "were", "be", "been", ";",
    # verbs that relate the proposal to an existing thing
    "combining", "combines", "combine", "integrating", "integrates", "integrate", "incorporating", "incorporates",
    "equipped", "extends", "extending", "extend", "extended", "rooted", "inspired", "derived", "built", "based",
    "evaluate", "evaluates", "evaluating", "evaluated", "analyze", "analyzes", "analyse", "analyses", "study",
    "studies", "studying", "investigate", "investigates", "investigating", "compare", "compares", "comparing",
    "improve", "improves", "improving", "enhance", "enhances", "enhancing", "replace", "replaces", "replacing",
    "adapt", "adapts", "adapting", "augment", "augments", "augmenting", "exploit", "exploits", "exploiting",
    "leveraging", "leverages", "leverage", "employing", "utilizing", "applying", "adopting", "borrowing",
    "revisit", "revisits", "revisiting", "explore", "explores", "exploring", "fine-tune", "fine-tunes",
    "finetune", "distill", "distills", "accelerate", "accelerates", "inject", "injects", "interprets", "interpret",
    "enabling", "enables", "enable", "allowing", "allows",
))
#: "our" cue: not across a comma either ("developed by our team, X")
_OUR_BLOCKERS = _BLOCKERS | {","}
#: inside an acronym's long form prepositions are part of the name ("Framework for Shear Modulus
#: Estimation in MRE (DIME)"); the other blockers still hold
_PAREN_BLOCKERS = _BLOCKERS - {"of", "in", "on", "for", "with", "from", "by", "to", "at", "via", "over", "under",
                               "through", "across", "within", "between", "among", "without", "toward", "towards"}
#: tokens allowed right before a listed term that is itself the proposal ("a novel X", "we
#: propose X"); any other word there makes the term the head of a bigger, new phrase
_NP_OPENERS = frozenset(("a", "an", "the", "this", "these", "our", "novel", "new", "first", "proposed", "and",
                         "or", "we", "here", "named", "called", "dubbed", "termed", "coined", "term", "call",
                         "its", "two", "three", "both", "each", "simple", "effective", "efficient"))
#: after a listed or lower-case term these heads say "a new kind of X", X being the base
_HEADS = frozenset((
    "architecture", "architectures", "model", "models", "framework", "frameworks", "approach", "approaches",
    "method", "methods", "paradigm", "paradigms", "scheme", "schemes", "technique", "techniques", "strategy",
    "strategies", "process", "pipeline", "pipelines", "system", "systems", "library", "variant", "variants",
    "family", "encoder", "encoders", "decoder", "decoders", "network", "networks", "module", "modules", "block",
    "blocks", "layer", "layers", "structure", "mechanism", "design", "algorithm", "algorithms", "formulation",
    "backbone", "backbones", "engine", "tool", "toolkit", "solver", "policy", "agent", "agents", "head", "unit",
    "units", "operator", "component", "components", "baseline", "baselines", "inference", "training",
    "process", "procedure", "recipe", "setting", "settings", "task", "tasks", "problem", "base", "bound", "bounds",
))
#: after "X (XX)", these describe an existing X ("is frequently used", "has been shown")
_DESCRIBED_AFTER = frozenset(("is", "are", "was", "were", "has", "have", "had"))
#: "X (XX), a new task": what a TASK or METRIC appositive must say to be proposed
_NEW_WORDS = frozenset(("new", "novel"))
_STRICT_HEADS = frozenset(("task", "tasks", "problem", "problems", "metric", "metrics", "measure", "score",
                           "benchmark", "setting", "challenge"))
#: sources whose mention after a modifier is the base of a bigger, new phrase (see `_modifies_new_phrase`)
_MODIFIED_SOURCES = ("list", "phrase", "name")
#: sources whose lower-case mentions are established terms, not the paper's coined names
_LOWER_KNOWN_SOURCES = frozenset(("phrase", "acronym"))
#: "X-based", "X-like", "X-style" after a mention: the mention is what the thing builds on
_AFTER_SUFFIXES = frozenset(("based", "like", "style", "inspired", "driven", "guided", "powered", "free", "aware",
                             "specific", "oriented", "augmented", "enhanced", "assisted", "equipped", "centric",
                             "level", "wise", "type"))
#: "X as the backbone": the mention is used
_AS_ROLES = frozenset(("backbone", "backbones", "encoder", "decoder", "baseline", "baselines", "teacher", "student",
                       "base", "basis", "feature", "features", "prior", "reference", "tokenizer", "classifier",
                       "foundation", "starting", "initialization", "proxy", "surrogate", "judge", "evaluator"))


def _title_like(lex: Lexeme) -> bool:
    """Whether a word may stand in a title's name part: punctuation, Title or UPPER case (the
    lexeme flags `Token.is_punct/is_title/is_upper` read)."""
    return bool(lex.is_punct or lex.is_title or lex.is_upper)


def _title_prefix_end(view: TokenView, title_chars: int, title_word: Mapping[str, bool]) -> int:
    """Number of leading tokens that are all title-like; only title tokens matter, so stop there."""
    words, idx = view.words, view.idx
    i = 0
    while i < view.n and idx[i] < title_chars and title_word[words[i]]:
        i += 1
    return i


def _is_listed(source: str) -> bool:
    """Whether the entity came from the curated name lists: an established term, so a paper
    that names it next to new words builds on it rather than introducing it."""
    return source.startswith("list")


def _is_variant(mention: str, proposed: Sequence[str]) -> bool:
    """Whether a name extends one the paper proposes ("P2AT" -> "P2AT-S", "GrowTAS" ->
    "GrowTAS+", "WeDetect" -> "WeDetect-Uni"): the paper's own variants are proposed too."""
    for name in proposed:
        if len(name) >= 3 and len(mention) > len(name) and mention.startswith(name):
            rest = mention[len(name):]
            if rest[0] in "-+_ " or len(rest) <= 2:
                return True
    return False


def _maybe_after(lower: Sequence[str], end: int, sent_end: int) -> bool:
    """Cheap test of the words after a mention that may make it proposed ("is proposed",
    ", a novel", ", which we", "(XX) ..."): most mentions are followed by none."""
    w = lower[end]
    nxt = lower[end + 1] if end + 1 < sent_end else ""
    if w == ",":
        return nxt in ("a", "an", "which", "the")
    if w == "(":
        return True
    return nxt in _PASSIVE_PARTICIPLES


def _paren_group_end(lower: Sequence[str], i: int, limit: int) -> int:
    """Index after a "( ... )" group starting at `i` (short groups only), else `i`."""
    if i < limit and lower[i] == "(":
        for j in range(i + 1, min(limit, i + 10)):
            if lower[j] == ")":
                return j + 1
    return i


class RoleTagger(BatchPipe):
    """Writes `doc.spans["kg"].attrs["role"]`, one role per mention, from the kg rows and token lists."""

    def __init__(self, lexicon: Lexicon, vocab: Vocab) -> None:
        self.lexicon = lexicon
        cues = lexicon.cues
        self.naming = cues["naming_words"] - {"namely"}  # "tasks, namely X and Y" lists, not names
        self.naming_our = cues["naming_words"] | {"our"}
        self.propose = cues["propose_verbs"] | _PROPOSE_EXTRA
        self.compare = cues["compare_cues"]
        self.use = cues["use_cues"]
        #: every word the context rules look for before a mention
        self.any_cue = self.naming_our | self.propose | self.compare | self.use | _NAMING_VERBS
        self.blockers = _BLOCKERS | cues["use_cues"] | cues["compare_cues"]
        self.our_blockers = _OUR_BLOCKERS | self.blockers
        self.openers = _NP_OPENERS | self.propose | self.naming | _NAMING_VERBS
        self.paren_blockers = _PAREN_BLOCKERS | ((cues["use_cues"] | cues["compare_cues"]) - _BLOCKERS)
        self.title_word = lexeme_flags(vocab, _title_like)  # word -> title-like, cached per word
        #: a mention with none of these shortly before it (and no "is proposed" / ", a novel" /
        #: "(XX)" after it) cannot be proposed: the fast path for most mentions
        self.proposal_cues = self.naming | self.propose | _NAMING_VERBS | {"our"}
        self.strict_cues = self.naming | _NAMING_VERBS

    def __call__(self, doc: Doc) -> Doc:
        group = doc.spans.get(SPAN_KEY)
        if group is not None:
            group.attrs["role"] = self.roles(doc)
        return doc

    # -- the proposed rules ------------------------------------------------------------------

    def _self_sentence(self, lower: Sequence[str], sent: tuple[int, int]) -> bool:
        return not _SELF.isdisjoint(lower[sent[0]:sent[1]])

    def _cue_before(self, lower: Sequence[str], at: int, floor: int, window: int, cues: frozenset[str] | set[str],
                    blockers: frozenset[str] | set[str]) -> int:
        """Index of the nearest cue word within `window` tokens before `at` with no blocker
        between it and `at`, else -1. A propose word used as a noun ("this design") is no cue."""
        lo = max(floor, at - window)
        for j in range(at - 1, lo - 1, -1):
            w = lower[j]
            if w in cues:
                if w in _NOUN_AFTER_DET and j > floor and lower[j - 1] in _DETERMINERS:
                    return -1
                if w in _NAMING_VERBS and not (j > floor and lower[j - 1] == "we"):
                    return -1  # "we call it X", not "here refers to"
                if w == "called" and j > floor and lower[j - 1] == "so":  # "so-called X": a known name
                    return -1
                return j
            if w in blockers:
                return -1
        return -1

    def _modifies_new_phrase(self, lower: Sequence[str], start: int, end: int, sent_start: int, sent_end: int,
                             listed: bool, modified: bool, row_starts: Mapping[int, bool]) -> bool:
        """Whether the mention is only part of the phrase that names the new thing: a term after
        a modifier ("fully binarized BERT", "Encoder-free 3D LMM"), or a listed term before a
        generic head, a hyphen or an appositive name ("a new cross-encoder architecture",
        "masked image modeling (MIM) approach", "backpropagation-with-reconstruction", "a new
        convolutional neural network, ParCNetV2")."""
        if modified and start > sent_start:
            prev = lower[start - 1]
            if prev not in self.openers and any(c.isalnum() for c in prev):
                return True
        if end < sent_end and end in row_starts:
            return True  # "weight-sharing NAS", "pyramid pooling axial transformer": it modifies the next name
        if end < sent_end and start > sent_start and lower[start - 1] == "(" and lower[end][:1].isalnum():
            return True  # "(GI Swin-Block)": the first word of a longer bracketed name
        if listed:
            after = _paren_group_end(lower, end, sent_end)
            if after < sent_end:
                nxt = lower[after]
                if nxt in _HEADS or (nxt == "-" and after == end):
                    return True
                if nxt == ",":
                    k = after + 1
                    if k < sent_end and lower[k] in ("the", "a", "an"):
                        k += 1
                    if row_starts.get(k) is False:  # ", NAME": an unlisted name follows
                        return True
        return False

    def _used_after(self, lower: Sequence[str], end: int, sent_end: int) -> bool:
        """"X-based ...", "X-like", "X as the backbone": the mention is what the work builds on."""
        if end >= sent_end:
            return False
        nxt = lower[end]
        if nxt == "-" and end + 1 < sent_end and lower[end + 1] in _AFTER_SUFFIXES:
            return True
        if nxt in ("based", "inspired", "style"):
            return True
        if nxt == "as":
            k = end + 1
            if k < sent_end and lower[k] in ("a", "an", "the", "our", "its"):
                k += 1
            return k < sent_end and lower[k] in _AS_ROLES
        return False

    def _passive_proposed(self, lower: Sequence[str], end: int, sent_end: int) -> bool:
        """"X (XX) is proposed / introduced / designed to ...", not "... by [someone]"."""
        k = _paren_group_end(lower, end, sent_end)
        if k + 1 < sent_end and lower[k] in _PASSIVE_AUX and lower[k + 1] in _PASSIVE_PARTICIPLES:
            return not (k + 2 < sent_end and lower[k + 2] in ("by", "in"))
        return False

    def _list_head(self, lower: Sequence[str], start: int, sent_start: int,
                   rows_by_end: Mapping[int, tuple[int, str]]) -> int:
        """Start of the first item of a coordinated list the mention ends ("called A, B, and C":
        C's cue is A's), or `start` itself."""
        at = start
        for _ in range(6):
            j = at - 1
            if j > sent_start and lower[j] in ("and", "or"):
                j -= 1
            if j > sent_start and lower[j] == ",":
                j -= 1
            if j == at - 1 or j < sent_start:
                break
            prev = rows_by_end.get(j + 1)
            prev_start = prev[0] if prev is not None else None
            if prev_start is None and lower[j] == ")":  # "A (AA), B"
                k = j - 1
                while k > sent_start and lower[k] != "(" and j - k < 10:
                    k -= 1
                prev = rows_by_end.get(k) if lower[k] == "(" else None
                prev_start = prev[0] if prev is not None else None
            if prev_start is None:
                break
            at = prev_start
        return at

    def _in_lexicon(self, lower: Sequence[str], start: int, end: int) -> bool:
        """Whether the mention's words are a listed name (an acronym's long form such as "masked
        image modeling" wins its span under the "acronym" source, hiding that it is listed)."""
        return self.lexicon.lookup(" ".join(lower[start:end]).replace(" - ", "-")) is not None

    def _new_appositive(self, lower: Sequence[str], end: int, sent_end: int) -> bool:
        """"X (XX), a new task ...": a TASK or METRIC the paper says is new."""
        k = _paren_group_end(lower, end, sent_end)
        if k + 2 < sent_end and lower[k] == "," and lower[k + 1] in ("a", "an", "the"):
            tail = lower[k + 2:min(sent_end, k + 7)]
            return not _NEW_WORDS.isdisjoint(tail) and not _STRICT_HEADS.isdisjoint(tail)
        return False

    def _proposed(self, lower: Sequence[str], start: int, end: int, label: str, sent: tuple[int, int],
                  source: str, rows_by_end: Mapping[int, tuple[int, str]], row_starts: Mapping[int, bool],
                  self_sent: bool, subject_proposed: bool, words: Sequence[str], acronym: str = "") -> bool:
        """Whether the context says the paper introduces this mention (see the module docstring).
        `rows_by_end`: token after a row -> (its start, source); `row_starts`: first
        token of a row -> listed; `words`: the tokens as written; `acronym`: set when deciding for
        "(XX)" by its long form."""
        sent_start, sent_end = sent
        if self._used_after(lower, end, sent_end):
            return False
        strict = label not in _CUED
        in_paren = not acronym and start > sent_start and lower[start - 1] == "(" and end < sent_end \
            and lower[end] == ")"
        if in_paren and start - 1 in rows_by_end:
            long_start, long_source = rows_by_end[start - 1]
            # "convolutional neural networks (CNNs)": the acronym goes with its long form's row,
            # unless its letters say it names a longer phrase ("densely connected Bi-LSTM (DC-Bi-LSTM)")
            if lower[start][:1] == lower[long_start][:1]:
                return self._proposed(lower, long_start, start - 1, label, sent, long_source, rows_by_end,
                                      row_starts, self_sent, subject_proposed, words, acronym=lower[start])
        if in_paren:  # an acronym after an unlisted long form: the cue is before the long form
            at, blockers, window = start - 1, self.paren_blockers, _PAREN_WINDOW
        else:
            at, blockers = self._list_head(lower, start, sent_start, rows_by_end), self.blockers
            window = _STRICT_WINDOW if strict else _PROPOSE_WINDOW
        # "called X", "which we term X": the name itself, whatever words surround it
        if self._cue_before(lower, at, sent_start, window if in_paren else _NAMING_WINDOW, self.naming,
                            blockers - {"as"}) >= 0:
            return True
        if self_sent and self._cue_before(lower, at, sent_start, _PROPOSE_WINDOW, _NAMING_VERBS,
                                          frozenset((";",))) >= 0:
            return True
        if strict:
            return self._new_appositive(lower, end, sent_end)
        # a known term: listed, or an unlisted phrase / acronym long form in lower case ("masked
        # image modeling (MIM)"), as coined names are capitalised ("Progressive Masked Image Modeling")
        known = _is_listed(source) or (
            source in _LOWER_KNOWN_SOURCES and lower[start] == words[start] and self._in_lexicon(lower, start, end))
        if not in_paren and self._modifies_new_phrase(lower, start, end, sent_start, sent_end, known,
                                                      known or source.startswith(_MODIFIED_SOURCES), row_starts):
            return False
        listed = _is_listed(source)
        if self._passive_proposed(lower, end, sent_end):
            return True
        if not listed and (self._cue_before(lower, at, sent_start, _OUR_WINDOW, {"our"}, self.our_blockers) >= 0 or (
                at - 1 > sent_start and lower[at - 1] == ","  # "our searched model, BossNet-T"
                and self._cue_before(lower, at - 1, sent_start, _OUR_WINDOW + 1, {"our"}, self.our_blockers) >= 0)):
            return True  # "our X" for a known, listed X is the paper's instance of it ("our BNN")
        if self_sent or subject_proposed:
            if self._cue_before(lower, at, sent_start, window, self.propose, blockers) >= 0:
                return True
            # "WAY comprises ... and Channel-Aggregative Sequential Processing (CASP) blocks": a Title
            # Case name the paper defines an acronym for, unlisted, in a sentence about its own work
            # is one of its parts (established names are listed or written in lower case)
            if (label == "METHOD" and source == "acronym" and not in_paren and end < sent_end and lower[end] == "("
                    and lower[start] != words[start] and not self._in_lexicon(lower, start, end)
                    and blockers.isdisjoint(lower[max(sent_start, at - 5):at])):
                after = _paren_group_end(lower, end, sent_end)  # "X (XX) is frequently used": a known X
                return after >= sent_end or lower[after] not in _DESCRIBED_AFTER
        return end < sent_end and lower[end] == "," and lower[end:min(sent_end, end + 3)] in _PROPOSED_AFTER

    # -- all roles ---------------------------------------------------------------------------

    def roles(self, doc: Doc) -> list[str]:
        """One role per row of `doc.spans["kg"]`, in order."""
        rows = span_rows(doc, SPAN_KEY)
        if not rows:
            return []
        view = token_view(doc)
        lower, n = view.lower, view.n
        sents = SentenceIndex(doc)
        bounds, sent_starts = sents.bounds, sents.starts
        sources = doc.spans[SPAN_KEY].attrs.get("source") if SPAN_KEY in doc.spans else None
        if sources is None or len(sources) != len(rows):
            sources = ["unknown"] * len(rows)
        self_sents: dict[int, bool] = {}  # sentence number -> has we/our/this/here
        words = view.words
        listed_flags = [_is_listed(src) for src in sources]
        rows_by_end = {row[1]: (row[0], src) for row, src in zip(rows, sources)}
        row_starts = {row[0]: flag for row, flag in zip(rows, listed_flags)}
        proposal_cues = self.proposal_cues
        strict_cues = self.strict_cues
        proposed_ids: set[str] = set()  # canonical names already proposed
        proposed_names: list[str] = []  # their lower-case texts, for "P2AT" -> "P2AT-S" variants
        text, idx = view.text, view.idx
        title_chars = doc_extension(doc, "kg_title_chars")
        proposed_in_sent: dict[int, bool] = {}  # sentence number -> an earlier mention there is proposed
        head_end = -1  # read on the first "X:" candidate: most Docs have none
        compare, use, any_cue = self.compare, self.use, self.any_cue
        out = []
        for (start, end, label, kb, _id), source, listed in zip(rows, sources, listed_flags):
            if end < n and lower[end] == ":":  # lower, not words: one list fewer to touch per doc
                if head_end < 0:
                    head_end = _title_prefix_end(view, title_chars, self.title_word)
                # "X: ..." title, every word before X title-like; a listed term must be all of X
                # ("Liquid Reasoning Transformers: ..." is not about proposing transformers)
                if view.idx[start] < title_chars and start <= head_end and label in _CUED \
                        and (not listed or start == 0):
                    out.append("proposed")
                    proposed_ids.add(kb or "")
                    if not listed:
                        proposed_names.append(text[idx[start]:idx[end - 1] + len(words[end - 1])].lower())
                    continue
            sent_no = bisect_right(sent_starts, start) - 1
            if sent_no < 0:
                sent_no = 0
            sent = bounds[sent_no]
            sent_start, sent_end = sent
            if label in _CUED:
                maybe = not proposal_cues.isdisjoint(lower[max(sent_start, start - _PAREN_WINDOW):start]) or (
                    end < sent_end and lower[end] in _MAYBE_AFTER and _maybe_after(lower, end, sent_end)) or (
                    start > sent_start and lower[start - 1] == "(")
            else:  # TASK, METRIC: only "called X", "we call it X", "X (XX), a new task"
                maybe = not strict_cues.isdisjoint(lower[max(sent_start, start - _PAREN_WINDOW):start]) or (
                    end < sent_end and lower[end] in (",", "("))
            if maybe:
                has_self = self_sents.get(sent_no)
                if has_self is None:
                    has_self = self_sents[sent_no] = self._self_sentence(lower, sent)
                subject = proposed_in_sent.get(sent_no, False)
            # "we present NL2Repo Bench": a capitalised word goes on with the name, so the mention
            # is only a piece of what is proposed
            cut = (end < sent_end and end not in row_starts and idx[start] >= title_chars
                   and words[end][:1].isupper() and words[end].isalpha())
            mention = (text[idx[start]:idx[end - 1] + len(words[end - 1])].lower()
                       if proposed_names and not listed and label in _CUED else "")
            if not cut and ((mention and _is_variant(mention, proposed_names)) or (
                    maybe and self._proposed(lower, start, end, label, sent, source, rows_by_end, row_starts,
                                             has_self, subject, words))):
                out.append("proposed")
                proposed_ids.add(kb or "")
                proposed_in_sent[sent_no] = True
                if not listed:
                    proposed_names.append(mention or text[idx[start]:idx[end - 1] + len(words[end - 1])].lower())
                continue
            if kb and kb in proposed_ids:
                proposed_in_sent[sent_no] = True  # "BiBERT introduces a ... scheme": the proposal acts
            if label not in _CUED:
                out.append(_FIXED_ROLES.get(label, "mentioned"))
                continue
            before = lower[sent_start if start - 8 < sent_start else start - 8 : start]
            cued = not any_cue.isdisjoint(before)
            if label != "METHOD":
                out.append("evaluated_on")
            elif cued and not compare.isdisjoint(before[-4:]):
                out.append("compared")
            elif cued and not use.isdisjoint(before[-3:]):
                out.append("used")
            else:
                out.append("mentioned")
        return out


@Language.factory("kg_roles", assigns=["doc.spans"], requires=["doc.spans"], default_config={"terms_path": None})
def make_role_tagger(nlp: Language, name: str, terms_path: str | None) -> RoleTagger:
    return RoleTagger(load_lexicon(terms_path), nlp.vocab)
