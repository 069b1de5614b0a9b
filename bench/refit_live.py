"""Refit "adaptive" fusion and the relevance model behind the shown score through the live Searcher
(issue #29, item 3): the term bridge and the heading evidence act after the fusion, so the offline
grid of bench/tune_fusion.py (which ranks from exact per-item signals) does not see them.

    nice .venv/bin/python bench/refit_live.py --index-root /work/evalroot

1. Fusion: a grid of search.ADAPTIVE_WEIGHTS x ADAPTIVE_POWER around today's, each scored by mean
   R@10 + MRR@10 of hybrid search over the tuning sets (bench/eval_search.TUNING_SETS) only.
2. The relevance model: a logistic regression on what Searcher hands RelevanceModel.probability for
   the top 20 hits of every tuning query at the chosen fusion, plus the other tuning set's queries
   that have no relevant item in a corpus (what a query with no answer looks like there), as
   bench/tune_fusion.py fits it. Checked across the two sets (fit on one, scored on the other).
3. Held out: the held-out sets' calibration error and R@10 by kind, with today's model and the
   refitted one (scored once, after both choices).
Prints the lines to paste into search.py.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_search import INDEX_OF, REPORTING_SETS, TUNING_SETS, evaluate_corpus, score_reliability  # noqa: E402
from bench.judge import CORPORA, QUERY_SETS, judgements, load_documents, load_queries, summary_line  # noqa: E402
from bench.tune_fusion import describe_fit, fit_relevance  # noqa: E402

W_ALL = (0.25, 0.35, 0.45)
W_NONE = (0.75, 0.85, 0.95)
POWERS = (4,)  # the offline grid (bench/tune_fusion.py) found 4 best; the live one checks the weights
DEPTH = 20
FEATURES = ("fused", "cosine", "coverage", "holds_all", "keyword", "best_cosine", "query_coverage")


def hybrid(corpus: str, root: Path) -> dict:
    return evaluate_corpus(corpus, ["hybrid"], 10, None, root, quiet=True)["modes"]["hybrid"]


class Recorder:
    """Stands in for search.RELEVANCE: answers as the model does and keeps what each hit handed it."""

    def __init__(self, model):
        self.model, self.rows = model, []

    def probability(self, **kw) -> float:
        self.rows.append([kw["fused"], kw["cosine"] or 0.0, kw["coverage"], float(kw["coverage"] >= 1.0),
                          kw["keyword"], kw["best_cosine"], kw["query_coverage"]])
        return self.model.probability(**kw)


def hit_features(corpus: str, queries, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """(features, relevant) of the top DEPTH hybrid hits of `queries` on `corpus`'s index."""
    import plansearch.search as search

    docs = load_documents(CORPORA[corpus])
    judged = judgements(queries, docs)
    searcher = search.Searcher(root / f"index-{INDEX_OF.get(corpus, corpus)}")
    rec = Recorder(search.RELEVANCE)
    search.RELEVANCE = rec
    X, y = [], []
    try:
        for q in queries:
            rec.rows.clear()
            hits = searcher.search(q.query, k=DEPTH)
            X.extend(rec.rows[:len(hits)])
            y.extend(h.item.item_id in judged[q.id] for h in hits)
    finally:
        search.RELEVANCE = rec.model
        searcher.close()
    return np.array(X, np.float64), np.array(y)


def calibration_data(corpus: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """The corpus's own queries, and the other tuning sets' queries no item of it answers."""
    own = load_queries(QUERY_SETS[corpus])
    docs = load_documents(CORPORA[corpus])
    foreign = []
    for other in TUNING_SETS:
        if other != corpus:
            qs = load_queries(QUERY_SETS[other])
            none = judgements(qs, docs)
            foreign += [q for q in qs if not none[q.id]]
    X1, y1 = hit_features(corpus, own, root)
    X2, y2 = hit_features(corpus, foreign, root) if foreign else (np.zeros((0, len(FEATURES))), np.zeros(0, bool))
    return np.vstack([X1, X2]), np.concatenate([y1, y2])


def model_line(m) -> str:
    c = dict(zip(FEATURES, m.coef_[0].round(3).tolist()))
    return ("RELEVANCE = RelevanceModel(intercept={:.3f}, ".format(float(m.intercept_[0]))
            + ", ".join(f"{k}={v}" for k, v in c.items()) + ")")


def main() -> None:
    import plansearch.search as search

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-root", type=Path, required=True)
    ap.add_argument("--skip-grid", action="store_true", help="keep today's fusion; refit the model only")
    args = ap.parse_args()
    today = (search.ADAPTIVE_WEIGHTS, search.ADAPTIVE_POWER)
    print(f"today: ADAPTIVE_WEIGHTS={today[0]} ADAPTIVE_POWER={today[1]}", flush=True)

    # 1. fusion, tuning sets only
    chosen = today
    if not args.skip_grid:
        fit: dict = {}
        for w_all, w_none, power in itertools.product(W_ALL, W_NONE, POWERS):
            search.ADAPTIVE_WEIGHTS, search.ADAPTIVE_POWER = (w_all, w_none), power
            total = 0.0
            for c in TUNING_SETS:
                s = hybrid(c, args.index_root)["summary"]
                total += s["all"]["recall"] + s["all"]["mrr"]
                print(summary_line(c, f"{w_all}/{w_none}^{power}", s), flush=True)
            fit[((w_all, w_none), power)] = total / len(TUNING_SETS)
        # ties: today's setting, then the nearest to it
        chosen = max(fit, key=lambda k: (round(fit[k], 4), k == today))
        print(f"\nfusion chosen on {', '.join(TUNING_SETS)}: ADAPTIVE_WEIGHTS={chosen[0]} ADAPTIVE_POWER={chosen[1]} "
              f"(mean R@10+MRR@10 {fit[chosen]:.4f}; today's {fit.get(today, float('nan')):.4f})\n", flush=True)
    search.ADAPTIVE_WEIGHTS, search.ADAPTIVE_POWER = chosen

    # 2. the relevance model, tuning sets only
    data = {c: calibration_data(c, args.index_root) for c in TUNING_SETS}
    X = np.vstack([d[0] for d in data.values()])
    y = np.concatenate([d[1] for d in data.values()])
    old = np.array([search.RELEVANCE.probability(fused=r[0], cosine=r[1], coverage=r[2], keyword=r[4],
                                                 best_cosine=r[5], query_coverage=r[6]) for r in X])
    print(f"today's model on the tuning hits: {describe_fit(old, y)}")
    model = fit_relevance(X, y)
    print(f"refitted, on the same hits:       {describe_fit(model.predict_proba(X)[:, 1], y)}")
    for a, b in itertools.permutations(TUNING_SETS, 2):
        m = fit_relevance(*data[a])
        p = m.predict_proba(data[b][0])[:, 1]
        print(f"  fit on {a}, scored on {b}: {describe_fit(p, data[b][1])}")
    print(model_line(model), flush=True)

    # 3. held out, reported once
    from plansearch.search import RelevanceModel

    refit = RelevanceModel(float(model.intercept_[0]), *map(float, model.coef_[0]))
    for label, rel in (("today's model", search.RELEVANCE), ("refitted model", refit)):
        search.RELEVANCE = rel
        for c in REPORTING_SETS:
            r = hybrid(c, args.index_root)
            cal = score_reliability(r["per_query"])
            print(summary_line(c, label, r["summary"]) + f"  calibration error {cal['error']:.3f}", flush=True)
            print("        " + "  ".join(f"{b} {n} hits mean {m:.2f} relevant {s:.2f}" for b, n, m, s in cal["bins"]))


if __name__ == "__main__":
    main()
