"""Name lists and cue words as data: loaded once per process from `extractors/patterns/`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from extractors.memo import BoundedMemo
from extractors.normalize import normalize_key

PATTERNS_DIR = Path(__file__).parent / "patterns"
DEFAULT_TERMS = PATTERNS_DIR / "terms.jsonl"
DEFAULT_STOP = PATTERNS_DIR / "stop_names.txt"
DEFAULT_UNITS = PATTERNS_DIR / "units.txt"
DEFAULT_CATALOGS = PATTERNS_DIR / "catalogs.txt"
DEFAULT_CUES = PATTERNS_DIR / "cues.json"
_RANKS = {"core": 0, "nlp-progress": 1}


@dataclass(frozen=True)
class Term:
    """One surface form from the name lists; `canonical` is the display name it resolves to."""

    label: str
    pattern: str
    canonical: str
    exact: bool
    source: str
    fold: bool = False  # coined spelling that is safe to match in any case ("Camvid")

    @property
    def rank(self) -> int:
        """Trust in the list the term came from: hand-written core lists first."""
        return _RANKS.get(self.source, 2)


@dataclass
class Lexicon:
    """All name-list data the components need, indexed for lookups."""

    terms: list[Term]
    stop_names: frozenset[str]
    cues: dict[str, frozenset[str]]
    #: units of measurement and catalogue prefixes (also in `stop_names`): marks of a paper from
    #: physics, astronomy, biology, economics
    units: frozenset[str] = frozenset()
    by_exact: dict[str, Term] = field(default_factory=dict)
    by_lower: dict[str, Term] = field(default_factory=dict)
    by_key: dict[str, Term] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for t in self.terms:
            self.by_exact.setdefault(t.pattern, t)
            self.by_lower.setdefault(t.pattern.lower(), t)
            if not t.exact:
                self.by_key.setdefault(normalize_key(t.pattern), t)
        # per-instance memo of `lookup` (not a field: the lexicon's data and equality are unchanged)
        self._looked_up: BoundedMemo[str, Term | None] = BoundedMemo(self._lookup)

    def lookup(self, text: str) -> Term | None:
        """The list entry for a surface form: exact spelling first, then case-insensitive."""
        return self._looked_up[text]

    def _lookup(self, text: str) -> Term | None:
        hit = self.by_exact.get(text)
        if hit is not None:
            return hit
        hit = self.by_lower.get(text.lower())
        if hit is not None and (not hit.exact or hit.fold):
            return hit
        # plural and hyphenation variants of English names: "Implicit Neural Representations"
        return self.by_key.get(normalize_key(text, acronym=False))


def read_word_list(path: Path) -> frozenset[str]:
    """One entry per line; blank lines and `#` comments skipped."""
    return frozenset(
        s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip() and not s.startswith("#")
    )


def read_terms(path: Path) -> list[Term]:
    """Read a terms JSONL file ({"label","pattern","id","exact","source"} per line)."""
    terms = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                terms.append(Term(row["label"], row["pattern"], row.get("id", row["pattern"]),
                                  bool(row.get("exact", False)), row.get("source", ""),
                                  bool(row.get("fold", False))))
    return terms


@lru_cache(maxsize=4)
def load_lexicon(terms_path: str | None = None, stop_path: str | None = None,
                 cues_path: str | None = None) -> Lexicon:
    """Load (and cache per process) the lexicon; paths default to the packaged lists."""
    terms = read_terms(Path(terms_path) if terms_path else DEFAULT_TERMS)
    # units of measurement ("GeV", "mK", "Mpc") and catalogue prefixes ("NGC", "WASP-" before a
    # number) are stop names too: never an entity
    units = read_word_list(DEFAULT_UNITS) | read_word_list(DEFAULT_CATALOGS)
    stop = read_word_list(Path(stop_path) if stop_path else DEFAULT_STOP) | units
    raw = json.loads((Path(cues_path) if cues_path else DEFAULT_CUES).read_text(encoding="utf-8"))
    cues = {k: frozenset(v) for k, v in raw.items() if not k.startswith("_")}
    return Lexicon(terms=terms, stop_names=stop, cues=cues, units=units)


DEFAULT_CALIBRATION = PATTERNS_DIR / "calibration.json"
CONFIG = Path(__file__).parent / "config.cfg"
SPAN_MODEL = Path(__file__).parent / "models" / "span_classifier.json"


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """Short hash of the rule data (config, name lists, cues, calibration, the span classifier's
    model): part of the extractor version stored on each paper, so changed rules or a retrained
    model make an incremental build re-extract."""
    digest = hashlib.sha1()
    for path in (CONFIG, DEFAULT_TERMS, DEFAULT_STOP, DEFAULT_UNITS, DEFAULT_CATALOGS, DEFAULT_CUES,
                 DEFAULT_CALIBRATION, SPAN_MODEL):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
