"""A build's reading stage, with the term bridge's word counting in the build's process (the peer:
how every build counted before) and in a second process (bridge.BackgroundWordCounter), in one run.

    nice python -m bench.read_stage --items 200000 --work /tmp/read-stage

The corpus is bench/gen_corpus.py's (made under --work unless it is there). Each build runs in a
process of its own, on an empty index, with bench/commit_cost.py's stand-in model (a text's vector
from its hash), so that the figures are the reading and writing, not the embedding. It prints per
build: seconds until reading ended, items a second while reading, seconds until the first version
answered (by words), the whole build, the build process's peak (VmHWM) and the counting process's,
and whether both builds kept the same vocabulary.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# One build, in a child process: the stand-in model, the threshold asked for, the stage times, the
# peaks. Printed as one JSON line.
BUILD = """
import json, sys, threading, time
import plansearch.bridge as bridge
import plansearch.store as store
from bench.commit_cost import HashEmbedder
from bench.run import vm_hwm_mb

docs, index_dir, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
store.get_embedder = lambda model=None: HashEmbedder()
store.resolve_model = lambda model=None: None
bridge.BACKGROUND_AFTER = after

counter_peak = [0]
real_start = bridge.BackgroundWordCounter._start
def start(self):
    real_start(self)
    child = self._child
    def watch():
        while child.poll() is None:
            counter_peak[0] = max(counter_peak[0], round(vm_hwm_mb(child.pid)))
            time.sleep(0.2)
    threading.Thread(target=watch, daemon=True).start()
bridge.BackgroundWordCounter._start = start

t0 = time.perf_counter()
marks, items = {}, [0]
def progress(stage, done, total):
    if stage == "read":
        items[0] = done
    elif stage not in marks:
        marks[stage] = time.perf_counter() - t0
first = []
store.build_index(docs, index_dir, progress=progress,
                  on_commit=lambda name, meta: first or first.append(time.perf_counter() - t0))
total = time.perf_counter() - t0
read = marks.get("write", total)
print(json.dumps({"items": items[0], "read_s": round(read, 1), "items_per_s": round(items[0] / read),
                  "first_version_s": round(first[0], 1), "total_s": round(total, 1),
                  "build_peak_mb": round(vm_hwm_mb()), "counter_peak_mb": counter_peak[0]}))
"""


def run_build(docs: Path, index_dir: Path, after: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]))
    res = subprocess.run([sys.executable, "-c", BUILD, str(docs), str(index_dir), str(after)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def words_of(index_dir: Path) -> list[str]:
    live = (index_dir / "CURRENT").read_text().strip()
    return json.loads((index_dir / live / "words.json").read_text(encoding="utf-8"))["words"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "read-stage")
    ap.add_argument("--docs", type=Path, default=None, help="a corpus already made (instead of --items)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from bench.gen_corpus import generate

    docs = args.docs or args.work / f"synth-{args.items}" / "docs"
    if not docs.is_dir():
        generate(args.items, docs.parent)
    rows = {}
    for label, after in (("in the build's process (peer)", 10 ** 12), ("in a second process", 5_000)):
        index_dir = args.work / f"index-{after}-{time.strftime('%H%M%S')}"
        rows[label] = run_build(docs, index_dir, after), index_dir
    print("| words counted | items | reading (s) | items/s | first version (s) | build (s) | "
          "build peak (MB) | counter peak (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (r, _dir) in rows.items():
        print(f"| {label} | {r['items']:,} | {r['read_s']} | {r['items_per_s']:,} | {r['first_version_s']} | "
              f"{r['total_s']} | {r['build_peak_mb']:,} | {r['counter_peak_mb'] or '-'} |")
    (peer, peer_dir), (new, new_dir) = rows.values()
    print(f"reading {peer['read_s'] / new['read_s']:.2f}x as fast; the same vocabulary: "
          f"{words_of(peer_dir) == words_of(new_dir)}")


if __name__ == "__main__":
    main()
