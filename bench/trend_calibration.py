"""Calibrate and measure trend's match decision on the judged query sets.

    .venv/bin/python bench/trend_calibration.py               # tune on seeds + gwr, report on unseen
    .venv/bin/python bench/trend_calibration.py --per-query   # + every query's precision and recall

`plansearch trend` counts the items that match a query: an item matches on its words when it holds
at least `words_min` of the query's idf weight; a query whose words no item holds is matched by
meaning, an item's best sentence window at least `meaning_min_z` robust SDs above the corpus'
cosine distribution for the query (src/plansearch/trend.py). This script computes that evidence
for every judged query and every item of each corpus (with trend's own functions) and measures the
decision against the judgements of bench/judge.py (an item is relevant iff its own text holds one
of the query's `relevant` patterns and none of its `exclude` ones).

Tuning uses only the seeds and gwr sets; unseen plays no part in the choice and is reported last:
- words_min: over the exact-term queries (kinds exact, traditional, compound), the threshold with
  the best macro F1 among those whose macro precision is at least 0.90;
- meaning_min_z: over the queries whose words no item holds (under that words_min), the lowest z
  (most recall) whose macro precision is at least 0.90.
Precision and recall are per query, then averaged per kind (macro); a query with no match has no
precision (left out of the mean, counted in "no match"), and recall 0. Micro figures pool the items.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.eval_search import OUT, TUNING_SETS, ensure_index  # noqa: E402
from bench.judge import KINDS, QUERY_SETS, load_queries  # noqa: E402

REPORT_SET = "unseen"
EXACT_TERM_KINDS = ("exact", "traditional", "compound")
PRECISION_TARGET = 0.90
WORDS_GRID = [round(x, 2) for x in np.arange(0.30, 0.801, 0.05)]
Z_GRID = [round(x, 2) for x in np.arange(2.0, 6.001, 0.25)]


@dataclass
class Judged:
    """One judged query: its evidence over every item of its corpus and the relevant items."""

    corpus: str
    id: str
    kind: str
    query: str
    evidence: object  # trend.QueryEvidence
    relevant: np.ndarray  # bool per item


def judged_queries(corpus: str, quiet: bool) -> list[Judged]:
    from plansearch.normalise import normalise
    from plansearch.search import Searcher
    from plansearch.trend import query_evidence

    index_dir = OUT / f"index-{corpus}"
    ensure_index(corpus, index_dir, None, quiet)
    s = Searcher(index_dir)
    try:
        n = len(s.index.item_doc)
        norms = [normalise(it.text) for it in s.index.items(range(n))]  # the judge reads item.text
        queries = load_queries(QUERY_SETS[corpus])
        evidence = query_evidence(s, [q.query for q in queries], dense="all")
        return [Judged(corpus, q.id, q.kind, q.query, ev, np.array([q.judge(t) for t in norms]))
                for q, ev in zip(queries, evidence)]
    finally:
        s.close()


def scores(judged: list[Judged], rule) -> list[dict]:
    rows = []
    for j in judged:
        mask, basis = j.evidence.decide(rule)
        tp = int((mask & j.relevant).sum())
        rows.append({"corpus": j.corpus, "id": j.id, "kind": j.kind, "query": j.query, "basis": basis,
                     "matched": int(mask.sum()), "relevant": int(j.relevant.sum()), "tp": tp,
                     "precision": tp / mask.sum() if mask.sum() else None, "recall": tp / j.relevant.sum()})
    return rows


def summary(rows: list[dict]) -> dict:
    ps = [r["precision"] for r in rows if r["precision"] is not None]
    matched = sum(r["matched"] for r in rows)
    out = {"queries": len(rows), "P": float(np.mean(ps)) if ps else float("nan"),
           "R": float(np.mean([r["recall"] for r in rows])) if rows else float("nan"),
           "microP": sum(r["tp"] for r in rows) / matched if matched else float("nan"),
           "microR": sum(r["tp"] for r in rows) / max(1, sum(r["relevant"] for r in rows)),
           "no_match": sum(1 for r in rows if not r["matched"]),
           "by_meaning": sum(1 for r in rows if r["basis"] == "meaning")}
    out["F1"] = 2 * out["P"] * out["R"] / (out["P"] + out["R"]) if out["P"] + out["R"] > 0 else 0.0
    return out


def tune(judged: list[Judged]):
    from plansearch.trend import MatchRule

    exact = [j for j in judged if j.kind in EXACT_TERM_KINDS]
    grid_w = []
    for w in WORDS_GRID:
        grid_w.append((w, summary(scores(exact, MatchRule(words_min=w, meaning_min_z=99.0)))))
    ok = [(w, s) for w, s in grid_w if s["P"] >= PRECISION_TARGET]
    words_min = max(ok, key=lambda ws: (ws[1]["F1"], ws[0]))[0] if ok else max(grid_w, key=lambda ws: ws[1]["P"])[0]
    unattested = [j for j in judged if not j.evidence.words_attested(MatchRule(words_min=words_min))]
    grid_z = []
    for z in Z_GRID:
        grid_z.append((z, summary(scores(unattested, MatchRule(words_min=words_min, meaning_min_z=z)))))
    ok = [(z, s) for z, s in grid_z if s["P"] >= PRECISION_TARGET]
    meaning_min_z = min(ok, key=lambda zs: zs[0])[0] if ok else max(grid_z, key=lambda zs: zs[1]["P"])[0]
    return MatchRule(words_min=words_min, meaning_min_z=meaning_min_z), grid_w, grid_z, len(unattested)


def fmt(x) -> str:
    return "—" if x is None or x != x else f"{x:.2f}"


def table(title: str, rows_by_kind: dict[str, list[dict]]) -> list[str]:
    out = [f"**{title}**", "", "| kind | queries | precision | recall | micro P | micro R | no match | "
           "decided by meaning |", "|---|---|---|---|---|---|---|---|"]
    for kind, rows in rows_by_kind.items():
        if not rows:
            continue
        s = summary(rows)
        out.append(f"| {kind} | {s['queries']} | {fmt(s['P'])} | {fmt(s['R'])} | {fmt(s['microP'])} | "
                   f"{fmt(s['microR'])} | {s['no_match']} | {s['by_meaning']} |")
    return out + [""]


def by_kind(rows: list[dict]) -> dict[str, list[dict]]:
    out = {k: [r for r in rows if r["kind"] == k] for k in KINDS}
    out["exact-term (exact + traditional + compound)"] = [r for r in rows if r["kind"] in EXACT_TERM_KINDS]
    out["all"] = rows
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-query", action="store_true", help="also list every query's figures")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    from plansearch.trend import MatchRule

    judged = {c: judged_queries(c, args.quiet) for c in [*TUNING_SETS, REPORT_SET]}
    tuning = [j for c in TUNING_SETS for j in judged[c]]
    rule, grid_w, grid_z, n_unattested = tune(tuning)
    shipped = MatchRule()
    lines = [f"Tuning sets: {' + '.join(TUNING_SETS)} ({len(tuning)} queries); reporting set: {REPORT_SET} "
             f"({len(judged[REPORT_SET])} queries, no part in the choice).", "",
             "words_min sweep (tuning exact-term queries, meaning off): precision / recall",
             "  " + "  ".join(f"{w:.2f}: {fmt(s['P'])}/{fmt(s['R'])}" for w, s in grid_w), "",
             f"meaning_min_z sweep (the {n_unattested} tuning queries whose words no item holds at "
             f"words_min {rule.words_min:g}): precision / recall",
             "  " + "  ".join(f"{z:.2f}: {fmt(s['P'])}/{fmt(s['R'])}" for z, s in grid_z), "",
             f"chosen: words_min {rule.words_min:g}, meaning_min_z {rule.meaning_min_z:g}; shipped in "
             f"plansearch.trend: words_min {shipped.words_min:g}, meaning_min_z {shipped.meaning_min_z:g}"
             + ("" if rule == shipped else "  <-- DIFFERENT: update WORDS_MIN / MEANING_MIN_Z"), ""]
    tuning_rows = scores(tuning, shipped)
    lines += table(f"tuning ({' + '.join(TUNING_SETS)}), the shipped rule", by_kind(tuning_rows))
    for c in TUNING_SETS:
        lines += table(f"{c} alone", by_kind(scores(judged[c], shipped)))
    report_rows = scores(judged[REPORT_SET], shipped)
    lines += table(f"held out: {REPORT_SET}, the shipped rule", by_kind(report_rows))
    print("\n".join(lines))
    if args.per_query:
        print("| set | id | kind | query | decided by | matched | relevant | precision | recall |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in tuning_rows + report_rows:
            print(f"| {r['corpus']} | {r['id']} | {r['kind']} | {r['query']} | {r['basis']} | {r['matched']} | "
                  f"{r['relevant']} | {fmt(r['precision'])} | {fmt(r['recall'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
