"""The static Cypher the Neo4j backend runs: one statement per label, per relationship type and
per (start label, type, end label), built only from the schema enums at import time.

Nothing here ever sees user text: labels, types and key properties come from `schema.graph`,
and every value travels as a parameter (`$rows`, `$keys`, `$ids`).
"""

from __future__ import annotations

from schema.graph import KEY_PROPERTY, NodeLabel, RelType

#: relationships that list the papers supporting them in a `papers` property (entity -> entity)
PAPER_LISTED: tuple[RelType, ...] = (RelType.VARIANT_OF,)


def _kp(label: NodeLabel) -> str:
    return KEY_PROPERTY[label]


def constraint(label: NodeLabel) -> str:
    """Uniqueness constraint on the key property (also the index every MERGE/MATCH uses)."""
    name = f"kg_{label.value.lower()}_{_kp(label)}"
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label.value}) REQUIRE n.{_kp(label)} IS UNIQUE"


#: a property set and removed again by the read statements: a no-op whose point is the write lock it
#: takes, held to the end of the transaction, so a concurrent load merging the same node or
#: relationship waits and then reads what this one wrote (no lost update)
LOCK = "SET {v}.kg_lock = true REMOVE {v}.kg_lock "


def read_nodes(label: NodeLabel) -> str:
    """Existing properties of the nodes with these keys (merged in Python, then written back),
    locked until the transaction ends ($keys sorted, so concurrent loads lock in one order)."""
    return (f"UNWIND $keys AS k MATCH (n:{label.value} {{{_kp(label)}: k}}) "
            f"{LOCK.format(v='n')}RETURN k, properties(n) AS props")


def write_nodes(label: NodeLabel, create: bool) -> str:
    """Create nodes, or replace the property map of existing ones ($rows: [{k, props}], props include the key).

    `create` is for keys the same transaction has just looked up and not found (the uniqueness
    constraint still guards against a concurrent writer); CREATE spares MERGE's second lookup.
    """
    if create:
        return f"UNWIND $rows AS row CREATE (n:{label.value}) SET n = row.props"
    return f"UNWIND $rows AS row MATCH (n:{label.value} {{{_kp(label)}: row.k}}) SET n = row.props"


def _ends(start: NodeLabel, end: NodeLabel) -> str:
    return (f"MATCH (a:{start.value} {{{_kp(start)}: row.s}}) "
            f"MATCH (b:{end.value} {{{_kp(end)}: row.e}}) ")


def read_rels(type_: RelType, start: NodeLabel, end: NodeLabel) -> str:
    """Existing properties of relationships ($rows: [{s, e}]), locked until the transaction ends."""
    return (f"UNWIND $rows AS row MATCH (a:{start.value} {{{_kp(start)}: row.s}})"
            f"-[r:{type_.value}]->(b:{end.value} {{{_kp(end)}: row.e}}) "
            f"{LOCK.format(v='r')}RETURN row.s AS s, row.e AS e, properties(r) AS props")


def write_rels(type_: RelType, start: NodeLabel, end: NodeLabel, create: bool) -> str:
    """Write relationships ($rows: [{s, e, props}]); returns how many found both ends.

    `create` is for rows whose start node this transaction has just created, so the relationship
    cannot exist yet and CREATE spares MERGE's look at the (possibly huge) end node's relationships.
    Without it, MERGE: the caller compares the relationships it created with those it expected to
    create, to notice one a concurrent load created first.
    """
    verb = "CREATE" if create else "MERGE"
    return (f"UNWIND $rows AS row {_ends(start, end)}"
            f"{verb} (a)-[r:{type_.value}]->(b) SET r = row.props RETURN count(r) AS written")


def count_nodes(label: NodeLabel) -> str:
    return f"MATCH (n:{label.value}) RETURN count(n) AS n"


def count_rels(type_: RelType) -> str:
    return f"MATCH ()-[r:{type_.value}]->() RETURN count(r) AS n"


def dump_nodes(label: NodeLabel) -> str:
    return f"MATCH (n:{label.value}) RETURN properties(n) AS props"


def dump_rels(type_: RelType) -> str:
    """Relationships of one type with both ends' label and key (Paper/Result keys are `id`)."""
    return (f"MATCH (a)-[r:{type_.value}]->(b) "
            "RETURN labels(a)[0] AS sl, coalesce(a.key, a.id) AS sk, "
            "labels(b)[0] AS el, coalesce(b.key, b.id) AS ek, properties(r) AS props")


def entity_summary(label: NodeLabel) -> str:
    """Entity nodes with their spellings and the number of papers outside $exclude linked to them."""
    return (f"MATCH (e:{label.value}) RETURN e.key AS key, e.name AS name, e.aliases AS aliases, "
            "e.merged_keys AS merged, COUNT { MATCH (p:Paper)-->(e) WHERE NOT p.id IN $exclude } AS papers")


def entity_with_rels(label: NodeLabel) -> str:
    """One entity node's properties and relationships: [type, outgoing, other label, other key, props]."""
    other = "labels(x)[0], coalesce(x.key, x.id), properties(r)"
    return (f"MATCH (o:{label.value} {{key: $key}}) RETURN properties(o) AS props, "
            f"[(o)-[r]->(x) | [type(r), true, {other}]] + [(o)<-[r]-(x) | [type(r), false, {other}]] AS rels")


def delete_entity(label: NodeLabel) -> str:
    return (f"MATCH (o:{label.value} {{key: $key}}) WITH o, COUNT {{ (o)--() }} AS degree "
            "DETACH DELETE o RETURN count(o) AS nodes, sum(degree) AS rels")


PAPER_VERSIONS = "MATCH (p:Paper) RETURN p.id AS id, p.content_hash AS hash, p.extractor AS extractor"

#: remove_papers, in order, inside one write transaction
EXISTING_PAPERS = "MATCH (p:Paper) WHERE p.id IN $ids RETURN collect(p.id) AS ids"
TOUCHED_BY_PAPERS = (
    "MATCH (p:Paper)-->(x) WHERE p.id IN $ids AND NOT x:Result RETURN collect(DISTINCT elementId(x)) AS ids")
DELETE_RESULTS = (
    "MATCH (p:Paper)-[:REPORTS]->(r:Result) WHERE p.id IN $ids "
    "OPTIONAL MATCH (r)-->(x) WITH r, collect(DISTINCT elementId(x)) AS targets, COUNT { (r)--() } AS degree "
    "DETACH DELETE r RETURN count(r) AS nodes, sum(degree) AS rels, "
    "reduce(acc = [], t IN collect(targets) | acc + t) AS touched")
DELETE_PAPERS = (
    "MATCH (p:Paper) WHERE p.id IN $ids WITH p, COUNT { (p)--() } AS degree "
    "DETACH DELETE p RETURN count(p) AS nodes, sum(degree) AS rels")
DROP_ALIAS_EVIDENCE = (
    "MATCH (n) WHERE elementId(n) IN $touched AND n.alias_evidence IS NOT NULL "
    "SET n.alias_evidence = [e IN n.alias_evidence WHERE none(s IN $suffixes WHERE e ENDS WITH s)]")


def unlist_papers(type_: RelType) -> str:
    """Take the removed papers out of `papers` lists (see `delete_unsupported`)."""
    return (f"MATCH ()-[r:{type_.value}]->() WHERE any(x IN r.papers WHERE x IN $ids) "
            "SET r.papers = [x IN r.papers WHERE NOT x IN $ids]")


def delete_unsupported(type_: RelType) -> str:
    """Delete relationships no paper supports any more; returns their ends for the orphan check."""
    return (f"MATCH (a)-[r:{type_.value}]->(b) WHERE r.papers = [] DELETE r "
            "RETURN count(*) AS rels, collect(elementId(a)) + collect(elementId(b)) AS ends")


DELETE_ORPHANS = "MATCH (n) WHERE elementId(n) IN $touched AND NOT (n)--() DELETE n RETURN count(*) AS nodes"
CLEAR_ALL = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"

#: the catalogue behind `kg query`'s warnings on names the graph does not have
VOCABULARY_LABELS = "CALL db.labels() YIELD label RETURN label"
VOCABULARY_TYPES = "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType"
VOCABULARY_KEYS = "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey"
