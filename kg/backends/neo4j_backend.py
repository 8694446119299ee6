"""The server backend: the same graph schema in a real Neo4j database, through the official driver.

Loading is idempotent and safe to interrupt. Every `upsert` runs in managed write transactions
(retried by the driver on transient errors): the properties of the nodes and relationships it
touches are read, merged in Python with the same rules as the networkx backend
(`merge_node_props` / `merge_rel_props`, so both backends end with the same properties), and
written back with one static `UNWIND $rows` statement per label and relationship type. A load
that dies halfway leaves whole batches behind, and running it again completes it.

Connection settings come from the arguments or NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD /
NEO4J_DATABASE. Every failure a user can cause or fix (server down, wrong password, unknown
database, server gone mid-load) becomes a `Neo4jUnavailable` whose message names the next step.
"""

from __future__ import annotations

import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import networkx as nx
import neo4j
from neo4j import exceptions as nex

from kg.backends import neo4j_statements as q
from kg.backends.base import (BackendError, Counts, EntitySummary, GraphVocabulary, QueryError, QueryResult, QueryStopped,
                              WriteStats, entity_forms_of, merge_node_props, merge_rel_props, rekeyed_batch)
from kg.cypher_params import check_read_only
from schema.graph import ENTITY_NODE_LABEL, KEY_PROPERTY, GraphBatch, NodeLabel, RelType, node_id

DEFAULT_URI = "bolt://localhost:7687"
DEFAULT_USER = "neo4j"
#: rows per UNWIND statement and per transaction; bigger batches are split
DEFAULT_BATCH_ROWS = 20_000

T = TypeVar("T")
_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


#: how often a transaction that lost a race with a concurrent load is run again
RACE_RETRIES = 20


class _Raced(Exception):
    """A concurrent load created a relationship this transaction meant to create: run it again."""


class Neo4jUnavailable(BackendError):
    """The server cannot be reached or used; the message says what to do next."""


def settings(uri: str | None = None, user: str | None = None, password: str | None = None,
             database: str | None = None) -> dict[str, str | None]:
    """Connection settings: arguments first, then NEO4J_* environment variables, then defaults."""
    return {
        "uri": uri or os.environ.get("NEO4J_URI") or DEFAULT_URI,
        "user": user or os.environ.get("NEO4J_USER") or DEFAULT_USER,
        "password": password if password is not None else os.environ.get("NEO4J_PASSWORD"),
        "database": database or os.environ.get("NEO4J_DATABASE") or None,
    }


def _plain(value: Any) -> Any:
    """Driver values as the networkx backend returns them: nodes/relationships as property dicts."""
    if isinstance(value, neo4j.graph.Node):
        props = {k: _plain(v) for k, v in value.items()}
        labels = sorted(value.labels)
        if labels:
            props["label"] = labels[0]
        return props
    if isinstance(value, neo4j.graph.Relationship):
        return {**{k: _plain(v) for k, v in value.items()}, "type": value.type}
    if isinstance(value, neo4j.graph.Path):
        return [_plain(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time values
        return value.iso_format()
    return value


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).split())


class Neo4jBackend:
    """Graph backend over a Neo4j 5 database (Community or Enterprise).

    Parameters
    ----------
    uri, user, password, database : str, optional
        Connection settings (see `settings`); `password=None` with no NEO4J_PASSWORD connects
        without authentication (a server with auth disabled).
    batch_rows : int
        Rows per UNWIND statement and transaction.
    retry_seconds : float
        How long the driver keeps retrying a transaction after transient errors.
    """

    #: `kg build` sends this many papers per upsert: 1,024 loaded ~30% faster than 256 (bench/neo4j_load.py)
    batch_papers = 1024

    def __init__(self, uri: str | None = None, user: str | None = None, password: str | None = None,
                 database: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS,
                 retry_seconds: float = 15.0) -> None:
        conf = settings(uri, user, password, database)
        self.uri: str = conf["uri"]  # type: ignore[assignment]
        self.user: str = conf["user"]  # type: ignore[assignment]
        self.database: str | None = conf["database"]
        self.batch_rows = batch_rows
        auth = (self.user, conf["password"]) if conf["password"] is not None else None
        scheme = self.uri.split("://", 1)[0].lower() if "://" in self.uri else ""
        if scheme not in _SCHEMES:
            raise Neo4jUnavailable(f"bad Neo4j URI {self.uri!r}: expected a bolt:// or neo4j:// address "
                                   "such as bolt://localhost:7687")
        try:
            self._driver = neo4j.GraphDatabase.driver(
                self.uri, auth=auth, max_transaction_retry_time=retry_seconds, connection_timeout=10,
                connection_acquisition_timeout=30,
                # counting a type no load has written yet is fine here, not a warning for the log
                notifications_min_severity="OFF")
        except (ValueError, nex.ConfigurationError) as exc:
            raise Neo4jUnavailable(f"bad Neo4j URI {self.uri!r}: {_message(exc)} "
                                   "(expected e.g. bolt://localhost:7687 or neo4j://host:7687)") from exc
        self._loaded_any = False
        try:
            self._call(lambda: self._driver.verify_connectivity())
            self._call(lambda: self._driver.execute_query("RETURN 1", database_=self.database))
            self.ensure_schema()
        except BaseException:
            self._driver.close()
            raise

    # -- errors -------------------------------------------------------------------------------

    def _explain(self, exc: Exception) -> BackendError:
        """One line naming the problem and the next step."""
        where = f"Neo4j at {self.uri}"
        if isinstance(exc, nex.AuthError) or getattr(exc, "code", "") in (
                "Neo.ClientError.Security.Unauthorized", "Neo.ClientError.Security.AuthenticationRateLimit"):
            return Neo4jUnavailable(f"{where} rejected user {self.user!r}: wrong user name or password; "
                                    "pass --user/--password or set NEO4J_USER/NEO4J_PASSWORD")
        code = getattr(exc, "code", "") or ""
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return Neo4jUnavailable(f"{where} has no database {self.database!r}; pass an existing one with "
                                    "--database (or NEO4J_DATABASE), e.g. 'neo4j'; Community Edition has only that one")
        if code.startswith("Neo.ClientError.Security"):
            return Neo4jUnavailable(f"{where} refused access: {_message(exc)}; check the user's roles and password")
        if isinstance(exc, (nex.ServiceUnavailable, nex.SessionExpired, OSError)) or code.startswith(
                "Neo.TransientError.General.DatabaseUnavailable"):
            if self._loaded_any:
                return Neo4jUnavailable(
                    f"lost the connection to {where} during the load ({_message(exc)}); every batch is one "
                    "transaction, so nothing is half-written: restart the server and run the same command "
                    "again (loading is idempotent)")
            return Neo4jUnavailable(f"cannot reach {where} ({_message(exc)}); start the server "
                                    "(`docker compose up -d`) or point --uri / NEO4J_URI at a running one")
        if isinstance(exc, nex.Neo4jError):
            return BackendError(f"{where}: {code or type(exc).__name__}: {_message(exc)}")
        return BackendError(f"{where}: {type(exc).__name__}: {_message(exc)}")

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (nex.Neo4jError, nex.DriverError, OSError) as exc:
            raise self._explain(exc) from exc

    def _tx(self, work: Callable[..., T], *args: Any, write: bool = True) -> T:
        """Run `work(tx, *args)` in one managed transaction (the driver retries transient errors)."""
        with self._driver.session(database=self.database) as session:
            return (session.execute_write if write else session.execute_read)(work, *args)

    def _write(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work` in a write transaction, again when it lost a race with a concurrent load.

        Two loads of overlapping papers may create the same key at the same moment: the second
        one's CREATE fails the uniqueness constraint (ConstraintValidationFailed), or its MERGE
        finds a relationship the other just created (`_Raced`). Its transaction is rolled back
        and run again from the start; it then reads the other load's nodes and merges into them,
        as a sequential load would (deadlocks between the two are retried by the driver).
        """
        for attempt in range(RACE_RETRIES + 1):
            try:
                return self._tx(work, *args)
            except (nex.ConstraintError, _Raced) as exc:
                if attempt == RACE_RETRIES:
                    raise self._explain(exc) from exc
                time.sleep(random.uniform(0, 0.05 * 2 ** min(attempt, 5)))
            except (nex.Neo4jError, nex.DriverError, OSError) as exc:
                raise self._explain(exc) from exc
        raise AssertionError("unreachable")

    # -- schema and loading -------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Uniqueness constraints on every key property (idempotent; created before any data)."""
        for label in NodeLabel:
            self._call(lambda label=label: self._driver.execute_query(q.constraint(label), database_=self.database))

    def _chunks(self, rows: list[T]) -> Iterable[list[T]]:
        for i in range(0, len(rows), self.batch_rows):
            yield rows[i:i + self.batch_rows]

    def upsert(self, batch: GraphBatch) -> WriteStats:
        """Merge the batch's nodes, then its relationships, with the merge rules of `kg.backends.base`."""
        by_label: dict[NodeLabel, dict[str, dict[str, Any]]] = defaultdict(dict)
        for node in batch.nodes:
            label = NodeLabel(node.label)
            props = {k: v for k, v in node.props.items() if v is not None}
            props[KEY_PROPERTY[label]] = node.key
            rows = by_label[label]
            rows[node.key] = merge_node_props(rows[node.key], props, key=node.key) if node.key in rows else props
        by_type: dict[tuple[RelType, NodeLabel, NodeLabel], dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
        for rel in batch.rels:
            group = by_type[(RelType(rel.type), NodeLabel(rel.start_label), NodeLabel(rel.end_label))]
            props = {k: v for k, v in rel.props.items() if v is not None}
            ends = (rel.start_key, rel.end_key)
            group[ends] = merge_rel_props(group[ends], props) if ends in group else props

        # steps of at most `batch_rows` rows, packed into as few transactions as the limit allows:
        # one commit (one fsync) per transaction is what a load mostly waits for
        steps: list[tuple[str, tuple, list]] = []
        for label, rows in by_label.items():
            steps.extend(("nodes", (label,), chunk) for chunk in self._chunks(list(rows.items())))
        for group, rows in by_type.items():
            steps.extend(("rels", group, chunk) for chunk in self._chunks(list(rows.items())))
        stats = WriteStats()
        pending: list[tuple[str, tuple, list]] = []
        size = 0
        for step in [*steps, None]:
            if pending and (step is None or size + len(step[2]) > self.batch_rows):
                stats += self._write(self._apply, pending)
                self._loaded_any = True
                pending, size = [], 0
            if step is not None:
                pending.append(step)
                size += len(step[2])
        return stats

    @classmethod
    def _apply(cls, tx: neo4j.ManagedTransaction, steps: list[tuple[str, tuple, list]]) -> WriteStats:
        """Run upsert steps in one transaction; returns what they changed.

        Only nodes created by this very transaction count as new starts of relationships (written
        with CREATE): a node an earlier transaction created may have gained relationships from a
        concurrent load since. A retried transaction starts again with nothing created.
        """
        stats = WriteStats()
        fresh: dict[NodeLabel, set[str]] = defaultdict(set)
        for kind, group, rows in steps:
            if kind == "nodes":
                stats += cls._upsert_nodes(tx, group[0], rows, fresh[group[0]])
            else:
                type_, start, end = group
                stats += cls._upsert_rels(tx, type_, start, end, rows, fresh[start])
        return stats

    @staticmethod
    def _upsert_nodes(tx: neo4j.ManagedTransaction, label: NodeLabel, items: list[tuple[str, dict]],
                      created: set[str]) -> WriteStats:
        kp = KEY_PROPERTY[label]
        existing = {r["k"]: r["props"] for r in tx.run(q.read_nodes(label), keys=sorted(k for k, _ in items))}
        new, changed = [], []
        for key, props in items:
            before = existing.get(key)
            if before is None:
                new.append({"k": key, "props": props})
                continue
            merged = merge_node_props({k: v for k, v in before.items() if k != kp}, props, key=key)
            merged[kp] = key
            if merged != before:
                changed.append({"k": key, "props": merged})
        if new:
            tx.run(q.write_nodes(label, create=True), rows=new).consume()
            created.update(row["k"] for row in new)
        if changed:
            tx.run(q.write_nodes(label, create=False), rows=changed).consume()
        return WriteStats(nodes_created=len(new), nodes_updated=len(changed))

    @staticmethod
    def _upsert_rels(tx: neo4j.ManagedTransaction, type_: RelType, start: NodeLabel, end: NodeLabel,
                     items: list[tuple[tuple[str, str], dict]], new_starts: set[str]) -> WriteStats:
        fresh = [{"s": s, "e": e, "props": p} for (s, e), p in items if s in new_starts]
        old = [(ends, p) for ends, p in items if ends[0] not in new_starts]
        created = updated = skipped = 0
        if fresh:
            written = tx.run(q.write_rels(type_, start, end, create=True), rows=fresh).single()["written"]
            created += written
            skipped += len(fresh) - written  # rows whose end node exists nowhere
        if old:
            existing = {(r["s"], r["e"]): r["props"] for r in tx.run(
                q.read_rels(type_, start, end), rows=[{"s": s, "e": e} for (s, e), _ in old])}
            rows, candidates = [], 0
            for (s, e), props in old:
                before = existing.get((s, e))
                if before is None:
                    rows.append({"s": s, "e": e, "props": props})
                    candidates += 1
                elif (merged := merge_rel_props(before, props)) != before:
                    rows.append({"s": s, "e": e, "props": merged})
                    updated += 1
            if rows:
                result = tx.run(q.write_rels(type_, start, end, create=False), rows=rows)
                written = result.single()["written"]
                made = result.consume().counters.relationships_created
                if made != written - updated:  # updated relationships always have both ends
                    raise _Raced(f"a concurrent load created {type_.value} relationships first")
                created += made
                skipped += candidates - made
        return WriteStats(rels_created=created, rels_updated=updated, rels_skipped=skipped)

    # -- incremental rebuilds -----------------------------------------------------------------

    def paper_versions(self) -> dict[str, tuple[str | None, str | None]]:
        """{paper id: (content_hash, extractor)} of every Paper node, for incremental rebuilds."""
        records = self._call(lambda: self._driver.execute_query(
            q.PAPER_VERSIONS, database_=self.database, routing_=neo4j.RoutingControl.READ).records)
        return {r["id"]: (r["hash"], r["extractor"]) for r in records}

    def remove_papers(self, paper_ids: Iterable[str]) -> WriteStats:
        """Take papers out with everything only they gave evidence for (as the networkx backend does)."""
        ids = sorted(set(paper_ids))
        if not ids:
            return WriteStats()
        self._loaded_any = True
        return self._write(self._remove, ids)

    @staticmethod
    def _remove(tx: neo4j.ManagedTransaction, ids: list[str]) -> WriteStats:
        ids = tx.run(q.EXISTING_PAPERS, ids=ids).single()["ids"]
        if not ids:
            return WriteStats()
        touched = set(tx.run(q.TOUCHED_BY_PAPERS, ids=ids).single()["ids"])
        results = tx.run(q.DELETE_RESULTS, ids=ids).single()
        touched.update(results["touched"] or [])
        papers = tx.run(q.DELETE_PAPERS, ids=ids).single()
        nodes = (results["nodes"] or 0) + papers["nodes"]
        rels = (results["rels"] or 0) + (papers["rels"] or 0)
        tx.run(q.DROP_ALIAS_EVIDENCE, touched=sorted(touched), suffixes=[f" @ {pid}" for pid in ids]).consume()
        for type_ in q.PAPER_LISTED:
            tx.run(q.unlist_papers(type_), ids=ids).consume()
            gone = tx.run(q.delete_unsupported(type_)).single()
            rels += gone["rels"]
            touched.update(gone["ends"])
        nodes += tx.run(q.DELETE_ORPHANS, touched=sorted(touched)).single()["nodes"]
        return WriteStats(nodes_removed=nodes, rels_removed=rels)

    # -- cross-run entity resolution -----------------------------------------------------------

    def entity_summary(self, exclude_papers: Iterable[str] = ()) -> list[EntitySummary]:
        """Every entity node with its spellings and the number of papers (not excluded) linked to it."""
        exclude = sorted(set(exclude_papers))
        out = []
        for label in ENTITY_NODE_LABEL.values():
            records = self._call(lambda label=label: self._driver.execute_query(
                q.entity_summary(label), exclude=exclude, database_=self.database,
                routing_=neo4j.RoutingControl.READ).records)
            for r in records:
                props = {"name": r["name"], "aliases": r["aliases"], "merged_keys": r["merged"]}
                out.append(EntitySummary(label, r["key"], r["name"], entity_forms_of(props), r["papers"]))
        return out

    def merge_entity(self, label: NodeLabel, old: str, new: str) -> WriteStats:
        """Fold entity node `old` into `new` (see `GraphBackend.merge_entity`): the moved node and
        relationships are upserted first, then `old` is deleted, so a run stopped in between leaves
        both and the next run folds them again."""
        if old == new:
            return WriteStats()
        found = self._call(lambda: self._driver.execute_query(
            q.entity_with_rels(label), key=old, database_=self.database).records)
        if not found:
            return WriteStats()
        rels = [(RelType(t), out, NodeLabel(ol), ok, props) for t, out, ol, ok, props in found[0]["rels"]]
        stats = self.upsert(rekeyed_batch(label, old, new, found[0]["props"], rels))

        def delete(tx: neo4j.ManagedTransaction) -> WriteStats:
            gone = tx.run(q.delete_entity(label), key=old).single()
            return WriteStats(nodes_removed=gone["nodes"], rels_removed=gone["rels"] or 0)

        return stats + self._write(delete)

    def clear(self) -> None:
        """Delete every node and relationship (constraints stay), in batches of 10,000."""
        def run() -> None:
            with self._driver.session(database=self.database) as session:
                session.run(q.CLEAR_ALL).consume()
        self._call(run)

    # -- reading --------------------------------------------------------------------------------

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, write: bool = False,
              timeout: float | None = None) -> QueryResult:
        """Run Cypher with parameters in a read transaction (a write transaction with `write=True`).

        Read mode also refuses, by the query text, what a read transaction lets through: LOAD CSV,
        administration commands and procedures (`kg.cypher_params.check_read_only`). `timeout`
        (seconds) is the transaction timeout: the server stops the query when it is reached.

        Raises
        ------
        QueryError
            The server refused the query (syntax, missing parameter, a write in read mode), or it
            hit the timeout or the server's memory limit.
        """
        if not write:
            check_read_only(cypher)

        @neo4j.unit_of_work(timeout=timeout if timeout else None)
        def work(tx: neo4j.ManagedTransaction) -> QueryResult:
            result = tx.run(cypher, dict(params or {}))
            columns = list(result.keys())
            return QueryResult(columns=columns, rows=[[_plain(v) for v in record.values()] for record in result])

        try:
            return self._tx(work, write=write)
        except nex.ClientError as exc:
            code = exc.code or ""
            if code == "Neo.ClientError.Statement.AccessMode" or "in read access mode" in _message(exc):
                raise QueryError("this query writes to the graph and queries are read-only by default; "
                                 "add --write to run it") from exc
            if code.startswith("Neo.ClientError.Transaction.TransactionTimedOut"):
                raise QueryStopped(f"query stopped: it ran longer than the {timeout:g} s timeout; narrow it "
                                 "(LIMIT, a bounded path length such as *1..3) or raise --timeout") from exc
            if code.startswith("Neo.ClientError.Statement") or code.startswith("Neo.ClientError.Procedure"):
                first = _message(exc).split(' "')[0]
                raise QueryError(f"Neo4j refused the query: {first}") from exc
            raise self._explain(exc) from exc
        except nex.TransientError as exc:
            if "OutOfMemory" in (exc.code or ""):
                raise QueryStopped("query stopped: Neo4j ran out of memory for it (db.memory.transaction.max "
                                 "or the heap); narrow it (LIMIT, fewer MATCH combinations)") from exc
            raise self._explain(exc) from exc
        except (nex.Neo4jError, nex.DriverError, OSError) as exc:
            raise self._explain(exc) from exc

    def counts(self) -> Counts:
        """Counts for every schema label and relationship type (0 when absent)."""
        def one(statement: str) -> int:
            return self._call(lambda: self._driver.execute_query(
                statement, database_=self.database, routing_=neo4j.RoutingControl.READ).records[0]["n"])
        return Counts(nodes={label.value: one(q.count_nodes(label)) for label in NodeLabel},
                      rels={type_.value: one(q.count_rels(type_)) for type_ in RelType})

    def vocabulary(self) -> GraphVocabulary:
        """Labels, types and property keys from the database's catalogue (`db.labels()` ...)."""
        def names(tx: neo4j.ManagedTransaction) -> GraphVocabulary:
            def column(statement: str) -> frozenset[str]:
                return frozenset(str(r[0]) for r in tx.run(statement))
            return GraphVocabulary(column(q.VOCABULARY_LABELS), column(q.VOCABULARY_TYPES), column(q.VOCABULARY_KEYS))

        return self._call(lambda: self._tx(names, write=False))

    def to_networkx(self) -> nx.MultiDiGraph:
        """Read the whole graph into the networkx layout of DESIGN.md (export, analysis, viz)."""
        from kg.backends.networkx_backend import restore_labels

        G = nx.MultiDiGraph()

        def read(tx: neo4j.ManagedTransaction) -> None:
            for label in NodeLabel:
                kp = KEY_PROPERTY[label]
                for record in tx.run(q.dump_nodes(label)):
                    props = record["props"]
                    G.add_node(node_id(label, props[kp]), **props, label=label.value)
            for type_ in RelType:
                for r in tx.run(q.dump_rels(type_)):
                    G.add_edge(node_id(r["sl"], r["sk"]), node_id(r["el"], r["ek"]), key=type_.value,
                               **r["props"], type=type_.value)

        self._call(lambda: self._tx(read, write=False))
        return restore_labels(G)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
