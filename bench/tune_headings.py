"""Fit search.HEADING_WEIGHT (headings as a second field, issue #29) on the tuning sets, then report
every set by kind at weight 0 (today's ranking) and at the chosen weight.

    nice .venv/bin/python bench/tune_headings.py --index-root /tmp/headings-ix

The weight is chosen by mean R@10 + MRR@10 over the tuning sets (bench/eval_search.TUNING_SETS)
alone; the held-out sets are only reported on.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_search import OUT, REPORTING_SETS, TUNING_SETS, evaluate_corpus  # noqa: E402
from bench.judge import summary_line  # noqa: E402

WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45)


def run(corpus: str, weight: float, index_root: Path, mode: str) -> dict:
    import plansearch.search as search

    search.HEADING_WEIGHT = weight
    return evaluate_corpus(corpus, [mode], 10, None, index_root, quiet=True)["modes"][mode]["summary"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-root", type=Path, default=OUT)
    ap.add_argument("--mode", default="hybrid")
    ap.add_argument("--judge-headings", action="store_true",
                    help="an item is also relevant when its innermost heading holds a pattern (bench/judge.HEADINGS)")
    args = ap.parse_args()
    import bench.judge

    bench.judge.HEADINGS = args.judge_headings
    print(f"judge: item text{' + innermost heading' if args.judge_headings else ' only'}", flush=True)
    fit: dict[float, float] = {}
    for w in WEIGHTS:
        score = 0.0
        for c in TUNING_SETS:
            s = run(c, w, args.index_root, args.mode)
            print(summary_line(c, f"w={w}", s), flush=True)
            score += s["all"]["recall"] + s["all"]["mrr"]
        fit[w] = score / len(TUNING_SETS)
    best = max(WEIGHTS, key=lambda w: (round(fit[w], 6), -w))  # ties: the smaller weight
    print(f"\nchosen on {', '.join(TUNING_SETS)}: HEADING_WEIGHT={best} (mean R@10+MRR@10 {fit[best]:.4f}; "
          f"at 0: {fit[0.0]:.4f})\n", flush=True)
    for c in REPORTING_SETS:
        for w in (0.0, best):
            print(summary_line(c, f"w={w}", run(c, w, args.index_root, args.mode)), flush=True)


if __name__ == "__main__":
    main()
