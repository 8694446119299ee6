"""Which papers a run keeps: a limit, subject categories and a year range.

Filtering is not an error: a record left out by a filter is counted in `ReadSummary.filtered`,
never reported as an issue. Categories are not a `Paper` field (the schema is shared by every
format), so the readers that know them (arxiv, openalex) take a `keep(year, categories)`
predicate and test each raw record *before* cleaning it: a narrow filter over a 4 GB snapshot
costs little more than parsing the JSON. For other formats `read_papers` applies the year range
to the papers they yield; a category filter on them is a usage error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kg.ingest.base import IngestError

#: a reader's test on a raw record, from its year (None when unknown) and its categories
KeepPredicate = Callable[[int | None, Sequence[str]], bool]


def category_patterns(terms: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(exact names, prefixes) that the category `terms` match, all case-folded.

    A term matches a category equal to it, or any category below it: "cs" and "cs." match
    "cs.CL" and "cs.LG"; "cs.CL" matches "cs.CL" only. A trailing "*" is a plain prefix:
    "hep-*" matches "hep-th" and "hep-ph", "machine*" matches "Machine learning".

    Raises
    ------
    IngestError
        For an empty term.
    """
    exact: set[str] = set()
    prefixes: list[str] = []
    for raw in terms:
        term = raw.strip().casefold()
        if not term:
            raise IngestError("category filter: empty category")
        if term.endswith("*"):
            prefixes.append(term[:-1])
            continue
        term = term.removesuffix(".")
        exact.add(term)
        prefixes.append(term + ".")
    return frozenset(exact), tuple(prefixes)


@dataclass(frozen=True)
class PaperFilter:
    """Which papers to keep (`categories`, `year_from`..`year_to`) and how many at most (`limit`).

    Parameters
    ----------
    limit
        Stop after this many papers have been read (and stop reading input); None: no limit.
    categories
        Subject categories, any of which a paper must have: arXiv categories ("cs.CL", or "cs"
        for the whole archive) or OpenAlex concept/topic names, case-insensitive (see
        `category_patterns`).
    year_from, year_to
        Inclusive year range; a paper without a year is left out when either is given.

    Raises
    ------
    IngestError
        For a negative limit, an empty category, or `year_from` after `year_to`.

    Examples
    --------
    >>> keep = PaperFilter(categories=("cs",), year_from=2020)
    >>> keep.keeps(2021, ["math.ST", "cs.LG"]), keep.keeps(2019, ["cs.CL"]), keep.keeps(None, ["cs.CL"])
    (True, False, False)
    """

    limit: int | None = None
    categories: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    _exact: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())
    _prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 0:
            raise IngestError(f"limit must be 0 or more (got {self.limit})")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise IngestError(f"year range is empty: from {self.year_from} to {self.year_to}")
        exact, prefixes = category_patterns(self.categories)
        # frozen: derived fields are set the way dataclasses document for __post_init__
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_prefixes", prefixes)

    @property
    def by_category(self) -> bool:
        """True when papers must have one of `categories`."""
        return bool(self.categories)

    @property
    def by_year(self) -> bool:
        """True when a year range is set."""
        return self.year_from is not None or self.year_to is not None

    @property
    def selects(self) -> bool:
        """True when some papers may be left out (a category or year condition is set)."""
        return self.by_category or self.by_year

    def keeps_year(self, year: int | None) -> bool:
        """True when `year` is in range (any year, even None, when no range is set)."""
        if not self.by_year:
            return True
        if year is None:
            return False
        return (self.year_from is None or year >= self.year_from) and (self.year_to is None or year <= self.year_to)

    def keeps_categories(self, categories: Iterable[str]) -> bool:
        """True when one of `categories` matches a filter term (always, when there is none)."""
        if not self.categories:
            return True
        for category in categories:
            folded = category.casefold()
            if folded in self._exact or folded.startswith(self._prefixes):
                return True
        return False

    def keeps(self, year: int | None, categories: Sequence[str] = ()) -> bool:
        """True when a record with this year and these categories passes every condition."""
        return self.keeps_year(year) and self.keeps_categories(categories)
