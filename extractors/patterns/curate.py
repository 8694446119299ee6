"""Build extractors/patterns/terms.jsonl from the core lists and the PwC-derived gazetteers.

Dev-time script (not used at run time): the gazetteers are noisy, so every name goes through the
filters below. Run: `python extractors/patterns/curate.py PATH/TO/gazetteers` (needs `wordfreq`,
used only here to drop names that are everyday English words).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from wordfreq import zipf_frequency

HERE = Path(__file__).parent
LABELS = {"methods": "METHOD", "datasets": "DATASET", "metrics": "METRIC", "tasks": "TASK"}
# names that are everyday words above this Zipf frequency are too ambiguous to match on their own
MAX_ZIPF_LOWER = 3.6
MAX_ZIPF_EXACT = 4.6
GENERIC = {
    "METHOD": {"library", "focus", "base", "speed", "aware", "model", "network", "layer", "method",
               "attention", "convolution", "diffusion", "softmax", "linear layer", "dense connections",
               "sigmoid activation", "tanh activation", "relu", "concatenation", "dot product",
               "embedding", "encoder", "decoder", "detection", "classification", "segmentation",
               "representation", "search", "retrieval", "ranking", "generation", "translation"},
    "DATASET": {"satellite", "tensorflow", "ssl", "reddit", "wikipedia", "twitter", "yelp", "iris",
                "synthetic graph", "supervised", "knowledge-based", "social media", "scholar",
                "advising", "overall", "average", "dialogue", "google dataset", "as", "msr", "ud", "pnt",
                "subj", "cr", "pos", "trec", "mosi", "race", "coco (common objects in context)", "ap"},
    "METRIC": {"score", "overall", "average", "return", "validity", "exact", "sensitivity",
               "specificity", "error", "pos", "cr", "acc", "is", "cd", "em", "ap", "epoch", "epochs"},
    "TASK": {"classification", "segmentation", "detection", "retrieval", "misinformation",
             "decision making", "parsing", "dialogue", "multimodal", "common sense", "supervised",
             "graph construction", "computed tomography (ct)", "knowledge graphs", "word embeddings",
             "data augmentation", "quantization", "model compression", "network pruning",
             "self-supervised learning", "transfer learning", "few-shot learning", "zero-shot learning",
             "multi-task learning", "representation learning", "contrastive learning", "continual learning",
             "domain adaptation", "active learning", "meta-learning", "federated learning",
             "reinforcement learning", "knowledge distillation", "neural architecture search",
             "language modelling", "deep learning", "machine learning", "computer vision",
             "natural language processing", "artificial intelligence", "clustering", "regression",
             "denoising", "feature selection", "benchmarking", "negation"},
}
PAREN = re.compile(r"^(?P<long>[^()]+?)\s*\((?P<short>[^()]+)\)$")
TRANSLATION_PAIR = re.compile(r"^Translation [a-z_A-Z]+-[a-z_A-Z]+$")
SPLIT_SUFFIX = re.compile(r"\s+(val|test|dev|test-dev|test-std|validation|train|minival|\(.*\))$", re.I)


def has_inner_caps_or_digit(s: str) -> bool:
    """True for coined spellings (BERT, ResNet-50, mAP) that must match case-sensitively; Title Case
    phrases ("Vision Transformer") are English words and match in any case."""
    if any(c.isdigit() for c in s):
        return True
    words = s.replace("-", " ").split()
    return any(any(c.isupper() for c in w[1:]) or (w.isupper() and len(w) > 1) for w in words)


def _cue_words() -> frozenset[str]:
    """The context words of cues.json that say what a name is ("dataset", "leaderboard", "score",
    "task"): never a name themselves."""
    cues = json.loads((HERE / "cues.json").read_text(encoding="utf-8"))
    return frozenset(w for k in ("dataset_nouns", "dataset_heads", "metric_nouns", "task_nouns") for w in cues[k])


CUE_WORDS = _cue_words()


def usable(form: str, label: str) -> bool:
    """Filter a candidate surface form: drop junk, generic words, cue words and everyday English."""
    f = form.strip()
    if len(f) < 2 or len(f) > 60 or len(f.split()) > 6:
        return False
    if f.lower() in GENERIC[label] or f.lower() in CUE_WORDS or not re.search(r"[A-Za-z]", f):
        return False
    if re.search(r"[%:;,?!]|\.\.\.", f) and label != "DATASET":
        return False
    words = f.split()
    if len(words) == 1 and not has_inner_caps_or_digit(f) and zipf_frequency(f.lower(), "en") > MAX_ZIPF_LOWER:
        return False
    if f.isupper() and len(words) == 1 and zipf_frequency(f.lower(), "en") > MAX_ZIPF_EXACT:
        return False
    if len(f) <= 2 and not f.isupper():
        return False
    return True


def entries_from_core(path: Path, label: str):
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        forms = [f.strip() for f in line.split("|") if f.strip()]
        yield label, forms[0], forms, "core"


def entries_from_gazetteers(gaz: Path):
    for row in map(json.loads, (gaz / "pwc_methods.jsonl").open(encoding="utf-8")):
        forms = [row["name"]]
        full = row.get("full_name")
        if full and full != row["name"] and len(full.split()) <= 6:
            forms.append(full)
        yield "METHOD", row["name"], forms, "pwc"
    for row in map(json.loads, (gaz / "pwc_tasks.jsonl").open(encoding="utf-8")):
        name = row["name"]
        if TRANSLATION_PAIR.match(name):
            continue
        m = PAREN.match(name)
        forms = [m["long"], m["short"]] if m else [name]
        yield "TASK", forms[0], forms, "pwc"
    for row in map(json.loads, (gaz / "pwc_datasets_partial.jsonl").open(encoding="utf-8")):
        name = SPLIT_SUFFIX.sub("", row["name"]).strip()
        if "," in name:
            continue
        m = PAREN.match(name)
        forms = [m["long"], m["short"]] if m else [name]
        yield "DATASET", forms[0], forms, "pwc"
    for row in map(json.loads, (gaz / "pwc_metrics_partial.jsonl").open(encoding="utf-8")):
        name = row["name"]
        if re.search(r"\d+\s*(%|sec|fold|steps)|\(|\bon\b|\bGroup\b", name) or len(row.get("tasks", [])) < 2:
            continue
        yield "METRIC", name, [name], "pwc"
    for fname in ("nlp_tdms_kb.jsonl", "nlp_progress.jsonl"):
        for row in map(json.loads, (gaz / fname).open(encoding="utf-8")):
            name = row["name"]
            if "(" in name or " on " in name or " / " in name:
                continue
            yield row["type"], name, [name], "nlp-progress"


ENGLISH_WORD = re.compile(r"[A-Z]?[a-z]+(?:-[A-Za-z][a-z]+)*|[a-z]+")
#: last words that end too many list names that are no task in running text
NOT_TASK_HEADS = frozenset({"learning", "model", "models", "systems", "images", "games", "text", "data",
                            "rate"})  # "task success rate" says more than the list's "Success Rate"


#: per type: how many multiword names of the lists must end in a word to make it a head
MIN_HEAD = {"TASK": 10, "METRIC": 4}


def list_heads(rows) -> dict[str, frozenset[str]]:
    """Per type (TASK, METRIC), the plain-English last words shared by at least `MIN_HEAD`
    multiword names of the PwC lists ("... Detection", "... Tracking"; "... Rate", "... Error"):
    the words that make a phrase such a name."""
    counts: dict[tuple[str, str], int] = {}
    for label, _canonical, forms, origin in rows:
        if label in MIN_HEAD and origin == "pwc":
            for form in forms:
                words = form.split()
                if len(words) >= 2 and ENGLISH_WORD.fullmatch(words[-1]) and len(words[-1]) >= 4:
                    key = (label, words[-1].lower())
                    counts[key] = counts.get(key, 0) + 1
    return {label: frozenset(w for (lab, w), n in counts.items()
                             if lab == label and n >= MIN_HEAD[label] and w not in NOT_TASK_HEADS)
            for label in MIN_HEAD}


def english_name(form: str, heads: frozenset[str]) -> bool:
    """A Title Case task or metric name of plain English words ending in one of its type's heads
    ("Object Tracking", "Success Rate"): papers write it in lower case, so it matches in any case."""
    words = form.split()
    return len(words) >= 2 and words[-1].lower() in heads and all(ENGLISH_WORD.fullmatch(w) for w in words)


def main(gaz_dir: str) -> None:
    gaz = Path(gaz_dir)
    seen: dict[tuple[str, str], str] = {}
    out = []
    sources = [entries_from_core(HERE / "core" / f"{stem}.txt", label) for stem, label in LABELS.items()]
    listed = list(entries_from_gazetteers(gaz))
    heads = list_heads(listed)
    sources.append(listed)
    for source in sources:
        for label, canonical, forms, origin in source:
            forms = [f for f in dict.fromkeys(forms) if origin == "core" or usable(f, label)]
            if not forms:
                continue
            canon = canonical if canonical in forms else forms[0]
            for form in forms:
                exact = has_inner_caps_or_digit(form) and not (origin == "core" and form.islower())
                if origin != "core" and label != "METHOD" and any(c.isupper() for c in form[1:]):
                    # Title Case dataset/task names from the lists ("Among Them", "Time Series")
                    exact = not (label in heads and english_name(form, heads[label]))
                fold = form if exact else form.lower()
                if (label, fold) in seen:
                    continue
                seen[(label, fold)] = canon
                row = {"label": label, "pattern": form, "id": canon, "exact": exact, "source": origin}
                if exact and len(form) >= 5 and form.isalnum() and zipf_frequency(form.lower(), "en") < 1.0:
                    row["fold"] = True  # "Camvid" for "CamVid": not an English word in any case
                out.append(row)
    dest = HERE / "terms.jsonl"
    with dest.open("w", encoding="utf-8") as fh:
        for row in out:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} patterns to {dest}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/gazetteers")
