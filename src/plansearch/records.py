"""The plain records every output reads: `--format json|csv`, the rich terminal views, the HTML
reports and the web app.

Each `*_record` turns a result object (Document, Hit, Alignment, ReuseCluster, …) into a dict of
stable field names: scripts depend on them. Offsets (a hit's best sentence, the query's words in
it) are computed once, where the result is made, and carried here as [start, end) pairs into the
text they name, so no renderer re-derives them.

`write_records(records, fmt)` prints them as JSON lines or CSV (lists joined, nested objects as
JSON), for any command that lists things.
"""
from __future__ import annotations

import csv
import json
import sys
from typing import IO, Iterable, Sequence

from .metadata import year_label
from .models import Document, Item

FORMATS = ("table", "json", "csv")


# --- documents and outlines ------------------------------------------------------------------------

def doc_record(doc: Document) -> dict:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "year": doc.year,
        "year_label": year_label(doc),
        "year_mask": doc.year_mask,
        "review_year": doc.review_year,
        "plan_year": doc.plan_year,
        "region": doc.region,
        "issuer": doc.issuer,
        "kind": doc.kind,
        "items": len(doc.items),
        "numbered_items": sum(1 for it in doc.items if it.label),
        "source": doc.source,
        "flags": list(doc.flags),
        "overridden": list(doc.overridden),
    }


def item_label(item: Item) -> str:
    """The item as a reader names it: its printed label, or ¶n for an unnumbered paragraph."""
    return item.label or f"¶{item.ordinal + 1}"


def items_label(items: Sequence[Item]) -> str:
    """"四、重点工作 › 3.+4." for the items of one alignment; "—" for none."""
    if not items:
        return "—"
    first = items[0]
    labels = "+".join(item_label(it) for it in items)
    return f"{first.path_str + ' › ' if first.path else ''}{labels}"


def item_record(item: Item) -> dict:
    return {
        "item_id": item.item_id,
        "ordinal": item.ordinal,
        "label": item.label,
        "number": item.number,
        "level": item.level,
        "path": list(item.path),
        "section": item.section,
        "text": item.text,
        "subpoints": list(item.subpoints),
        "start": item.start,
        "end": item.end,
    }


def outline_record(doc: Document) -> dict:
    rec = doc_record(doc)
    rec["headings"] = [{"label": h.label, "number": h.number, "level": h.level, "title": h.title,
                        "start": h.start, "end": h.end} for h in doc.headings]
    rec["outline"] = [item_record(it) for it in doc.items]
    return rec


# --- search -------------------------------------------------------------------------------------

def hit_record(hit, group: str | None = None) -> dict:
    """One search hit. `match` is the best sentence, `highlights` the query's words, both as
    [start, end) offsets into `text` (the item in its original script)."""
    doc, it = hit.doc, hit.item
    rec = {
        "rank": hit.rank, "score": round(hit.score, 6),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 6),
        "keyword_score": None if hit.keyword_score is None else round(hit.keyword_score, 6),
        "found": list(hit.found), "coverage": round(hit.coverage, 4),
        "doc_id": it.doc_id, "item_id": it.item_id, "title": doc.title if doc else None,
        "year": doc.year if doc else None, "year_label": year_label(doc) if doc else None,
        "region": doc.region if doc else None, "issuer": doc.issuer if doc else None,
        "kind": doc.kind if doc else None, "path": list(it.path), "label": it.label, "text": it.text,
        "match": list(hit.match_span) if hit.match_span else None,
        "highlights": [list(s) for s in hit.highlights],
        "source": doc.source if doc else None,
    }
    if group is not None:
        rec["group"] = group
    return rec


def excerpt_bounds(text: str, width: int, focus: Sequence[tuple[int, int]] = (),
                   match: tuple[int, int] | None = None) -> tuple[int, int]:
    """[lo, hi) of a `width`-character excerpt of `text` centred on what the reader is looking
    for: the first highlighted word inside the best sentence, else the first highlighted word,
    else the best sentence, else the start."""
    if len(text) <= width:
        return 0, len(text)
    inside = [s for s in focus if match and match[0] <= s[0] < match[1]]
    target = (inside or list(focus) or ([match] if match else []))[:1]
    if not target:
        return 0, width
    a, b = target[0]
    centre = (a + b) // 2
    lo = max(0, min(centre - width // 2, len(text) - width))
    return lo, lo + width


# --- reuse ------------------------------------------------------------------------------------------

def _reuse_location_record(loc, doc: Document | None) -> dict:
    items = [doc.items[o] for o in loc.item_ordinals] if doc is not None else []
    first = items[0] if items else None
    return {
        "doc_id": loc.doc_id,
        "item_id": first.item_id if first else None,
        "item_ids": [it.item_id for it in items],
        "label": first.label if first else None,
        "path": list(first.path) if first else [],
        "start": loc.start,
        "end": loc.end,
        "text": loc.text,
    }


def reuse_cluster_record(rank: int, cluster, docs_by_id: dict[str, Document]) -> dict:
    """One reused passage. Scripts depend on these names."""
    return {
        "type": "cluster",
        "rank": rank,
        "score": round(cluster.score, 3),
        "n_docs": cluster.n_docs,
        "chars": cluster.chars,
        "text": cluster.text,
        "locations": [_reuse_location_record(p, docs_by_id.get(p.doc_id)) for p in cluster.locations],
    }


def doc_share_record(share) -> dict:
    return {
        "type": "doc_share",
        "doc_id": share.doc_id,
        "chars": share.chars,
        "share_any": round(share.share_any, 4),
        "share_earlier": round(share.share_earlier, 4),
        "sources": [{"doc_id": s.doc_id, "share": round(s.share, 4), "earlier": s.earlier} for s in share.sources],
    }


# --- compare ----------------------------------------------------------------------------------------

def _side_record(item: Item) -> dict:
    return {"item_id": item.item_id, "label": item.label, "path": list(item.path), "text": item.text}


def compare_summary_record(cmp) -> dict:
    s = cmp.summary
    return {
        "type": "summary",
        "a": cmp.a.doc_id, "a_title": cmp.a.title,
        "b": cmp.b.doc_id, "b_title": cmp.b.title,
        **s.counts,
        "verbatim_share": round(s.verbatim_share, 4),
        "b_chars": s.b_chars, "verbatim_chars": s.verbatim_chars,
        "sentences": s.sentences, "sentences_verbatim": s.sentences_verbatim,
        "longest_runs": [{"text": r.text, "chars": r.chars,
                          "b_item_id": f"{cmp.b.doc_id}:{r.b_ordinal}",
                          "a_item_id": f"{cmp.a.doc_id}:{r.a_ordinal}"} for r in s.longest_runs],
        "semantic": cmp.semantic,
        "seconds": round(cmp.seconds, 3),
        "thresholds": {"edited_min": cmp.thresholds.edited_min,
                       "rewritten_min": cmp.thresholds.rewritten_min,
                       "contain_min": cmp.thresholds.contain_min},
    }


def alignment_record(al, a_doc_id: str) -> dict:
    sem = al.semantic_similarity
    return {
        "type": "alignment",
        "status": al.status,
        "a_items": [_side_record(it) for it in al.a_items],
        "b_items": [_side_record(it) for it in al.b_items],
        "char_similarity": round(al.char_similarity, 4),
        "semantic_similarity": round(sem, 4) if sem is not None else None,
        "containment": round(al.containment, 4),
        "diff": [{"op": op.tag, "a": op.a_text, "b": op.b_text} for op in al.diff],
        "verbatim_sentences": [{"b_item_id": f"{al.b_items[0].doc_id}:{m.b_ordinal}", "start": m.start,
                                "end": m.end, "text": m.text,
                                "a_item_id": f"{a_doc_id}:{m.a_ordinal}"}
                               for m in al.verbatim_sentences],
    }


# --- output -----------------------------------------------------------------------------------------

def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            return " › ".join(value) if value else ""
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_records(records: Iterable[dict], fmt: str, out: IO[str] | None = None) -> int:
    """Print records as JSON lines (`json`) or CSV with a header from the first record's keys
    (`csv`; string lists joined with " › ", other nested values as JSON). Returns how many."""
    out = out or sys.stdout
    n = 0
    if fmt == "json":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt != "csv":
        raise ValueError(f"write_records takes json or csv, not {fmt!r}")
    writer = None
    for r in records:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(r), extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: _csv_cell(v) for k, v in r.items()})
        n += 1
    return n


# --- trend -------------------------------------------------------------------------------------------

def trend_records(table) -> list[dict]:
    """One record per group and query of a TrendTable (flat, so CSV has one column per field). A
    gap (no document in the group) has `gap` true and no counts (null), not zeros. The example is
    the matching item that says it most plainly, with `example_highlights` (the query's words) and
    `example_match` (its best sentence) as [start, end) offsets into `example_text`."""
    out = []
    for g in table.groups:
        for i, q in enumerate(table.queries):
            cell = g.cells[i] if g.cells else None
            ex = cell.example if cell is not None else None
            out.append({
                "by": table.by, "group": g.key, "label": g.label, "gap": g.gap, "masked": g.masked,
                "documents": g.documents, "items": g.items,
                "query": q.text, "decided_by": q.basis,
                "matches": cell.matches if cell else None,
                "share": round(cell.share, 6) if cell else None,
                "matching_documents": cell.documents if cell else None,
                "matching_headings": cell.headings if cell else None,
                "example_doc_id": ex.item.doc_id if ex else None,
                "example_item_id": ex.item.item_id if ex else None,
                "example_title": ex.doc.title if ex and ex.doc else None,
                "example_path": list(ex.item.path) if ex else None,
                "example_label": item_label(ex.item) if ex else None,
                "example_text": ex.item.text if ex else None,
                "example_match": list(ex.match_span) if ex and ex.match_span else None,
                "example_highlights": [list(s) for s in ex.highlights] if ex else None,
            })
    return out
