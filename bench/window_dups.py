"""How many sentence windows an index build need not embed because the same normalised window
occurs again (issue 28, part 3), and how many are boilerplate: the same window in at least
--share of the documents.

    python -m bench.window_dups corpus ../shared/corpora/gwr bench/out/synth-10000/docs

No embedding is done: the windows are the ones `plansearch index` embeds (chunk.windows_of_items),
keyed as the embedding cache keys them (store.text_key), so "saved" is exactly the embedder calls
the in-run dedup of store.embed_cached avoids on an empty cache.
"""
from __future__ import annotations

import argparse
from collections import Counter

from plansearch.chunk import windows_of_items
from plansearch.corpus import load_corpus
from plansearch.store import text_key


def count(path: str, share: float) -> dict:
    docs = load_corpus(path, errors=[])
    items = [it for d in docs for it in d.items]
    doc_of = [i for i, d in enumerate(docs) for _ in d.items]
    wins = windows_of_items(items)
    keys = [text_key(t) for t in wins.texts]
    in_docs: dict[bytes, set[int]] = {}
    for k, row in zip(keys, wins.item_rows):
        in_docs.setdefault(k, set()).add(doc_of[row])
    n, distinct = len(keys), len(set(keys))
    floor = max(2, share * len(docs))
    boiler = {k for k, ds in in_docs.items() if len(ds) >= floor}
    per = Counter(keys)
    return dict(path=path, documents=len(docs), windows=n, distinct=distinct,
                saved=n - distinct, saved_share=(n - distinct) / n if n else 0.0,
                boilerplate_distinct=len(boiler),
                boilerplate_windows=sum(per[k] for k in boiler),
                in_two_plus_docs=sum(1 for ds in in_docs.values() if len(ds) >= 2))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--share", type=float, default=0.5, help="boilerplate: in at least this share of documents")
    a = ap.parse_args(argv)
    for p in a.paths:
        r = count(p, a.share)
        print(f"{r['path']}: {r['documents']} documents, {r['windows']:,} windows, {r['distinct']:,} distinct "
              f"-> {r['saved']:,} not embedded ({r['saved_share']:.1%}); "
              f"distinct windows in 2+ documents: {r['in_two_plus_docs']:,}; "
              f"boilerplate (in >= {a.share:.0%} of documents): {r['boilerplate_distinct']} distinct, "
              f"{r['boilerplate_windows']} windows")


if __name__ == "__main__":
    main()
