"""Lineage on real text: the work reports' items carried from year to year, and the 2025 national and
provincial reports (same period: not ordered by their year alone).

    python bench/lineage_real.py --index gwr-index        # an index of ../shared/corpora/gwr

Prints Markdown for bench/RESULTS.md: per national report, how many of its items have a parent
(an earlier copy) and in which year; the chains' lengths; the longest chains as examples; the
edges between the national report and the provinces in 2025, and among the provinces (ordered by
the days their reports state).
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from plansearch.lineage import corpus_lineage, diffusion_graph, document_lineage
from plansearch.store import open_index


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default="gwr-index")
    args = ap.parse_args(argv)
    ix = open_index(args.index)
    t0 = time.perf_counter()
    lin = corpus_lineage(ix)
    whole = time.perf_counter() - t0
    docs = {d.doc_id: d for d in ix.documents}
    national = sorted(d for d in docs if d.startswith("national_"))
    print(f"Index: {args.index} ({len(docs)} documents, {len(ix.item_doc):,} items); corpus_lineage "
          f"{whole:.1f} s (table cached: {'yes' if whole < 5 else 'built in this run'}).\n")
    print("| report | items | with an earlier copy | parent's year (items) | boilerplate |")
    print("|---|---|---|---|---|")
    chains: list[list[str]] = []
    for doc_id in national:
        items = [i for i in lin.parent if i.startswith(doc_id + ":")]
        with_parent = [i for i in items if lin.parent[i]]
        years = Counter(docs[lin.parent[i].rpartition(":")[0]].year for i in with_parent)
        boiler = sum(1 for i in items if i in lin.boilerplate)
        print(f"| {doc_id} | {len(items)} | {len(with_parent)} | "
              f"{', '.join(f'{y} ({n})' for y, n in sorted(years.items(), reverse=True))} | {boiler} |")
        for i in with_parent:  # each carried item's chain back through the years
            chain, p = [i], lin.parent[i]
            while p is not None and len(chain) < 20:
                chain.append(p)
                p = lin.parent.get(p)
            chains.append(chain)
    # a chain is counted once, from its latest item (an item that is nobody's parent)
    parents = {p for p in lin.parent.values() if p}
    tips = [c for c in chains if c[0] not in parents]
    lengths = Counter(len(c) for c in tips)
    print(f"\nChains of carried items (counted from their latest copy): {len(tips)}; documents per chain "
          f"{', '.join(f'{k}: {v}' for k, v in sorted(lengths.items()))}; median {statistics.median(map(len, tips)) if tips else 0}.\n")
    for c in sorted(tips, key=len, reverse=True)[:3]:
        path = " ← ".join(f"{i.rpartition(':')[0].removeprefix('national_gwr_')}" for i in c)
        first = ix.items([_row(ix, c[0])])[0].text[:60]
        print(f"- {path}: “{first}…”")
    graph = diffusion_graph(ix, by="issuer", lineage=lin)
    print("\nEdges between issuers (国务院 = the national reports; the provinces are all 2025 and state their days; the 2025 national report of this corpus states none):\n")
    print("| from | to | items | same period | median lag |")
    print("|---|---|---|---|---|")
    for e in graph.edges:
        if e.is_self:
            continue
        print(f"| {e.source} | {e.target} | {e.items} | {'yes' if e.same_period else ''} | "
              f"{'' if e.median_lag is None else f'{e.median_lag:g}'} |")
    t1 = time.perf_counter()
    document_lineage(ix, "national_gwr_2024")
    print(f"\nOne document's lineage (national_gwr_2024, warm): {time.perf_counter() - t1:.2f} s.")
    ix.close()


def _row(ix, item_id: str) -> int:
    import numpy as np

    doc_id, _c, k = item_id.rpartition(":")
    d = [x.doc_id for x in ix.documents].index(doc_id)
    return int(np.searchsorted(np.asarray(ix.item_doc), d, "left")) + int(k)


if __name__ == "__main__":
    main()
