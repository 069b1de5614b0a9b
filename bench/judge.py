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
}
CORPORA = {
    "seeds": REPO / "corpus",
    "gwr": REPO.parent / "shared" / "corpora" / "gwr",
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
    """The corpus's Documents with `item.norm` set. Uses `plansearch.load_corpus` when the full
    ingest flow is importable; otherwise parses each .txt with `outline.parse_source` (item
    segmentation is the same either way)."""
    try:
        from plansearch import load, metadata  # noqa: F401  (load_corpus needs both)
    except ImportError:
        pass
    else:
        from plansearch import load_corpus

        return load_corpus(path)
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


def item_norm(item) -> str:
    """The text the judge reads: the item's own text, normalised (not `item.norm`, which may
    be masked differently by other stages)."""
    return normalise(item.text)


def relevant_ids(query: Query, docs) -> set[str]:
    """item_ids ("doc_id:ordinal") of every item relevant to `query` in `docs`."""
    return {it.item_id for d in docs for it in d.items if query.judge(item_norm(it))}


def judgements(queries: list[Query], docs) -> dict[str, set[str]]:
    norms = [(it.item_id, item_norm(it)) for d in docs for it in d.items]
    return {q.id: {iid for iid, t in norms if q.judge(t)} for q in queries}
