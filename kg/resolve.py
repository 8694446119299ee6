"""Cross-paper entity resolution: one key for the same thing across papers, with its evidence.

Within a paper the extractor already merges spelling variants and acronym definitions
("hierarchical navigable small world (HNSW)"). Across papers, a paper that defines an acronym
teaches us that its long and short forms are one thing, so a paper that writes only the long form
gets the same key. `AliasIndex` collects those definitions (which form names which key, in which
papers) over a whole run; `Resolver` then rewrites keys. A form that different papers define
differently is ambiguous and is left alone. Users steer it with an override file (`Overrides`):
force a merge, or forbid one; it is applied on the next build.

Override file (TOML)::

    [[merge]]                # these forms are one entity; the first is its name
    label = "METHOD"
    names = ["Vision Transformer", "ViT", "visual transformer"]

    [[split]]                # never merge these forms into one entity
    label = "METHOD"
    names = ["SSM", "state space model"]
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extractors.normalize import clean_name, normalize_key
from schema import Entity, Extraction, Relation, ResultRecord

LABELS = ("METHOD", "DATASET", "METRIC", "TASK")
#: stands for "a node already in the graph" where `AliasIndex.definitions` lists paper ids
GRAPH_SOURCE = "(graph)"
DEFAULT_OVERRIDES = Path("kg-overrides.toml")
#: at most this many neighbouring entities remembered per defined entity
MAX_CONTEXT = 100


class OverridesError(ValueError):
    """An override file that cannot be read or has a wrong shape (message: file and reason)."""


@dataclass
class Overrides:
    """User decisions that win over the evidence: forced merges and forbidden ones."""

    #: (label, normalised form) -> (key, display name)
    merges: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: (label, normalised form) -> group number; forms of different groups never share a key
    splits: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Overrides:
        """Read a TOML override file; every problem is one `OverridesError` line naming the file."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise OverridesError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise OverridesError(f"{path}: not valid TOML ({exc})") from None
        unknown = set(data) - {"merge", "split"}
        if unknown:
            raise OverridesError(f"{path}: unknown section(s) {sorted(unknown)} (expected [[merge]] and [[split]])")
        out = cls()
        for kind in ("merge", "split"):
            for i, entry in enumerate(data.get(kind, []), start=1):
                where = f"{path}: [[{kind}]] #{i}"
                if not isinstance(entry, dict):
                    raise OverridesError(f"{where}: expected a table with label and names")
                label = str(entry.get("label", "")).upper()
                names = entry.get("names")
                if label not in LABELS:
                    raise OverridesError(f"{where}: label must be one of {', '.join(LABELS)}")
                if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) and n.strip() for n in names):
                    raise OverridesError(f"{where}: names must be a list of at least two non-empty strings")
                if kind == "merge":
                    out.add_merge(label, names)
                else:
                    out.add_split(label, names)
        return out

    def add_merge(self, label: str, names: list[str]) -> None:
        key = normalize_key(names[0])
        for name in names:
            self.merges[(label, normalize_key(name))] = (key, names[0])

    def add_split(self, label: str, names: list[str]) -> None:
        base = len(self.splits)
        for i, name in enumerate(names):
            self.splits[(label, normalize_key(name))] = base + i


def entity_forms(entity: Entity) -> set[str]:
    """Every spelling of an entity seen in its paper, plus its name."""
    return {entity.name, entity.text, *entity.aliases, *(m.text for m in entity.mentions)}


@dataclass
class AliasIndex:
    """Which normalised form names which key, and the papers that say so.

    Forms and keys linked by unanimous definitions form clusters (union-find); each cluster's
    canonical key is a key some paper defines (not a bare acronym's), the one most papers use
    (ties: the shorter, then alphabetical), so the answer does not depend on the order papers
    arrive in.
    """

    #: (label, form key) -> {entity key: [paper ids]}
    definitions: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=lambda: defaultdict(dict))
    #: (label, key) -> number of papers with an entity of that key
    key_papers: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: (label, key) -> how often each display name was given to it
    names: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    #: (label, key) -> multi-word surface forms papers defined for it (for finding them elsewhere)
    long_forms: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    #: (label, key) -> "LABEL:key" of other entities in the papers that define it (at most
    #: `MAX_CONTEXT`): what a paper writing only the acronym must share to mean the same thing
    context: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    _canonical: dict[tuple[str, str], str] | None = field(default=None, repr=False)
    _display: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _members: dict[tuple[str, str], list[str]] | None = field(default=None, repr=False)

    def add(self, extraction: Extraction) -> None:
        """Learn from every entity that has more than one form (an acronym definition, say)."""
        self._canonical = self._members = None
        for ent in extraction.entities:
            self.key_papers[(ent.label, ent.key)] += 1
            self.names[(ent.label, ent.key)][clean_name(ent.name)] += 1
            surface = entity_forms(ent)
            forms = {normalize_key(f) for f in surface} - {ent.key, ""}
            if forms:  # a definition: remember its multi-word spellings and what surrounds it
                self.long_forms[(ent.label, ent.key)].update(f for f in surface if " " in f.strip())
                around = self.context[(ent.label, ent.key)]
                for other in extraction.entities:
                    if len(around) >= MAX_CONTEXT:
                        break
                    if other is not ent:
                        around.add(sys.intern(f"{other.label}:{other.key}"))  # one copy per entity
            for form in forms:
                papers = self.definitions[(ent.label, form)].setdefault(ent.key, [])
                if extraction.id not in papers:
                    papers.append(extraction.id)

    def seed(self, label: str, key: str, forms: Iterable[str], papers: int, name: str | None = None) -> None:
        """Learn from an entity node an earlier run left in the graph, as if its papers were in this run.

        The node stands for `papers` papers (those not in this run, which `add` counts itself) under
        its key, and every other spelling on it (aliases, merged keys) defines it, as the papers that
        merged them did. So a later run resolves a paper's entity to the key one run over all the
        inputs would give, and `kg.build` folds existing nodes a new definition links together.
        """
        self._canonical = self._members = None
        if papers:
            self.key_papers[(label, key)] += papers
            if name:
                self.names[(label, key)][name] += papers
        linked = {normalize_key(f) for f in forms} - {key, ""}
        if linked:
            self.long_forms[(label, key)].update(f for f in forms if " " in f.strip())
        for form in linked:
            sources = self.definitions[(label, form)].setdefault(key, [])
            if GRAPH_SOURCE not in sources:
                sources.append(GRAPH_SOURCE)

    def _clusters(self) -> dict[tuple[str, str], str]:
        parent: dict[tuple[str, str], tuple[str, str]] = {}

        def find(x: tuple[str, str]) -> tuple[str, str]:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for (label, form), keys in self.definitions.items():
            if len(keys) == 1:  # ambiguous forms link nothing
                (key,) = keys
                a, b = find((label, form)), find((label, key))
                if a != b:
                    parent[a] = b
        members: dict[tuple[str, str], list[str]] = defaultdict(list)
        for node in list(parent):
            members[find(node)].append(node[1])
        canonical = {}
        self._display = {}
        for root, keys in members.items():
            label = root[0]
            # a key that some paper defines (its long form) before a bare acronym's, however common
            best = max(keys, key=lambda k: (bool(self.long_forms.get((label, k))), self.key_papers.get((label, k), 0),
                                            -len(k), [-ord(c) for c in k]))
            counts: Counter = Counter()
            for k in keys:
                canonical[(label, k)] = best
                counts.update(self.names.get((label, k), {}))
            if counts:
                self._display[(label, best)] = min(counts, key=lambda n: (-counts[n], -len(n), n))
        return canonical

    def display_name(self, label: str, key: str) -> str | None:
        """The name most papers give to the entity `key` (all spellings of its cluster counted; ties go
        to the longer, more descriptive name: "Vision Transformer" over "ViT")."""
        if self._canonical is None:
            self._canonical = self._clusters()
        name = self._display.get((label, key))
        if name is None and (label, key) in self.names:
            counts = self.names[(label, key)]
            name = min(counts, key=lambda n: (-counts[n], -len(n), n))
        return name

    def target(self, label: str, key: str) -> str | None:
        """The canonical key of `key`'s cluster, when it differs from `key`."""
        if self._canonical is None:
            self._canonical = self._clusters()
        target = self._canonical.get((label, key))
        return target if target is not None and target != key else None

    def learned_forms(self) -> dict[tuple[str, str], set[str]]:
        """Multi-word defined forms by the key they resolve to, to be found in other papers: only
        specific names; forms defined ambiguously and common phrases ("natural language", "ground
        truth": `extractors.learned.is_common_phrase`) are left out."""
        from extractors.learned import is_common_phrase  # spaCy-bound module: only where names are learned

        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (label, key), forms in self.long_forms.items():
            target = self.target(label, key) or key
            for form in forms:
                defs = self.definitions.get((label, normalize_key(form)))
                if (defs is None or len(defs) == 1) and not is_common_phrase(form):
                    out[(label, target)].add(form)
        return dict(out)

    def meanings(self, key: str) -> set[tuple[str, str]]:
        """Every (label, canonical key) a form is defined as, across all labels."""
        out = set()
        for label in LABELS:
            for k in self.definitions.get((label, key), {}):
                out.add((label, self.target(label, k) or k))
        return out

    def members(self, label: str, target: str) -> list[str]:
        """The keys that resolve to `target` (itself included)."""
        if self._canonical is None:
            self._canonical = self._clusters()
        if self._members is None:
            self._members = defaultdict(list)
            for (lab, k), t in self._canonical.items():
                self._members[(lab, t)].append(k)
        return self._members.get((label, target)) or [target]

    def ambiguous(self) -> dict[tuple[str, str], dict[str, list[str]]]:
        """Forms that papers define as different things (left unmerged)."""
        return {k: v for k, v in self.definitions.items() if len(v) > 1}


class Resolver:
    """Rewrites entity keys of an extraction to their cross-paper keys."""

    def __init__(self, index: AliasIndex | None = None, overrides: Overrides | None = None) -> None:
        self.index = index or AliasIndex()
        self.overrides = overrides or Overrides()

    def key_for(self, label: str, key: str) -> tuple[str, str | None]:
        """(resolved key, forced display name or None) for an entity key."""
        forced = self.overrides.merges.get((label, key))
        if forced is not None:
            return forced
        if (label, key) in self.overrides.splits:
            return key, None
        target = self.index.target(label, key)
        if target is None or self._forbidden(label, key, target):
            return key, None
        forced = self.overrides.merges.get((label, target))
        return forced if forced is not None else (target, None)

    def _forbidden(self, label: str, a: str, b: str) -> bool:
        ga, gb = self.overrides.splits.get((label, a)), self.overrides.splits.get((label, b))
        return ga is not None and gb is not None and ga != gb

    def apply(self, extraction: Extraction) -> tuple[Extraction, dict[tuple[str, str], set[str]]]:
        """The extraction with resolved keys, and {(label, new key): {old keys}} for changed ones."""
        extraction = self._split(extraction)
        renamed: dict[tuple[str, str], str] = {}
        merged: dict[tuple[str, str], set[str]] = defaultdict(set)
        entities: dict[tuple[str, str], Entity] = {}
        for ent in extraction.entities:
            new_key, forced_name = self.key_for(ent.label, ent.key)
            if forced_name is None and is_bare_acronym(ent):
                new_key = self._bare_meaning(extraction, ent, new_key)
            if new_key != ent.key:
                renamed[(ent.label, ent.key)] = new_key
                merged[(ent.label, new_key)].add(ent.key)
            update: dict = {"key": new_key}
            name = forced_name or self.index.display_name(ent.label, new_key) or clean_name(ent.name)
            if name is not None and name != ent.name:
                update["name"] = name
                update["aliases"] = sorted({*ent.aliases, ent.name} - {name})
            new = ent.model_copy(update=update)
            same = entities.get((ent.label, new_key))
            if same is None:
                entities[(ent.label, new_key)] = new
            else:  # two entities of one paper became one: keep every mention and form
                same.mentions.extend(new.mentions)
                same.aliases = sorted(({*same.aliases, *new.aliases, new.name, new.text}) - {same.name})
                same.confidence = max(same.confidence, new.confidence)
        if not renamed:
            return extraction.model_copy(update={"entities": list(entities.values())}), {}

        def rk(label: str, key: str | None) -> str | None:
            return renamed.get((label, key), key) if key is not None else None

        results = [r.model_copy(update={"metric": rk("METRIC", r.metric), "dataset": rk("DATASET", r.dataset),
                                        "method": rk("METHOD", r.method)}) for r in extraction.results]
        relations = []
        for rel in extraction.relations:
            src, dst = rk(rel.label, rel.source), rk(rel.label, rel.target)
            if src != dst:
                rel = rel.model_copy(update={"source": src, "target": dst})
                if rel not in relations:
                    relations.append(rel)
        return extraction.model_copy(update={"entities": list(entities.values()), "results": results,
                                             "relations": relations}), dict(merged)

    def _bare_meaning(self, extraction: Extraction, ent: Entity, proposed: str) -> str:
        """The key of an acronym a paper writes without defining it: the corpus's meaning when it
        has only one (under any label), else the one meaning of its label that the paper's
        context supports; else its own key (see `unresolved_reason`)."""
        meanings = self.index.meanings(ent.key)
        if not meanings:
            return proposed
        if len(meanings) == 1:
            return proposed if next(iter(meanings))[0] == ent.label else ent.key
        supported = [k for lab, k in meanings if lab == ent.label and self._supports(extraction, ent, k)]
        if len(supported) == 1 and not self._forbidden(ent.label, ent.key, supported[0]):
            return supported[0]
        return ent.key

    def _supports(self, extraction: Extraction, ent: Entity, target: str) -> bool:
        """Whether a paper shares an entity with the papers that define `target`, or writes most
        of the words of one of its long forms."""
        label = ent.label
        keys = self.index.members(label, target)
        around = set().union(*(self.index.context.get((label, k), set()) for k in keys))
        own = {f"{e.label}:{e.key}" for e in extraction.entities if e is not ent}
        if own & around - {f"{label}:{k}" for k in keys}:
            return True
        words = content_words(" ".join([extraction.title or "", *extraction.sentences]))
        for k in keys:
            for form in self.index.long_forms.get((label, k), ()):
                needed = content_words(form)
                if needed and 2 * len(needed & words) > len(needed):
                    return True
        return False

    def _split(self, extraction: Extraction) -> Extraction:
        """Undo in-paper merges of forms the user said must stay apart."""
        if not self.overrides.splits:
            return extraction
        out: list[Entity] = []
        changed = False
        rekeyed: dict[tuple[str, str], str] = {}
        for ent in extraction.entities:
            groups: dict[int | None, list] = defaultdict(list)
            for m in ent.mentions:
                groups[self.overrides.splits.get((ent.label, normalize_key(m.text)))].append(m)
            own = self.overrides.splits.get((ent.label, ent.key))
            if len(groups) == 1 and None not in groups and own is not None and own not in groups:
                # every mention is a form split from the entity's key ("SSM" that the lists
                # resolved to state space model): the entity is that form
                text = ent.mentions[0].text
                key = normalize_key(text)
                rekeyed[(ent.label, ent.key)] = key
                out.append(ent.model_copy(update={"key": key, "name": text, "text": text,
                                                  "aliases": sorted({m.text for m in ent.mentions} - {text})}))
                changed = True
                continue
            if len({g for g in groups if g is not None}) < 2:
                out.append(ent)
                continue
            changed = True
            for mentions in groups.values():
                text = mentions[0].text
                out.append(ent.model_copy(update={"key": normalize_key(text), "name": text, "text": text,
                                                  "aliases": sorted({m.text for m in mentions} - {text}),
                                                  "mentions": mentions}))
        if not changed:
            return extraction
        update: dict = {"entities": out}
        if rekeyed:
            def rk(label: str, key: str | None) -> str | None:
                return rekeyed.get((label, key), key) if key is not None else None

            update["results"] = [r.model_copy(update={"metric": rk("METRIC", r.metric), "dataset": rk("DATASET", r.dataset),
                                                      "method": rk("METHOD", r.method)}) for r in extraction.results]
            update["relations"] = [rel.model_copy(update={"source": rk(rel.label, rel.source),
                                                          "target": rk(rel.label, rel.target)})
                                   for rel in extraction.relations]
        return extraction.model_copy(update=update)


_WORD = re.compile(r"[a-z][a-z0-9]{3,}")


def content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more (what two texts must share to be about one thing)."""
    return set(_WORD.findall(text.lower()))


def is_bare_acronym(entity: Entity) -> bool:
    """An acronym written without its long form anywhere in the paper ("IS = 3.52", "FWN is fast")."""
    text = entity.text.strip()
    if " " in text or len(text) > 10 or sum(c.isupper() for c in text) < 2:
        return False
    return not ({normalize_key(f) for f in entity_forms(entity)} - {entity.key, ""})


def unresolved_reason(index: AliasIndex, label: str, key: str) -> str | None:
    """Why an entity written as a bare acronym was not joined to a meaning other papers define."""
    meanings = index.meanings(key)
    if not meanings or meanings == {(label, key)}:
        return None
    names = ", ".join(sorted(f"{index.display_name(lab, k) or k} ({lab.lower()})" for lab, k in meanings))
    if len(meanings) == 1:
        return f"defined elsewhere only as {names}, another type"
    return f"defined as several things ({names}) and nothing in its papers says which"


def build_index(extractions: Iterable[Extraction]) -> AliasIndex:
    """An `AliasIndex` over a collection of extractions."""
    index = AliasIndex()
    for ex in extractions:
        index.add(ex)
    return index
