"""Would skipping boilerplate windows lose judged recall? (issue 28, part 3)

    nice python -m bench.boilerplate_skip --index-root /tmp/prog_bench2/one-go --share 0.5 0.1

A boilerplate window is one whose normalised text (the embedding cache's key) stands in at least
--share of the corpus's documents. For each judged set (seeds, gwr, blind, unseen, fresh) its
built index is opened and searched twice in the default mode: as built, and with the boilerplate
windows taken out of the meaning side (as if never embedded; the keyword side is untouched). It
prints the windows skipped and R@10 / MRR@10 / misses both ways. --share 0 skips every window: what
the first version of a build on an empty cache (words only) scores.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.eval_search import INDEX_OF, default_mode, run_queries  # noqa: E402
from bench.judge import CORPORA, QUERY_SETS, item_norm, judgements, load_documents, load_queries, summarise  # noqa: E402


def boilerplate(index, share: float) -> np.ndarray:
    """Mask of the windows whose text stands in at least `share` of the documents."""
    from plansearch.normalise import normalise
    from plansearch.store import text_key

    items = index.items(range(index.meta.items))
    owners = np.asarray(index.window_item)
    spans = np.asarray(index.window_span)
    keys = [text_key(normalise(items[i].text[a:b]) or items[i].norm or ".") for i, (a, b) in zip(owners.tolist(),
                                                                                                  spans.tolist())]
    doc_of = np.asarray(index.item_doc)[owners]
    docs_of: dict[bytes, set[int]] = {}
    for k, d in zip(keys, doc_of.tolist()):
        docs_of.setdefault(k, set()).add(d)
    floor = max(2.0, share * len(index.documents))  # a window of one document is no boilerplate
    return np.array([len(docs_of[k]) >= floor for k in keys], bool)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index-root", type=Path, required=True)
    ap.add_argument("--corpus", nargs="+", default=["seeds", "gwr", "blind", "unseen", "fresh"])
    ap.add_argument("--share", nargs="+", type=float, default=[0.5, 0.1, 0.0])
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    from plansearch.search import Searcher
    from plansearch.store import StoredIndex
    from plansearch.vectors import RowVectors

    mode = default_mode()
    print("| set | share | windows | skipped | R@10 as built → skipped | MRR@10 | misses |")
    print("|---|---|---|---|---|---|---|")
    for corpus in args.corpus:
        queries = load_queries(QUERY_SETS[corpus])
        docs = load_documents(CORPORA[corpus])
        judged = judgements(queries, docs)
        ix = args.index_root / f"index-{INDEX_OF.get(corpus, corpus)}"
        full = summarise(run_queries(Searcher(ix), queries, judged, mode, args.k))
        for share in args.share:
            index = StoredIndex(ix)
            # share 0: every window skipped, the first version of an empty cache (words only)
            skip = boilerplate(index, share) if share > 0 else np.ones(index.meta.windows, bool)
            keep = np.flatnonzero(~skip)
            # the meaning side without them: as if they had never been embedded
            index.vectors = RowVectors(index.vectors.base, np.asarray(index.vectors.rows)[keep], index.vectors.source)
            index.window_item = np.asarray(index.window_item)[keep]
            index.window_span = np.asarray(index.window_span)[keep]
            index.meta.windows = len(keep)
            index.meta.vector_kind = "flat"
            index._vindex = None
            cut = summarise(run_queries(Searcher(index), queries, judged, mode, args.k))
            a, b = full["all"], cut["all"]
            print(f"| {corpus} | {share:.0%} | {len(skip):,} | {int(skip.sum()):,} | "
                  f"{a['recall']:.3f} → {b['recall']:.3f} | {a['mrr']:.3f} → {b['mrr']:.3f} | "
                  f"{a['misses']} → {b['misses']} |", flush=True)


if __name__ == "__main__":
    main()
