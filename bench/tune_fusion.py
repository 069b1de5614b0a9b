"""Choose how dense and keyword scores combine, by measurement on both judged query sets.

    .venv/bin/python bench/tune_fusion.py            # needs bench/out/index-{seeds,gwr} (eval_search.py builds them)

For every query it scores every item once, exactly (each window's cosine, BM25 of each item),
then ranks with each candidate fusion offline, so a grid of variants costs one embedding per
query. Prints R@10 / MRR@10 per corpus and variant, and the variants that are at least as good
as the best single method on both corpora. The chosen one becomes `search.DEFAULT_FUSION` /
`search.DENSE_WEIGHT`; eval_search.py then confirms it through the real search path.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.judge import QUERY_SETS, judgements, load_queries, score_query  # noqa: E402

OUT = REPO / "bench" / "out"
K = 10
CAND = 100  # as search.CANDIDATES


def item_scores(searcher, query: str):
    """(best-window cosine, mean-window cosine, BM25) for every item."""
    from plansearch.normalise import normalise

    ix = searcher.index
    q = normalise(query)
    qv = searcher.query_vector(q)
    win = np.asarray(ix.vectors) @ qv
    n_items = len(ix.item_doc)
    best = np.full(n_items, -1.0, np.float32)
    np.maximum.at(best, ix.window_item, win)
    total = np.bincount(ix.window_item, weights=win, minlength=n_items)
    mean = total / np.maximum(np.bincount(ix.window_item, minlength=n_items), 1)
    return best, mean.astype(np.float32), ix.bm25.scores(q), len(q)


def top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    return idx[np.argsort(-scores[idx], kind="stable")]


def scaled(dense: np.ndarray, kw: np.ndarray):
    """The search module's Scale: dense min-max over its top CAND, keyword / max; candidates only."""
    d_top, k_top = top(dense, CAND), top(kw, CAND)
    k_top = k_top[kw[k_top] > 0]
    lo, hi = dense[d_top[-1]], dense[d_top[0]]
    ds = np.zeros_like(dense)
    ds[d_top] = np.clip((dense[d_top] - lo) / (hi - lo), 0, 1) if hi > lo else 1.0
    ks = np.zeros_like(kw)
    if len(k_top):
        ks[k_top] = kw[k_top] / kw[k_top[0]]
    return ds, ks, d_top, k_top


def variants(best, mean, kw, qlen):
    out = {"dense(best window)": best, "keyword": np.where(kw > 0, kw, -1)}
    for lam in (0.1, 0.25):
        out[f"dense(best+{lam}·mean)"] = best + lam * mean
    ds, ks, d_top, k_top = scaled(best, kw)
    rrf = np.zeros_like(best)
    for ranks in (d_top, k_top):
        rrf[ranks] += 1.0 / (60 + np.arange(1, len(ranks) + 1))
    out["rrf"] = rrf
    for w in (0.5, 0.6, 0.7, 0.8, 0.9):
        out[f"weighted w={w}"] = w * ds + (1 - w) * ks
    out["tiebreak 0.05"] = ds + 0.05 * ks
    # A gate on query length: short queries are policy terms (keyword shines), long ones paraphrases.
    for w_short, w_long in ((0.6, 0.9), (0.7, 0.9), (0.5, 0.8)):
        w = w_short if qlen <= 6 else w_long
        out[f"gated w={w_short}/{w_long} (<=6 chars)"] = w * ds + (1 - w) * ks
    return out


def main() -> None:
    from plansearch.search import Searcher

    from bench.judge import load_documents, CORPORA

    table: dict[str, dict[str, tuple[float, float]]] = {}
    for corpus in ("seeds", "gwr"):
        index_dir = OUT / f"index-{corpus}"
        if not (index_dir / "CURRENT").exists():
            sys.exit(f"{index_dir} missing: run bench/eval_search.py --corpus {corpus} first")
        s = Searcher(index_dir)
        queries = load_queries(QUERY_SETS[corpus])
        rel = judgements(queries, load_documents(CORPORA[corpus]))
        ids = [it.item_id for it in s.index.items(range(len(s.index.item_doc)))]
        per: dict[str, list[dict]] = {}
        for q in queries:
            for name, sc in variants(*item_scores(s, q.query)).items():
                ranked = [ids[i] for i in top(sc, K)]
                per.setdefault(name, []).append(score_query(ranked, rel[q.id], K))
        table[corpus] = {n: (float(np.mean([r["recall"] for r in v])), float(np.mean([r["rr"] for r in v])))
                         for n, v in per.items()}
    names = list(table["seeds"])
    print(f"{'variant':40s} {'seeds R@10':>10s} {'MRR':>6s} {'gwr R@10':>10s} {'MRR':>6s}")
    for n in names:
        (sr, sm), (gr, gm) = table["seeds"][n], table["gwr"][n]
        print(f"{n:40s} {sr:10.3f} {sm:6.3f} {gr:10.3f} {gm:6.3f}")
    singles = ("dense(best window)", "keyword")
    floor = {c: (max(table[c][s][0] for s in singles), max(table[c][s][1] for s in singles)) for c in table}
    ok = [n for n in names if all(table[c][n][0] >= floor[c][0] - 1e-9 and table[c][n][1] >= floor[c][1] - 1e-9
                                  for c in table)]
    print("\nat least as good as the best single method on both corpora (R@10 and MRR):", ", ".join(ok) or "none")


if __name__ == "__main__":
    main()
