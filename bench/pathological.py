"""Time and peak memory of extracting one pathological paper each (issue 13, point 8).

    python bench/pathological.py             # every case
    python bench/pathological.py chain-5KB   # one case

Each case runs in its own subprocess (a fresh pipeline, so its peak memory is its own): one paper
whose abstract is the junk followed by a normal sentence, through ``extractors.extract`` on
``build_nlp()``. Printed: characters, seconds for the extraction (the pipeline build excluded),
``ru_maxrss`` of the subprocess, and whether the normal sentence's names were still found.
tests/extractors/test_pathological.py checks that each case finishes; this script shows how fast.
"""

from __future__ import annotations

import json
import subprocess
import sys

TAIL = " We fine-tune XLNet on SQuAD and reach 91.2 F1."
SENTENCE = "We train ResNet-50 on ImageNet and report 76.1% top-1 accuracy. "
#: name -> Python expression of the junk (evaluated in the subprocess)
CASES = {
    "chain-5KB": '"-".join(["BERT"] * 1_000)',
    "chain-250KB": '"-".join(["BERT"] * 50_000)',
    "open-brackets-100k": '"(" * 100_000',
    "nested-brackets-50k": '"(" * 50_000 + "BERT" + ")" * 50_000',
    "result-list-94KB": '", ".join(f"Model{i} 9{i % 10}.{i % 7} F1" for i in range(5_000))',
    "abstract-1M-chars": "(SENTENCE * 16_000)[: 1_000_000 - len('A study. ') - len(TAIL)]",
}

_CHILD = """
import json, resource, sys, time
from extractors import build_nlp, extract
from schema import Paper
TAIL, SENTENCE = {tail!r}, {sentence!r}
abstract = ({expr}) + TAIL
nlp = build_nlp()
start = time.perf_counter()
(ex,) = extract([Paper(id="p", title="A study", abstract=abstract)], nlp=nlp)
seconds = time.perf_counter() - start
names = {{e.name for e in ex.entities}}
print(json.dumps({{"chars": len(abstract), "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "tail_found": {{"XLNet", "SQuAD"}} <= names}}))
"""


def run(name: str) -> dict:
    code = _CHILD.format(tail=TAIL, sentence=SENTENCE, expr=CASES[name])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(names: list[str]) -> None:
    print(f"{'case':<22} {'chars':>10} {'seconds':>8} {'peak MB':>8}  tail found")
    for name in names or list(CASES):
        row = run(name)
        print(f"{name:<22} {row['chars']:>10,} {row['seconds']:>8.2f} {row['peak_mb']:>8.0f}  {row['tail_found']}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
