"""Relevance judgements for the search benchmarks, shared by tests/test_query_sets.py and
bench/eval_search.py.

A query set is a JSONL file, one object per line:

    {"id": "s01", "query": "留守儿童关爱", "kind": "exact", "relevant": ["留守儿童"],
     "exclude": [...], "note": "..."}

An item is relevant to a query iff its normalised text (`normalise(item.text)`: Simplified,
lower case, punctuation normalised) contains one of the normalised `relevant` patterns and
none of the normalised `exclude` patterns. The judgement reads only the item's own text, never
its heading path, so "the item that says so" is what counts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from plansearch.normalise import normalise

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
QUERY_SETS = {
    "seeds": DATA / "queries_seeds.jsonl",
    "gwr": DATA / "queries_gwr.jsonl",
    # Held out: real bureau pages no tuning has seen (tests/data/unseen/SOURCES.md). Tune fusion on
    # seeds and gwr, report on this one.
    "unseen": DATA / "queries_unseen.jsonl",
    # Held out too: a second reporting set (tests/data/fresh/SOURCES.md), built the same way after
    # the unseen set had been looked at while developing. Report on it; never tune on it.
    "fresh": DATA / "queries_fresh.jsonl",
    # Held out, on the gwr reports: queries and their patterns written (and committed) before any run
    # and without reading the reports' text (issue #29). Report on it; never tune on it.
    "blind": DATA / "queries_blind.jsonl",
}
CORPORA = {
    "seeds": REPO / "corpus",
    "gwr": REPO.parent / "shared" / "corpora" / "gwr",
    "unseen": DATA / "unseen" / "corpus",
    "fresh": DATA / "fresh" / "corpus",
    "blind": REPO.parent / "shared" / "corpora" / "gwr",
}
KINDS = ("exact", "paraphrase", "traditional", "compound")


@dataclass
class Query:
    id: str
    query: str
    kind: str
    relevant: list[str]
    exclude: list[str] = field(default_factory=list)
    note: str = ""

    def judge(self, norm_text: str) -> bool:
        return is_relevant(norm_text, self.relevant, self.exclude)


def is_relevant(norm_text: str, relevant: Iterable[str], exclude: Iterable[str] = ()) -> bool:
    """The relevance rule: `norm_text` (an item's normalised text) contains a normalised
    `relevant` pattern and no normalised `exclude` pattern."""
    if any(normalise(p) in norm_text for p in exclude):
        return False
    return any(normalise(p) in norm_text for p in relevant)


def load_queries(path: str | Path) -> list[Query]:
    out: list[Query] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON: {e}") from None
            out.append(Query(id=obj["id"], query=obj["query"], kind=obj["kind"],
                             relevant=list(obj["relevant"]), exclude=list(obj.get("exclude", [])),
                             note=obj.get("note", "")))
    return out


def load_documents(path: str | Path):
    """The corpus's Documents with `item.norm` set, parsed straight from each .txt file with
    `outline.parse_source` (the segmentation `load_corpus`/`build_index` use, without depending
    on the loader's or metadata's state). Item ids ("doc_id:ordinal") are the index's ids."""
    from plansearch.models import SourceText
    from plansearch.outline import parse_source

    docs = []
    for p in sorted(Path(path).glob("*.txt")):
        for d in parse_source(SourceText(path=str(p), text=p.read_text(encoding="utf-8"), fmt="txt")):
            for it in d.items:
                if not it.norm:
                    it.norm = normalise(it.text)
            docs.append(d)
    return docs


# The judge's second reading (issue #29): an item also counts as relevant when its innermost
# heading holds a pattern (2024's items under "加快发展新质生产力" for 新质生产力). Off by default:
# every figure in RESULTS before #29 is on the item's text alone. bench/tune_headings.py reports both.
HEADINGS = False


def item_norm(item) -> str:
    """The text the judge reads: the item's own text, normalised (not `item.norm`, which may
    be masked differently by other stages); with HEADINGS, its innermost heading before it."""
    if HEADINGS and item.path:
        return normalise(item.path[-1]) + "\n" + normalise(item.text)
    return normalise(item.text)


def relevant_ids(query: Query, docs) -> set[str]:
    """item_ids ("doc_id:ordinal") of every item relevant to `query` in `docs`."""
    return {it.item_id for d in docs for it in d.items if query.judge(item_norm(it))}


def judgements(queries: list[Query], docs) -> dict[str, set[str]]:
    norms = [(it.item_id, item_norm(it)) for d in docs for it in d.items]
    return {q.id: {iid for iid, t in norms if q.judge(t)} for q in queries}


# --- ranking metrics (binary relevance) -------------------------------------------------------

def recall_at_k(ranked: list[str], relevant: set[str], k: int) -> float:
    """|relevant ∩ top k| / min(k, |relevant|): 1.0 when the top k is as full of relevant items
    as it can be."""
    if not relevant:
        raise ValueError("a judged query needs at least one relevant item")
    top = _dedup(ranked)[:k]
    return sum(1 for r in top if r in relevant) / min(k, len(relevant))


def reciprocal_rank(ranked: list[str], relevant: set[str], k: int) -> float:
    """1 / rank of the first relevant item within the top k, else 0 (so the mean is MRR@k)."""
    rank = first_relevant_rank(ranked, relevant, k)
    return 1.0 / rank if rank else 0.0


def ndcg_at_k(ranked: list[str], relevant: set[str], k: int) -> float:
    """Binary-gain nDCG@k: DCG of the top k over the DCG of min(k, |relevant|) relevant items first."""
    import math

    top = _dedup(ranked)[:k]
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(top) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


def first_relevant_rank(ranked: list[str], relevant: set[str], k: int) -> int | None:
    """1-based rank of the first relevant item in the top k, None when there is none."""
    for i, r in enumerate(_dedup(ranked)[:k], 1):
        if r in relevant:
            return i
    return None


def _dedup(ranked: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for r in ranked:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def score_query(ranked: list[str], relevant: set[str], k: int) -> dict:
    return {
        "recall": recall_at_k(ranked, relevant, k),
        "rr": reciprocal_rank(ranked, relevant, k),
        "ndcg": ndcg_at_k(ranked, relevant, k),
        "first_relevant": first_relevant_rank(ranked, relevant, k),
    }


def summarise(per_query: list[dict]) -> dict:
    """Means over queries (each dict from `score_query`, plus "kind"): overall and per kind."""
    def agg(rows):
        n = len(rows)
        return {
            "queries": n,
            "recall": sum(r["recall"] for r in rows) / n,
            "mrr": sum(r["rr"] for r in rows) / n,
            "ndcg": sum(r["ndcg"] for r in rows) / n,
            "misses": sum(1 for r in rows if r["first_relevant"] is None),
        }

    out = {"all": agg(per_query)}
    for kind in sorted({r["kind"] for r in per_query}):
        out[kind] = agg([r for r in per_query if r["kind"] == kind])
    return out



def summary_line(name: str, label: str, summary: dict) -> str:
    """One line of a tuning run: the set, the setting, R@10/MRR/misses overall and R@10/MRR by kind."""
    kinds = " ".join(f"{k} {v['recall']:.3f}/{v['mrr']:.3f}" for k, v in summary.items() if k != "all")
    a = summary["all"]
    return f"{name:7} {label:24} all R@10 {a['recall']:.3f} MRR {a['mrr']:.3f} miss {a['misses']:2}  | {kinds}"