"""Same-run latency of two index layouts (issue #27: "p50 no worse than today's layout, compared in
the same run"): each layout's own code searches its own index of the same corpus, in alternating
fresh processes, so both meet the same machine state.

    python bench/layout_compare.py --a old=/tmp/old:/work/bench-oldlayout/index-1000000 \
                                   --b new=.:/work/bench-3e6/index-1000000 --rounds 3

A tree is a checkout of plansearch (its src/ and bench/ are used: `git worktree add /tmp/old
d508ed8` is format 1). Each round runs A then B, the next B then A. A process opens a Searcher
(timed), then measures bench.run.warm_latencies of that tree (the same 40 queries: query
embedding, then dense / keyword / hybrid with and without the query's embedding) and its RSS.
The figures are the medians over rounds of each process's p50 and p95.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WORKER = r"""
import json, resource, sys, time
from bench.gen_corpus import load_seed_material
from bench.run import queries, warm_latencies, vm_rss_mb
from plansearch.search import Searcher
qs = queries(load_seed_material())
rss0 = vm_rss_mb()
t = time.perf_counter()
s = Searcher(sys.argv[1])
s.search(qs[0], 10, "hybrid")
opened = time.perf_counter() - t
out = warm_latencies(s, qs)
out["open_first_query_s"] = opened
out["searcher_rss_mb"] = vm_rss_mb() - rss0
print(json.dumps(out))
"""


def run_one(tree: Path, index: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}:{tree}")
    p = subprocess.run([sys.executable, "-c", WORKER, str(index)], capture_output=True, text=True, env=env,
                       cwd=str(tree), timeout=3600)
    if p.returncode != 0:
        raise SystemExit(f"{tree}: the worker failed: {p.stderr[-1500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def parse(spec: str) -> tuple[str, Path, Path]:
    label, _, rest = spec.partition("=")
    tree, _, index = rest.partition(":")
    if not (label and tree and index):
        raise SystemExit(f"{spec!r}: give LABEL=TREE:INDEX")
    return label, Path(tree).resolve(), Path(index).resolve()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True, help="LABEL=TREE:INDEX")
    ap.add_argument("--b", required=True, help="LABEL=TREE:INDEX")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None, help="also write the figures here as JSON")
    args = ap.parse_args(argv)
    sides = [parse(args.a), parse(args.b)]
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in sides}
    for r in range(args.rounds):
        for label, tree, index in (sides if r % 2 == 0 else sides[::-1]):
            runs[label].append(run_one(tree, index))
            print(f"round {r + 1} {label}: hybrid p50 {runs[label][-1]['warm_hybrid']['p50']:.1f} ms", flush=True)

    def med(label: str, *path: str) -> float:
        values = []
        for one in runs[label]:
            v = one
            for key in path:
                v = v[key]
            values.append(v)
        return statistics.median(values)

    rows = [("query embedding", ("query_embed_ms",)), ("dense, with embedding", ("warm_dense",)),
            ("keyword", ("warm_keyword",)), ("hybrid, with embedding", ("warm_hybrid",)),
            ("hybrid, search only", ("warm_hybrid_search",))]
    labels = [label for label, _, _ in sides]
    print(f"\n| ms (median of {args.rounds} rounds) | " + " | ".join(f"{x} p50 / p95" for x in labels) + " |")
    print("|---|" + "---|" * len(labels))
    figures: dict = {label: {} for label in labels}
    for name, path in rows:
        cells = []
        for label in labels:
            p50, p95 = med(label, *path, "p50"), med(label, *path, "p95")
            figures[label][name] = {"p50": p50, "p95": p95}
            cells.append(f"{p50:.1f} / {p95:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    for name, key, unit in (("open + first hybrid query", "open_first_query_s", "s"),
                            ("Searcher RSS", "searcher_rss_mb", "MB")):
        cells = []
        for label in labels:
            figures[label][key] = med(label, key)
            cells.append(f"{figures[label][key]:.2f} {unit}" if unit == "s" else f"{figures[label][key]:,.0f} {unit}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.out:
        Path(args.out).write_text(json.dumps({"rounds": args.rounds, "sides": [str(s) for s in sides],
                                              "figures": figures, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
