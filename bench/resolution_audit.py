"""Audit of cross-paper resolution: does `kg build` ever make a paper say what it does not say?

    python bench/resolution_audit.py             # the mixed corpus below, the shipped model
    python bench/resolution_audit.py --json      # the figures as JSON

The corpus mixes the bundled sample (kg/data/papers_sample.txt), the arXiv dev papers
(kg/data/arxiv_dev_papers.jsonl) and bench/data/resolution_corpus.jsonl: short texts in
physics, biology and social-science styles that reuse ML acronyms with other meanings
("infrared (IR)", "microtubule (MT)", "Very Low Mass (VLM)", "Empirical Mode Decomposition (EMD)",
"image sensitivity (IS)", '"Design in Tiles" (DiT)'), ML papers that give the usual meanings, and
papers that write common phrases ("natural language", "ground truth") without defining them.
It is extracted once (`kg extract`'s path) and built once (`kg build`'s path, cross-paper
resolution and learned names included), and these are counted on the built graph:

1. contradictions: edges from a paper to an entity reached through an acronym the paper
   defines itself ("international relations (IR)"), whose long forms do not include that
   definition (`extractors.components.entities.same_meaning`), plus edges to an entity that
   bench/data/resolution_forbidden.json lists as wrong for that paper. Target 0.
2. common phrases spread: edges that resolution added to a paper (the paper's own extraction
   has no entity with that form) through a common phrase (`extractors.learned.is_common_phrase`).
   Target 0. All added edges are counted too, for scale.
3. document-level F1 of the built graph against both dev golds (each paper's entities are the
   nodes it links to, with the forms it wrote and the node's name), next to `kg extract`'s F1 on
   the same papers, both scored by `kg.evaluate.score`. The graph's must not be lower.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors import build_nlp  # noqa: E402
from extractors.components.abbreviations import find_long_form, is_short_form  # noqa: E402
from extractors.components.entities import same_meaning  # noqa: E402
from extractors.learned import is_common_phrase  # noqa: E402
from extractors.normalize import normalize_key  # noqa: E402
from kg.backends.networkx_backend import NetworkxBackend  # noqa: E402
from kg.build import DATA_DIR, DEV_GOLD, SAMPLE_CORPUS, build_graph, extract_files  # noqa: E402
from kg.evaluate import load_gold, score  # noqa: E402

CORPUS = [SAMPLE_CORPUS, DATA_DIR / "arxiv_dev_papers.jsonl", ROOT / "bench" / "data" / "resolution_corpus.jsonl"]
FORBIDDEN = ROOT / "bench" / "data" / "resolution_forbidden.json"
GOLDS = {"seed": DEV_GOLD, "arxiv": DATA_DIR / "arxiv_dev_gold.jsonl"}
SPAN_LABEL = {"Method": "METHOD", "Dataset": "DATASET", "Metric": "METRIC", "Task": "TASK"}
#: "long form (SHORT)", also glued: "single-linkage(SL)"
_DEFINITION = re.compile(r"([^().;:,\[\]]{2,90}?)\s?\(([A-Za-z][A-Za-z0-9\-]{1,11})\)")


def definitions(text: str) -> dict[str, str]:
    """Acronym -> long form a text defines (Schwartz & Hearst, independent of the pipeline's tokens)."""
    out = {}
    for m in _DEFINITION.finditer(text):
        before, short = m.group(1), m.group(2)
        core = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
        if not is_short_form(core):
            continue
        start = find_long_form(core, before)
        if start is not None:
            long_form = before[start:].strip(" \"'“”~")
            if long_form and long_form.lower() != short.lower():
                out[short] = long_form
    return out


def paper_forms(G, paper_node: str, entity: str) -> set[str]:
    """The surface forms a paper wrote for an entity node (its alias evidence)."""
    pid = G.nodes[paper_node]["id"]
    return {e.rpartition(" @ ")[0] for e in G.nodes[entity].get("alias_evidence") or () if e.endswith(f" @ {pid}")}


def audit(workers: int = 1) -> dict:
    """Build and extract the mixed corpus and count what the module docstring lists."""
    nlp = build_nlp()
    buf = io.StringIO()
    extract_files(CORPUS, buf, nlp=nlp)
    extractions = {json.loads(line)["id"]: json.loads(line) for line in buf.getvalue().splitlines()}
    store = NetworkxBackend()
    build_graph(CORPUS, store, nlp=nlp)
    G = store.to_networkx()
    forbidden = json.loads(FORBIDDEN.read_text(encoding="utf-8"))
    texts = _texts()

    contradictions: list[str] = []
    spread: list[str] = []
    common: list[str] = []
    graph_preds = []
    for node, data in G.nodes(data=True):
        if data.get("label") != "Paper":
            continue
        pid = data["id"]
        defined = definitions(texts.get(pid, ""))
        own_forms = {normalize_key(f) for e in extractions.get(pid, {}).get("entities", ())
                     for f in (e["name"], e["text"], *e["aliases"], *(m["text"] for m in e["mentions"]))}
        entities = []
        for _, ent, edge in G.out_edges(node, data=True):
            edata = G.nodes[ent]
            if edata.get("label") not in SPAN_LABEL:
                continue
            forms = paper_forms(G, node, ent)  # (evidence is capped per form: may miss some)
            name = edata.get("name", "")
            everything = {name, *(edata.get("aliases") or ()), *forms}
            # what a reader of the graph sees: the node, by every name it has
            entities.append({"label": SPAN_LABEL[edata["label"]], "name": name, "text": name,
                             "aliases": sorted(everything - {name}), "role": edge.get("role", "mentioned")})
            for short, long_form in defined.items():
                if short in forms:
                    longs = [f for f in everything if " " in f.strip()]
                    if longs and not any(same_meaning(long_form, f) for f in longs):
                        contradictions.append(f"{pid}: {short} = {long_form!r} but linked to {name!r}")
            for wrong in forbidden.get(pid, ()):
                if any(wrong in f.lower() for f in everything):
                    contradictions.append(f"{pid}: linked to {name!r} ({wrong!r} is not in this paper)")
            if forms and not ({normalize_key(f) for f in forms} & own_forms):
                spread.append(f"{pid}: {name!r} via {sorted(forms)}")
                if any(is_common_phrase(f) for f in forms):
                    common.append(f"{pid}: {name!r} via {sorted(forms)}")
        graph_preds.append({"id": pid, "title": data.get("title", ""), "entities": entities})

    f1 = {}
    for name, path in GOLDS.items():
        gold = load_gold(path)
        f1[name] = {"graph": round(score(gold, graph_preds).overall.f1, 4),
                    "extract": round(score(gold, list(extractions.values())).overall.f1, 4)}
    return {"papers": len(graph_preds), "contradictions": len(contradictions), "common_phrases_spread": len(common),
            "edges_added_by_resolution": len(spread), "f1": f1,
            "examples": {"contradictions": contradictions[:20], "common_phrases_spread": common[:20],
                         "edges_added_by_resolution": spread[:10]}}


def _texts() -> dict[str, str]:
    """Paper id -> title and abstract, read by the project's own readers."""
    from kg.ingest import read_papers

    return {p.id: f"{p.title}. {p.abstract}" for p in read_papers(CORPUS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = audit()
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return
    print(f"papers: {result['papers']}")
    print(f"edges contradicting the paper's own definition: {result['contradictions']} (target 0)")
    print(f"common phrases spread to other papers: {result['common_phrases_spread']} (target 0)")
    print(f"edges resolution added to papers (learned names, all kinds): {result['edges_added_by_resolution']}")
    for name, scores in result["f1"].items():
        verdict = "ok" if scores["graph"] >= scores["extract"] else "LOWER"
        print(f"F1 on the {name} dev gold: built graph {scores['graph']:.3f}, kg extract {scores['extract']:.3f} ({verdict})")
    for kind in ("contradictions", "common_phrases_spread"):
        for line in result["examples"][kind]:
            print(f"  {kind}: {line}")


if __name__ == "__main__":
    main()
