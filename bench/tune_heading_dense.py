"""Headings on the dense side (issue #29, item 1): the two ways the issue names, measured on the
judged sets, chosen on the tuning sets only.

    nice .venv/bin/python bench/tune_heading_dense.py --index-root /work/evalroot --context-root /work/evalroot-ctx

- "context": each window is embedded with its item's innermost heading before it
  ("教师队伍建设：实施县管校聘…"). Every window is embedded again, so these indexes live under
  --context-root (the embedding cache is copied from --index-root, so only the windows are new).
- "inherit": one vector per heading (its title, embedded as a passage); an item's dense score is the
  larger of its own best window's cosine and DAMP x its innermost heading's cosine, and items a
  heading lifts join the dense candidates. Grid over DAMP.

Every setting is scored by the judge as all earlier figures are (item text only) and, for a reading
of heading-only matches, by the judge that also reads the innermost heading (bench/judge.HEADINGS).
The setting is chosen by mean R@10 + MRR@10 of the item-text judge over the tuning sets
(bench/eval_search.TUNING_SETS); the held-out sets are reported on after the choice.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_search import REPORTING_SETS, TUNING_SETS, evaluate_corpus  # noqa: E402
from bench.judge import summary_line  # noqa: E402

DAMPS = (0.0, 0.85, 0.9, 0.93, 0.96)
CONTEXT_CHARS = 24  # a heading's first words: its topic, not its whole sentence
_LABEL = re.compile(r"^[\s（(〔【]*(?:第?[一二三四五六七八九十百零〇\d]+(?:[、.．）)〕】章节条]|部分)?|[\u2460-\u24ff\u3220-\u3229\u2776-\u277f])\s*")


def heading_context(item) -> str:
    """The innermost heading of an item without its number, cut at its first clause."""
    if not item.path:
        return ""
    title = _LABEL.sub("", item.path[-1]).strip()
    title = re.split(r"[。；;，,：:！!？?]", title, maxsplit=1)[0]
    return title[:CONTEXT_CHARS]


def patch_context() -> None:
    """Windows embed 'heading：window' (the index's spans and shown text are unchanged)."""
    import plansearch.chunk as chunk
    import plansearch.store as store
    from plansearch.normalise import normalise

    original = chunk.windows_of_items

    def with_context(items, *a, **kw):
        items = list(items)
        wins = original(items, *a, **kw)
        for i, row in enumerate(wins.item_rows):
            ctx = normalise(heading_context(items[row]))
            if ctx and ctx not in wins.texts[i]:
                wins.texts[i] = f"{ctx}：{wins.texts[i]}"
        return wins

    store.windows_of_items = with_context


class Inherit:
    """Searcher.dense_scores with each item also scored by its heading's vector, damped."""

    damp = 0.0
    _tables: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def table(cls, searcher) -> tuple[np.ndarray, np.ndarray]:
        """(each item's heading number or -1, the headings' vectors) of the searcher's index."""
        key = (str(getattr(searcher.index, "location", id(searcher.index))), len(searcher.index.item_doc))
        if key not in cls._tables:
            from plansearch.normalise import normalise

            n = len(searcher.index.item_doc)
            titles: dict[str, int] = {}
            of_item = np.full(n, -1, np.int64)
            for start in range(0, n, 2000):
                for row, it in enumerate(searcher.index.items(np.arange(start, min(n, start + 2000))), start):
                    t = normalise(heading_context(it))
                    if t:
                        of_item[row] = titles.setdefault(t, len(titles))
            vecs = searcher.embedder.embed_passages(list(titles)) if titles else np.zeros((0, 384), np.float32)
            cls._tables[key] = (of_item, np.asarray(vecs, np.float32))
        return cls._tables[key]

    @classmethod
    def install(cls) -> None:
        from plansearch.search import Searcher

        own = Searcher.dense_scores

        def dense_scores(self, qv, selection, n):
            rows, vals, best = own(self, qv, selection, n)
            if not cls.damp:
                return rows, vals, best
            of_item, hv = cls.table(self)
            if not len(hv):
                return rows, vals, best
            inherited = cls.damp * (hv @ qv)
            score = dict(zip(rows.tolist(), vals.tolist()))
            floor = float(vals[-1]) if len(vals) >= n else -1.0
            lifted = np.flatnonzero((of_item >= 0) & (inherited[np.maximum(of_item, 0)] > floor))
            if selection is not None:  # the judged sets search unfiltered
                lifted = lifted[selection.item_mask(self.index.item_doc)[lifted]]
            for r in lifted.tolist():
                score[r] = max(score.get(r, -1.0), float(inherited[of_item[r]]))
            for r in list(score):
                if of_item[r] >= 0:
                    score[r] = max(score[r], float(inherited[of_item[r]]))
            ranked = sorted(score.items(), key=lambda kv: -kv[1])[:n]
            out_rows = np.array([r for r, _ in ranked], np.int64)
            out_vals = np.array([v for _, v in ranked], np.float32)
            return out_rows, out_vals, {r: best[r] for r, _ in ranked if r in best}

        Searcher.dense_scores = dense_scores


def score(corpus: str, root: Path, judge_headings: bool) -> dict:
    import bench.judge

    bench.judge.HEADINGS = judge_headings
    return evaluate_corpus(corpus, ["hybrid"], 10, None, root, quiet=True)["modes"]["hybrid"]["summary"]


def fit(s: dict) -> float:
    return s["all"]["recall"] + s["all"]["mrr"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-root", type=Path, required=True)
    ap.add_argument("--context-root", type=Path, required=True)
    ap.add_argument("--only", choices=["inherit", "context"], default=None)
    args = ap.parse_args()
    results: dict[str, dict[str, dict]] = {}

    def run(label: str, root: Path, sets) -> None:
        for c in sets:
            for judge in (False, True):
                s = score(c, root, judge)
                results.setdefault(label, {})[f"{c}|{judge}"] = s
                print(summary_line(c, f"{label}{' +hd' if judge else ''}", s), flush=True)

    if args.only != "context":
        Inherit.install()
        for d in DAMPS:
            Inherit.damp = d
            run(f"inherit {d}", args.index_root, TUNING_SETS)
        best = max(DAMPS, key=lambda d: (round(sum(fit(results[f"inherit {d}"][f"{c}|False"]) for c in TUNING_SETS), 6), -d))
        print(f"\ninherit: chosen on {', '.join(TUNING_SETS)}: DAMP={best}\n", flush=True)
        for d in sorted({0.0, best}):
            Inherit.damp = d
            run(f"inherit {d}", args.index_root, REPORTING_SETS)
        Inherit.damp = 0.0
    if args.only != "inherit":
        patch_context()
        for c in ("seeds", "gwr", "unseen", "fresh"):
            target = args.context_root / f"index-{c}"
            if not target.exists():
                target.mkdir(parents=True)
                from plansearch.store import CACHE_FILE, copy_cache

                copy_cache(args.index_root / f"index-{c}" / CACHE_FILE, target / CACHE_FILE)
        run("context", args.context_root, TUNING_SETS)
        run("context", args.context_root, REPORTING_SETS)


if __name__ == "__main__":
    main()
