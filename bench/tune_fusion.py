"""Choose how dense and keyword scores combine, and fit what the shown score means, on the tuning
sets only (seeds + gwr; the held-out sets "unseen" and "fresh" are never read here).

    .venv/bin/python bench/tune_fusion.py            # needs bench/out/index-{seeds,gwr} (eval_search.py builds them)
    .venv/bin/python bench/tune_fusion.py --signals  # + the other signals tried (synonyms, sparse, PRF, windows)

For every query it scores every item once, exactly (each window's cosine, BM25 of each item, the
query's words each item holds; bench/signals.py, model output cached), then ranks with each
candidate fusion offline, so a grid costs no model call. It prints

1. the grid of "adaptive" fusions (dense weight w_all when some item holds the whole query,
   w_none when none holds any of it, coverage ** power between), best first by the mean of
   R@10 + MRR@10 over both sets, beside one global weight; written to bench/fusion-grid.txt. The
   chosen row becomes search.ADAPTIVE_WEIGHTS / ADAPTIVE_POWER;
2. the relevance model behind the shown score (search.RELEVANCE): a logistic regression on the top
   20 hits of the default ranking, pooled over both sets, with its fit checked across them (fit on
   one, log loss / Brier / calibration error on the other);
3. with --signals, the other signals tried, each at its best setting on the tuning sets.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.judge import score_query  # noqa: E402
from bench.signals import QueryFeatures, load_features, scaled_dense, scaled_keyword, top  # noqa: E402

K = 10
TUNING_SETS = ("seeds", "gwr")  # as bench/eval_search.py; "unseen" and "fresh" are held out
CAL_DEPTH = 20  # hits per query the relevance model is fitted on (search -k up to 20 is common)


def adaptive_scores(f: QueryFeatures, w_all: float, w_none: float, power: float,
                    dense: np.ndarray | None = None, keyword: np.ndarray | None = None) -> np.ndarray:
    """search.fuse("adaptive") over every item."""
    w = w_none + (w_all - w_none) * f.query_coverage ** power
    return (w * scaled_dense(f.best if dense is None else dense)
            + (1 - w) * scaled_keyword(f.bm25 if keyword is None else keyword))


def default_scores(f: QueryFeatures) -> np.ndarray:
    from plansearch.search import ADAPTIVE_POWER, ADAPTIVE_WEIGHTS

    return adaptive_scores(f, *ADAPTIVE_WEIGHTS, ADAPTIVE_POWER)


def evaluate(feats: list[QueryFeatures], rank, item_ids: list[str]) -> dict[str, tuple[float, float]]:
    """R@10 / MRR@10 of a ranking function (features -> a score per item), overall and by kind."""
    rows = []
    for f in feats:
        ranked = [item_ids[i] for i in top(rank(f), K)]
        rows.append((f.kind, score_query(ranked, {item_ids[i] for i in np.flatnonzero(f.label)}, K)))
    out = {}
    for kind in ("all", "exact", "paraphrase", "traditional", "compound"):
        sel = [r for kd, r in rows if kind in ("all", kd)]
        if sel:
            out[kind] = (float(np.mean([r["recall"] for r in sel])), float(np.mean([r["rr"] for r in sel])))
    return out


# --- 1. the adaptive grid ------------------------------------------------------------------------

def grid(data) -> list[tuple[float, str, dict]]:
    rows = []
    pre = {c: [(f, scaled_dense(f.best), scaled_keyword(f.bm25)) for f in feats] for c, (_, feats) in data.items()}
    for w in (0.5, 0.6, 0.7):
        res = {c: evaluate([f for f, _, _ in pre[c]], lambda f, w=w: w * scaled_dense(f.best)
                           + (1 - w) * scaled_keyword(f.bm25), sig.item_ids) for c, (sig, _) in data.items()}
        rows.append((_objective(res), f"weighted w={w}", res))
    for w_all in np.arange(0.2, 0.61, 0.05):
        for w_none in np.arange(0.6, 1.001, 0.05):
            for power in (1, 2, 4, 8):
                res = {}
                for c, (sig, _) in data.items():
                    lut = {id(f): (d, kw) for f, d, kw in pre[c]}

                    def rank(f, lut=lut):
                        d, kw = lut[id(f)]
                        w = w_none + (w_all - w_none) * f.query_coverage ** power
                        return w * d + (1 - w) * kw
                    res[c] = evaluate([f for f, _, _ in pre[c]], rank, sig.item_ids)
                rows.append((_objective(res), f"adaptive {w_all:.2f}/{w_none:.2f} p={power}", res))
    rows.sort(key=lambda r: -r[0])
    return rows


def _objective(res: dict) -> float:
    return float(np.mean([s["all"][0] + s["all"][1] for s in res.values()]))


def _row(name: str, res: dict) -> str:
    return f"{name:34s}" + "".join(f"  {res[c][kd][0]:.3f}/{res[c][kd][1]:.3f}" for c in res
                                   for kd in ("all", "exact", "paraphrase"))


def _header(data) -> str:
    return f"{'variant':34s}" + "".join(f"  {c + ' ' + kd:>11s}" for c in data for kd in ("all", "exact", "para"))


# --- 2. the relevance model ----------------------------------------------------------------------

CAL_FEATURES = ("fused", "cosine", "coverage", "holds_all", "keyword", "best_cosine", "query_coverage")


def calibration_rows(feats: list[QueryFeatures], depth: int = CAL_DEPTH) -> tuple[np.ndarray, np.ndarray]:
    """(features, relevant) of the top `depth` hits of the default ranking of every query, with
    the features search.RelevanceModel reads, computed as search.Searcher computes them."""
    X, y = [], []
    for f in feats:
        s = default_scores(f)
        kmax = float(f.bm25.max())
        for r in top(s, depth).tolist():
            X.append([s[r], f.best[r], f.cov[r], float(f.cov[r] >= 1.0), f.bm25[r] / kmax if kmax > 0 else 0.0,
                      float(f.best.max()), f.query_coverage])
            y.append(bool(f.label[r]))
    return np.array(X, np.float64), np.array(y)


def unanswered(data, corpus: str) -> list[QueryFeatures]:
    """The other tuning set's queries that have no relevant item in `corpus` (by the same judging
    rule): what a query with no answer looks like there (課后服务 against the work reports). The
    judged sets hold none, and without them every query's best hit looks likely relevant."""
    from bench.signals import features

    sig = data[corpus][0]
    out = []
    for other, (osig, _) in data.items():
        if other != corpus:
            for q in osig.queries:
                if not sig.judge(q).any():
                    out.append(features(sig, q))
    sig.save()
    return out


def fit_relevance(X: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=5000).fit(X, y)


def calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |mean predicted - observed rate| per bin of width 1/bins, weighted."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).sum()
                     for b in range(bins) if (idx == b).any()) / len(p))


def reliability(p: np.ndarray, y: np.ndarray, edges=(0, .2, .4, .6, .8, 1.0001)) -> list[tuple[str, int, float, float]]:
    """(bin, hits, mean estimate, share relevant) per bin of the estimate."""
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        m = (p >= a) & (p < b)
        if m.any():
            out.append((f"{a:.1f}-{min(b, 1):.1f}", int(m.sum()), float(p[m].mean()), float(y[m].mean())))
    return out


def describe_fit(p: np.ndarray, y: np.ndarray) -> str:
    ll = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
    return (f"log loss {ll:.3f}, Brier {np.mean((p - y) ** 2):.3f}, calibration error {calibration_error(p, y):.3f} "
            f"(hits {len(y)}, relevant {y.mean():.2f}, mean estimate {p.mean():.2f})")


# --- 3. other signals ----------------------------------------------------------------------------

def signal_variants(data) -> dict:
    """Each signal tried beside the default, at the setting that did best on the tuning sets."""
    from bench.signals import item_best

    from plansearch.synonyms import segment, synonyms

    for c, (sig, feats) in data.items():
        V, wi = np.asarray(sig.index.vectors), np.asarray(sig.index.window_item)
        for f in feats:
            # synonyms (HIT Cilin) of the query's words, as a second keyword query weighted below it
            words = [f.norm[a:b] for a, b in segment(f.norm)]
            syn = sorted({s for w in words for s in synonyms(w) if s not in f.norm})
            f.bm25_syn = np.asarray(sig.index.keyword_scores(" ".join(syn)), np.float32) if syn else 0 * f.bm25
            # dense pseudo-relevance feedback: the query moved toward its 3 best windows
            q2 = f.qv + 0.3 * V[top(f.win, 3)].mean(0)
            f.best_prf = item_best(V @ (q2 / np.linalg.norm(q2)), wi, len(f.best))
            # multi-window evidence: the item's second-best window adds to its best
            second = np.full(len(f.best), 0.0, np.float32)
            order = np.lexsort((-f.win, wi))
            firsts = np.r_[True, wi[order][1:] != wi[order][:-1]]
            runs = np.r_[np.flatnonzero(firsts), len(order)]
            for a, b in zip(runs[:-1], runs[1:]):
                if b - a > 1:
                    second[wi[order[a]]] = f.win[order[a + 1]]
            f.best_multi = f.best + 0.2 * second
            # term bridge: the corpus words nearest the query's vector, read by the keyword side
            words, W = sig.terms
            near = [words[i] for i in top(W @ f.qv, 8)]
            f.bm25_bridge = np.asarray(sig.index.keyword_scores(" ".join(near)), np.float32)
    v = {
        # the thesaurus rewrite of missing nouns (Searcher.rewrite) is part of the default: without it
        "dense, query as typed": lambda f: f.best_plain,
        "default, query as typed": lambda f: _default_with(f, dense=f.best_plain, keyword=f.bm25_plain),
        "keyword + 0.35 synonyms": lambda f: np.where(f.bm25_plain + .35 * f.bm25_syn > 0,
                                                      f.bm25_plain + .35 * f.bm25_syn, -1),
        "default, keyword + 0.2 synonyms": lambda f: _default_with(f, keyword=f.bm25 + .2 * f.bm25_syn),
        "dense PRF (3 windows, 0.3)": lambda f: f.best_prf,
        "default, dense PRF": lambda f: _default_with(f, dense=f.best_prf),
        "default, best + 0.2 second window": lambda f: _default_with(f, dense=f.best_multi),
        "default + 0.2 term bridge (8 nearest words)": lambda f: default_scores(f) + 0.2 * scaled_keyword(f.bm25_bridge),
    }
    if all(f.sparse is not None for _, feats in data.values() for f in feats):
        v["sparse (latent terms)"] = lambda f: f.sparse
        v["default + 0.1 sparse"] = lambda f: 0.9 * default_scores(f) + 0.1 * scaled_dense(f.sparse)
        v["dense + 0.2 sparse"] = lambda f: 0.8 * scaled_dense(f.best) + 0.2 * scaled_dense(f.sparse)
    return v


def _default_with(f: QueryFeatures, dense=None, keyword=None) -> np.ndarray:
    from plansearch.search import ADAPTIVE_POWER, ADAPTIVE_WEIGHTS

    return adaptive_scores(f, *ADAPTIVE_WEIGHTS, ADAPTIVE_POWER, dense=dense, keyword=keyword)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signals", action="store_true", help="also score the other signals tried")
    ap.add_argument("--sparse", action="store_true", help="with --signals: the sparse head too (slow the "
                                                          "first time: one encoder pass per item)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "fusion-grid.txt")
    args = ap.parse_args(argv)
    from plansearch.search import ADAPTIVE_POWER, ADAPTIVE_WEIGHTS

    data = {c: load_features(c, with_sparse=args.sparse) for c in TUNING_SETS}
    print(f"tuning sets: {', '.join(TUNING_SETS)} (the held-out sets 'unseen' and 'fresh' are not read)\n")
    rows = grid(data)
    lines = [f"R@10/MRR@10 on the tuning sets ({', '.join(TUNING_SETS)}), best first by mean R@10 + MRR@10",
             _header(data)]
    chosen = f"adaptive {ADAPTIVE_WEIGHTS[0]:.2f}/{ADAPTIVE_WEIGHTS[1]:.2f} p={ADAPTIVE_POWER}"
    for obj, name, res in rows[:20] + [r for r in rows[20:] if r[1].startswith("weighted") or r[1] == chosen]:
        lines.append(_row(name, res) + f"  {obj:.3f}" + ("  <- search.py" if name == chosen else ""))
    singles = {c: {"dense": evaluate(feats, lambda f: f.best, sig.item_ids),
                   "keyword": evaluate(feats, lambda f: np.where(f.bm25_plain > 0, f.bm25_plain, -1), sig.item_ids)}
               for c, (sig, feats) in data.items()}
    for name in ("dense", "keyword"):
        lines.append(_row(name, {c: singles[c][name] for c in data}))
    text = "\n".join(lines)
    print(text)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"\n(written to {args.out})")

    print(f"\nrelevance model (search.RELEVANCE), fitted on the top {CAL_DEPTH} hits of the default ranking:")
    cal = {c: calibration_rows(feats + unanswered(data, c)) for c, (_, feats) in data.items()}
    for a, b in (("seeds", "gwr"), ("gwr", "seeds")):
        m = fit_relevance(*cal[a])
        print(f"  fit on {a}, checked on {b}: {describe_fit(m.predict_proba(cal[b][0])[:, 1], cal[b][1])}")
    X = np.vstack([cal[c][0] for c in data])
    y = np.concatenate([cal[c][1] for c in data])
    m = fit_relevance(X, y)
    print(f"  fit on both, in sample: {describe_fit(m.predict_proba(X)[:, 1], y)}")
    coef = dict(zip(CAL_FEATURES, m.coef_[0].tolist()))
    print("RELEVANCE = RelevanceModel(intercept=%.3f, %s)" % (
        m.intercept_[0], ", ".join(f"{k}={v:.3f}" for k, v in coef.items())))

    if args.signals:
        print("\nother signals (offline, each at its best setting on the tuning sets):")
        print(_header(data))
        print(_row("default (adaptive)", {c: evaluate(feats, default_scores, sig.item_ids)
                                          for c, (sig, feats) in data.items()}))
        for name, fn in signal_variants(data).items():
            print(_row(name, {c: evaluate(feats, fn, sig.item_ids) for c, (sig, feats) in data.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
