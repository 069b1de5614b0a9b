"""Keyword first, then meaning (issue 28): how soon `plansearch index` answers, and whether the
index it ends with is the one a build in one go makes.

    nice python -m bench.progressive --out /tmp/prog            # corpus/ and the work reports
    nice python -m bench.progressive --out /tmp/prog --corpus seeds gwr unseen fresh --every 20
    python bench/eval_search.py --corpus all --index-root /tmp/prog/progressive --json --out p.json
    python bench/eval_search.py --corpus all --index-root /tmp/prog/one-go --json --out o.json
    python -m bench.progressive --same-scores p.json o.json

For each corpus, on an empty embedding cache (PLANSEARCH_HOME and the index under --out):
- progressive/index-<corpus>: built with a version every --every seconds, interrupted (as Ctrl-C)
  right after its second version and run again, which resumes from the cache;
- one-go/index-<corpus>: built uninterrupted (its only versions: the keyword-first one and the last),
  on an empty cache or on --one-go-cache's.
It prints, per corpus: seconds to the first version that answers, to the end, the versions
committed and what each commit cost, and whether the two final indexes hold the same items,
windows and vectors. eval_search on both roots then scores them query by query.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.judge import CORPORA  # noqa: E402


class Stop(Exception):
    pass


def build(corpus: Path, index_dir: Path, every: float, stop_after: int | None = None, **options) -> dict:
    """One build, timed: when each version went live, what its commit cost, and how far it embedded.
    `options` go to build_index (documents=, force=: bench/commit_cost.py)."""
    from plansearch.store import build_index

    t0 = time.perf_counter()
    versions: list[dict] = []
    writing: list[float] = []

    def progress(stage, done, total):
        if stage == "write" and done == 0:
            writing.append(time.perf_counter())

    def on_commit(name, meta):
        now = time.perf_counter()
        versions.append({"at_s": round(now - t0, 2), "commit_s": round(now - writing[-1], 3) if writing else None,
                         "embedded_items": meta.embedded_items, "items": meta.items, "windows": meta.windows})
        if stop_after is not None and len(versions) >= stop_after:
            raise Stop

    stopped = False
    try:
        rep = build_index([corpus], index_dir, progress=progress, every=every, on_commit=on_commit, **options)
        embedded = rep.embedded
    except Stop:
        stopped, embedded = True, None
    return {"seconds": round(time.perf_counter() - t0, 2), "versions": versions, "stopped": stopped,
            "embedded": embedded}


def contents(index_dir: Path) -> tuple:
    """Items, window spans and vectors of the live version, the way search reads them."""
    from plansearch.store import open_index

    r = open_index(index_dir)
    try:
        assert r.meta.embedded_items is None
        return (r.meta.items, np.asarray(r.window_item).tobytes(), np.asarray(r.window_span).tobytes(),
                np.asarray(r.window_vectors(np.arange(r.meta.windows))).tobytes())
    finally:
        r.close()


def same_scores(a: Path, b: Path) -> bool:
    """Whether two eval_search --json results rank and score every query alike in every mode
    (their timings and build reports aside)."""
    def ranked(path: Path) -> list:
        return [{mode: (m["summary"], m["per_query"]) for mode, m in r["modes"].items()}
                for r in json.loads(path.read_text())]
    return ranked(a) == ranked(b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--same-scores", nargs=2, type=Path, metavar=("A.json", "B.json"),
                    help="only compare two eval_search --json results, query by query")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--corpus", nargs="+", default=["seeds", "gwr"], choices=[c for c in CORPORA if c != "blind"])
    ap.add_argument("--every", type=float, default=30.0, help="seconds between versions while embedding")
    ap.add_argument("--one-go-cache", type=Path, help="start the one-go builds from <corpus>.sqlite of this folder "
                    "(an embedding cache kept from earlier runs, e.g. .cache/test-embeddings): an independent "
                    "embedding of the same text, and nothing embedded twice on a busy machine")
    args = ap.parse_args()
    if args.same_scores:
        print("same scores, query by query, in every mode:", same_scores(*args.same_scores))
        return
    if args.out is None:
        ap.error("--out is needed to build")
    os.environ["PLANSEARCH_HOME"] = str(args.out / "home")
    results = {}
    for name in args.corpus:
        corpus = CORPORA[name]
        prog = args.out / "progressive" / f"index-{name}"
        first = build(corpus, prog, args.every, stop_after=2)
        resumed = build(corpus, prog, args.every)
        one_go = args.out / "one-go" / f"index-{name}"
        kept = args.one_go_cache / f"{name}.sqlite" if args.one_go_cache else None
        if kept is not None and kept.is_file():
            from plansearch.store import CACHE_FILE, copy_cache

            one_go.mkdir(parents=True, exist_ok=True)
            copy_cache(kept, one_go / CACHE_FILE)
        whole = build(corpus, one_go, -1)
        same = contents(prog) == contents(args.out / "one-go" / f"index-{name}")
        results[name] = {"interrupted": first, "resumed": resumed, "one_go": whole, "same_final_index": same}
        v = first["versions"]
        print(f"{name}: first version after {v[0]['at_s']} s ({v[0]['embedded_items'] or 0} of {v[0]['items']} "
              f"items with vectors), all embedded after {first['seconds'] + resumed['seconds']:.1f} s "
              f"(interrupted, resumed); progressive: "
              f"{len(first['versions']) + len(resumed['versions'])} versions, commits "
              f"{[x['commit_s'] for x in first['versions'] + resumed['versions']]} s; "
              f"final index same as one go: {same}", flush=True)
    (args.out / "progressive.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
