"""`kg_entities` candidate selection: the packed int order and the first/last-token overlap test
pick what the plain rule picks (longest first, then source, label preference, start, list
order; a candidate is kept when it overlaps no kept one)."""

from __future__ import annotations

import random

import pytest

from extractors.components.entities import LABEL_PREFERENCE, _order_key, _select, _tie_rank

SOURCES = ["acronym", "list0", "list1", "list2", "name", "phrase"]
LABELS = [*LABEL_PREFERENCE, None]


def reference_select(spans: list[tuple[int, int, str | None, str]]) -> list[int]:
    """Indices of the kept spans, by start, by the rule written out plainly."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0] - spans[i][1], spans[i][3],
                                                     LABEL_PREFERENCE.get(spans[i][2], 4), spans[i][0], i))
    taken: set[int] = set()
    kept = []
    for i in order:
        s, e = spans[i][0], spans[i][1]
        if taken.isdisjoint(range(s, e)):
            taken.update(range(s, e))
            kept.append(i)
    return sorted(kept, key=lambda i: spans[i][0])


@pytest.mark.parametrize("seed", range(200))
def test_select_matches_the_plain_rule(seed):
    rng = random.Random(seed)
    n = rng.choice([1, 5, 30, 300, 5000])
    spans = []
    for _ in range(rng.randint(0, 40)):
        start = rng.randrange(n)
        end = min(n, start + rng.choice([1, 1, 1, 2, 3, 5, 200]))
        spans.append((start, end, rng.choice(LABELS), rng.choice(SOURCES)))
    shift = n.bit_length()
    cands = [(_order_key(s, e, _tie_rank(source, label), shift), s, e, label, None, source, 0.5, "", i)
             for i, (s, e, label, source) in enumerate(spans)]
    assert [c[8] for c in _select(cands, n)] == reference_select(spans)
