"""Fit the term bridge (bridge.BRIDGE_WORDS, BRIDGE_WEIGHT, ONLY_UNHELD) on the tuning sets, then report
every set by kind without the bridge and with the chosen setting.

    nice .venv/bin/python bench/tune_bridge.py --index-root /tmp/hd2

The indexes must hold the term bridge's words (built by this version: bench/eval_search.py builds
them under bench/out). The setting is chosen by mean R@10 + MRR@10 (hybrid, k=10) over the tuning
sets (bench/eval_search.TUNING_SETS) alone; the held-out sets are scored once, after the choice.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_search import INDEX_OF, OUT, REPORTING_SETS, TUNING_SETS  # noqa: E402
from bench.judge import CORPORA, QUERY_SETS, judgements, load_documents, load_queries, score_query, summarise, summary_line  # noqa: E402

WORDS = (0, 4, 8, 12)
WEIGHTS = (0.1, 0.2, 0.3)  # (a floor on the words' cosine, .90 or .92, changed nothing: e5 puts a
# query and its nearest words at .88-.97)
SCOPES = (True, False)  # ONLY_UNHELD: bridge only a query no item holds whole, or every query


class Judged:
    """One corpus's queries, judgements and searcher, opened once for many settings."""

    def __init__(self, corpus: str, index_root: Path):
        from plansearch.search import Searcher

        self.corpus = corpus
        self.queries = load_queries(QUERY_SETS[corpus])
        self.judged = judgements(self.queries, load_documents(CORPORA[corpus]))
        self.searcher = Searcher(index_root / f"index-{INDEX_OF.get(corpus, corpus)}")

    def score(self, words: int, weight: float, only_unheld: bool, mode: str = "hybrid") -> dict:
        from plansearch import bridge

        bridge.BRIDGE_WORDS, bridge.BRIDGE_WEIGHT, bridge.ONLY_UNHELD = words, weight, only_unheld
        self.searcher._bridges.clear()
        rows = []
        for q in self.queries:
            ranked = [h.item.item_id for h in self.searcher.search(q.query, k=10, mode=mode)]
            rows.append({"id": q.id, "kind": q.kind, **score_query(ranked, self.judged[q.id], 10)})
        return summarise(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-root", type=Path, default=OUT)
    args = ap.parse_args()
    tuning = [Judged(c, args.index_root) for c in TUNING_SETS]
    fit: dict[tuple, float] = {}
    grid = [(0, 0.0, True)] + [(n, f, s) for n, f, s in itertools.product(WORDS, WEIGHTS, SCOPES) if n]
    for setting in grid:
        total = 0.0
        for j in tuning:
            s = j.score(*setting)
            print(summary_line(j.corpus, str(setting), s), flush=True)
            total += s["all"]["recall"] + s["all"]["mrr"]
        fit[setting] = total / len(tuning)
    # ties: fewer words, a lower weight, the narrower scope (less read for the same result)
    best = max(grid, key=lambda g: (round(fit[g], 4), -g[0], -g[1], g[2]))
    print(f"\nchosen on {', '.join(TUNING_SETS)}: words={best[0]} weight={best[1]} only_unheld={best[2]} "
          f"(mean R@10+MRR@10 {fit[best]:.4f}; without the bridge {fit[(0, 0.0, True)]:.4f})\n", flush=True)
    for c in TUNING_SETS + REPORTING_SETS:
        j = next((t for t in tuning if t.corpus == c), None) or Judged(c, args.index_root)
        print(summary_line(c, "keyword (BM25 alone)", j.score(0, 0.0, True, mode="keyword")), flush=True)
        for setting in ((0, 0.0, True), best):
            print(summary_line(c, str(setting), j.score(*setting)), flush=True)


if __name__ == "__main__":
    main()
