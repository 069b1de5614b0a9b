"""The floor under which `search --by` shows "no match" for a group instead of its best hit
(search.RELEVANT_MIN), measured: for every judged query of a set, the best hit of every year group
(`Searcher.search_by(query, "year", per_group=1)`) with its calibrated estimate, against the
judgement of bench/judge.py. Tune on seeds + gwr, report on unseen + fresh (held out).

    .venv/bin/python bench/group_floor.py gwr=GWR-INDEX seeds=SEED-INDEX
    .venv/bin/python bench/group_floor.py unseen=UNSEEN-INDEX fresh=FRESH-INDEX

Each argument is a query set and an index of its corpus (bench/judge.py CORPORA)."""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.judge import CORPORA, QUERY_SETS, judgements, load_documents, load_queries  # noqa: E402

FLOORS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def group_best_hits(name: str, index: str) -> list[tuple[float, bool]]:
    """(estimate, relevant) of the best hit of every year group of every query of set `name`."""
    from plansearch.search import Searcher

    queries = load_queries(QUERY_SETS[name])
    relevant = judgements(queries, load_documents(CORPORA[name]))
    s = Searcher(index)
    try:
        out = []
        for q in queries:
            for g in s.search_by(q.query, "year", per_group=1):
                best = g.hits[0] if g.hits else g.below
                if best is not None:
                    out.append((best.score, best.item.item_id in relevant[q.id]))
        return out
    finally:
        s.close()


def main(argv: list[str]) -> None:
    rows = [r for arg in argv for r in group_best_hits(*arg.split("=", 1))]
    p, y = np.array([r[0] for r in rows]), np.array([r[1] for r in rows], bool)
    print(f"{len(rows)} group best hits, {int(y.sum())} relevant")
    print("| floor | shown | precision | recall | accuracy |\n|---|---|---|---|---|")
    for f in FLOORS:
        shown = p >= f
        print(f"| {f} | {int(shown.sum())} | {y[shown].mean():.3f} | {(y & shown).sum() / y.sum():.3f} | "
              f"{(shown == y).mean():.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
