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
import io
import json
import sys
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Iterable, Sequence

from .metadata import year_label
from .models import Document, Item

SHARE_DIGITS = 4  # a share in the records: 0.7535


def filters_note(filters) -> str:
    """The filters (search.Filters) a report was limited to, as the bracket after its title line in
    the reader's language: " (2021—2024年)", in Chinese "（2021—2024年）"; empty for none."""
    from .i18n import _

    return _(" ({filters})").format(filters=filters.describe(speak=True)) if filters is not None else ""


def percent(share: float) -> str:
    """A share as every front end prints it, "75.4%": the share the records carry (SHARE_DIGITS),
    rounded half up to a tenth of a percent. One rounding for the terminal, the web page and the
    reports: rounding the raw 0.75349… (75.3 %) and the recorded 0.7535 (75.4 %) apart disagreed."""
    tenths = (Decimal(repr(round(share, SHARE_DIGITS))) * 1000).quantize(Decimal(1), ROUND_HALF_UP)
    return f"{tenths / 10:.1f}%"


FORMATS = ("table", "json", "csv", "xlsx")


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
        "level": doc.level,
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

def hit_record(hit, group: str | None = None, probability: bool = False) -> dict:
    """One search hit. `match` is the best sentence, `highlights` the query's words, both as
    [start, end) offsets into `text` (the item in its original script). `score_kind` says what
    `score` is: "probability" (the estimated chance the item is relevant: the default mode, see
    `search.Hits.probability`) or "raw" (a mode's own score: cosine, BM25, fusion)."""
    doc, it = hit.doc, hit.item
    rec = {
        "rank": hit.rank, "score": round(hit.score, 6), "score_kind": "probability" if probability else "raw",
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 6),
        "keyword_score": None if hit.keyword_score is None else round(hit.keyword_score, 6),
        "found": list(hit.found), "coverage": round(hit.coverage, 4),
        "read_as": [list(pair) for pair in hit.read_as], "heading_found": list(hit.heading_found),
        "bridged": [list(pair) for pair in hit.bridged],
        "meaning_coverage": round(hit.meaning_coverage, 4),
        "doc_id": it.doc_id, "item_id": it.item_id, "title": doc.title if doc else None,
        "year": doc.year if doc else None, "year_label": year_label(doc) if doc else None,
        "region": doc.region if doc else None, "level": doc.level if doc else None,
        "issuer": doc.issuer if doc else None,
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
        **sentence_fields(loc, doc),
    }


def sentence_fields(loc, doc: Document | None) -> dict:
    """A reuse location's whole sentences (`sentence`, from `sentence_start` to `sentence_end` in
    Document.text) and where the copied text stands in them (`copied`: [start, end) into `sentence`)."""
    s = loc.sentence_start if loc.sentence_start is not None else loc.start
    e = loc.sentence_end if loc.sentence_end is not None else loc.end
    sentence = doc.text[s:e] if doc is not None and doc.text else loc.text
    if doc is None or not doc.text:
        s, e = loc.start, loc.end
    return {"sentence_start": s, "sentence_end": e, "sentence": sentence,
            "copied": [loc.start - s, loc.end - s]}


def reuse_cluster_record(rank: int, cluster, docs_by_id: dict[str, Document]) -> dict:
    """One reused passage. Scripts depend on these names."""
    return {
        "type": "cluster",
        "rank": rank,
        "score": round(cluster.score, 3),
        "n_docs": cluster.n_docs,
        "chars": cluster.chars,
        "text": cluster.text,
        **{k: v for k, v in sentence_fields(cluster.locations[cluster.rep], docs_by_id.get(
            cluster.locations[cluster.rep].doc_id)).items() if k in ("sentence", "copied")},
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
        "thresholds": {k: getattr(cmp.thresholds, k) for k in (
            "edited_min", "contain_min", "related_min", "reworded_min", "sentence_char_min",
            "sentence_cos_min")},
    }


def _sentence_record(p, a_doc_id: str, b_doc_id: str, a_items: dict, b_items: dict) -> dict:
    """One sentence of a rewritten / related alignment: B's and its partner in A (either may be
    missing: `new`, `dropped`), as item ids and [start, end) offsets into that item's text."""
    a, b = a_items.get(p.a_ordinal), b_items.get(p.b_ordinal)
    sem = p.semantic_similarity
    return {
        "status": p.status,
        "b_item_id": f"{b_doc_id}:{p.b_ordinal}" if b else None,
        "b_start": p.b_start if b else None, "b_end": p.b_end if b else None,
        "b_text": b.text[p.b_start:p.b_end] if b else None,
        "a_item_id": f"{a_doc_id}:{p.a_ordinal}" if a else None,
        "a_start": p.a_start if a else None, "a_end": p.a_end if a else None,
        "a_text": a.text[p.a_start:p.a_end] if a else None,
        "char_similarity": round(p.char_similarity, 4) if a and b else None,
        "semantic_similarity": round(sem, 4) if sem is not None else None,
    }


def alignment_record(al, a_doc_id: str) -> dict:
    sem = al.semantic_similarity
    b_doc_id = al.b_items[0].doc_id if al.b_items else None
    a_items = {it.ordinal: it for it in al.a_items}
    b_items = {it.ordinal: it for it in al.b_items}
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
        "sentence_share": round(al.sentence_share, 4) if al.sentence_share is not None else None,
        "sentences": [_sentence_record(p, a_doc_id, b_doc_id, a_items, b_items) for p in al.sentences],
    }


# --- output -----------------------------------------------------------------------------------------

# A spreadsheet reads a cell that begins with one of these as a formula (=HYPERLINK(…) in a
# scraped page would run when an official opens the CSV): OWASP's advice is a leading '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):  # a number stays a number (-3 is not a formula)
        return str(value)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            return neutralise_formula(" › ".join(value)) if value else ""
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return neutralise_formula(str(value))


def write_records(records: Iterable[dict], fmt: str, out: IO | None = None, bom: bool = True) -> int:
    """Print records as JSON lines (`json`), CSV with a header from the first record's keys (`csv`;
    string lists joined with " › ", other nested values as JSON; with a UTF-8 byte-order mark,
    unless `bom` is False, so that Excel and WPS read the Chinese as UTF-8), or an Excel workbook
    (`xlsx`, into a binary `out`: write_xlsx). Returns how many."""
    out = out or sys.stdout
    n = 0
    if fmt == "json":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt == "xlsx":
        return write_xlsx(records, out if "b" in getattr(out, "mode", "b") else out.buffer)
    if fmt != "csv":
        raise ValueError(f"write_records takes json, csv or xlsx, not {fmt!r}")
    writer = None
    for r in records:
        if writer is None:
            if bom:
                out.write("\ufeff")
            writer = csv.DictWriter(out, fieldnames=list(r), extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: _csv_cell(v) for k, v in r.items()})
        n += 1
    return n


def _cell_width(text: str) -> int:
    """Columns a spreadsheet needs for `text`: a CJK character is two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_rows(records: Iterable[dict]) -> dict[str, list[dict]]:
    """Records by sheet: one sheet per record type (their `type`, else "records"); a field that
    holds a list of objects (reuse's locations, a document's sources) becomes rows of a sheet of
    its own, `<type>.<field>`, each row led by its parent's rank or id, instead of JSON in a cell."""
    sheets: dict[str, list[dict]] = {}
    for r in records:
        kind = str(r.get("type") or "records")
        sheets.setdefault(kind, [])  # the parent's sheet before its parts'
        row = {}
        for key, value in r.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                parent_key = next((k for k in ("rank", "item_id", "doc_id", "id") if k in r), None)
                parent = {f"{kind}_{parent_key}": r[parent_key]} if parent_key else {}
                sheets.setdefault(f"{kind}.{key}", []).extend({**parent, **v} for v in value)
                row[key] = len(value)
            else:
                row[key] = value
        sheets.setdefault(kind, []).append(row)
    return sheets


def write_xlsx(records: Iterable[dict], out: IO[bytes]) -> int:
    """An Excel workbook of the records (_sheet_rows): a frozen header row, columns as wide as
    their Chinese text needs (up to 60), text written as text (a cell beginning with = is not a
    formula), numbers as numbers. XlsxWriter: it only writes, and writes fast."""
    import xlsxwriter

    sheets = _sheet_rows(records)
    buf = io.BytesIO()  # the zip is written whole, then copied out: stdout cannot seek
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    head = book.add_format({"bold": True, "bg_color": "#EEEEEE", "bottom": 1})
    n = 0
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name[:31])
        columns = list(dict.fromkeys(k for r in rows for k in r))
        widths = [_cell_width(c) for c in columns]
        for col, title in enumerate(columns):
            sheet.write_string(0, col, title, head)
        for i, r in enumerate(rows, 1):
            for col, key in enumerate(columns):
                value = r.get(key)
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(i, col, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(i, col, value)
                else:
                    text = value if isinstance(value, str) else _csv_cell(value)
                    sheet.write_string(i, col, text)
                    widths[col] = max(widths[col], min(60, _cell_width(text)))
        for col, w in enumerate(widths):
            sheet.set_column(col, col, min(60, w + 2))
        sheet.freeze_panes(1, 0)
        n += len(rows) if "." not in name else 0
    book.close()
    out.write(buf.getvalue())
    out.flush()
    return n


# --- check ------------------------------------------------------------------------------------------

def _shares(by_level: dict, digits: int = 4) -> dict:
    return {k: round(v, digits) for k, v in by_level.items()}


def check_summary_record(report) -> dict:
    """The head of a 查重 report: 总文字复制比 (`share`), its split by level, 单篇最大文字复制比."""
    d, st = report.doc, report.settings
    top = report.sources[0] if report.sources else None
    return {
        "type": "summary",
        "doc_id": d.doc_id, "title": d.title, "source": d.source, "year_label": year_label(d),
        "region": d.region,
        "chars": report.chars, "copied_chars": report.copied_chars,
        "share": round(report.share, 4),
        "by_level": _shares(report.by_level),
        "max_source_share": round(report.max_source_share, 4),
        "max_source": top.doc.doc_id if top else None,
        "sources": len(report.sources), "passages": len(report.passages),
        "index": report.index_location, "compared_documents": report.compared_documents,
        "excluded": list(report.excluded), "filters": report.filters.describe() if report.filters else "",
        "thresholds": {"min_chars": st.min_chars, "max_gap": st.max_gap, "tile_min": st.tile_min,
                       "min_density": st.min_density,
                       "paraphrase_min": st.paraphrase_min if st.paraphrase else None},
        "embedded_windows": report.embedded_windows,
        "seconds": round(report.seconds, 3),
        "notices": list(report.notices),
    }


def check_source_record(source, rank: int) -> dict:
    d = source.doc
    return {
        "type": "source", "rank": rank, "doc_id": d.doc_id, "title": d.title, "year": d.year,
        "year_label": year_label(d), "region": d.region, "level": d.level, "issuer": d.issuer, "kind": d.kind,
        "chars": source.chars, "share": round(source.share, 4), "by_level": _shares(source.by_level),
        "passages": source.passages,
    }


def check_passage_record(p, checked_doc: Document) -> dict:
    """One copied passage, both sides in original script with offsets into their item's text, and
    the diff from the source to the checked text (`ops`; `swapped`: the synonym pairs)."""
    chk = checked_doc.items[p.checked_item]
    src = p.source_item
    return {
        "type": "passage", "level": p.level, "chars": p.chars, "similarity": p.similarity,
        "checked_item_id": chk.item_id, "checked_label": chk.label, "checked_path": list(chk.path),
        "checked_start": p.checked_start, "checked_end": p.checked_end, "checked_text": p.checked_text,
        "source_doc_id": p.source_doc_id, "source_item_id": src.item_id, "source_label": src.label,
        "source_path": list(src.path), "source_start": p.source_start, "source_end": p.source_end,
        "source_text": p.source_text,
        "ops": [{"op": o.tag, "source": o.source_text, "checked": o.checked_text} for o in p.ops],
        "swapped": [[o.source_text, o.checked_text] for o in p.ops if o.tag == "synonym"],
    }


def check_item_record(share) -> dict:
    it = share.item
    return {
        "type": "item", "item_id": it.item_id, "label": it.label, "path": list(it.path), "text": it.text,
        "chars": share.chars, "copied_chars": share.copied_chars, "share": round(share.share, 4),
        "by_level": {k: (round(v / share.chars, 4) if share.chars else 0.0) for k, v in share.by_level.items()},
    }


def check_records(report) -> list[dict]:
    """The report as JSON lines: the summary, then sources, passages and items, each with `type`."""
    return ([check_summary_record(report)]
            + [check_source_record(s, n) for n, s in enumerate(report.sources, 1)]
            + [check_passage_record(p, report.doc) for p in report.passages]
            + [check_item_record(i) for i in report.items])


def check_report_record(report) -> dict:
    """The whole report as one object (what the web app and the HTML report read)."""
    return {"summary": check_summary_record(report),
            "sources": [check_source_record(s, n) for n, s in enumerate(report.sources, 1)],
            "passages": [check_passage_record(p, report.doc) for p in report.passages],
            "items": [check_item_record(i) for i in report.items]}


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


# --- lineage ----------------------------------------------------------------------------------------

def when_said(o) -> str:
    """A copy's time (lineage.Occurrence) as the views print it: its `when`, or "year unknown" in the
    reader's language."""
    from .i18n import _

    return o.when if o.when and o.when != "?" else _("year unknown")


def copied_line(lin, name=lambda doc_id: doc_id) -> str:
    """A document's lineage in one line (lineage.DocumentLineage): how many of its items have an earlier
    copy, and from which documents (`name` says a document: its id in the terminal, its title on a page)."""
    from .i18n import _, ngettext

    if not lin.items:
        return ""
    line = ngettext("{n} of {total} item has an earlier copy in this corpus",
                    "{n} of {total} items have an earlier copy in this corpus", len(lin.items)).format(
        n=lin.copied_items, total=len(lin.items))
    if lin.parents:
        line += _("; copied from: {sources}").format(
            sources=", ".join(f"{name(doc)} ({n})" for doc, n in lin.parents[:5]))
    return line


def _copy_ref(o) -> dict | None:
    if o is None:
        return None
    return {"doc_id": o.doc_id, "item_id": o.item_id, "year": o.year, "date": o.date}


def lineage_item_record(il) -> dict:
    """One item's lineage: its earliest copy in the corpus, its parent, every occurrence in time order."""
    return {
        "type": "item",
        "doc_id": il.doc_id,
        "item_id": il.item_id,
        "label": il.label,
        "path": list(il.path),
        "text": il.text,
        "year": il.year,
        "date": il.date,
        "documents": il.documents,
        "boilerplate": il.boilerplate,
        "earliest": _copy_ref(il.earliest),
        "same_period_as_earliest": [_copy_ref(o) for o in il.same_period_as_earliest],
        "parent": _copy_ref(il.parent),
        "chain": [_copy_ref(o) for o in il.chain],
        "occurrences": [{"doc_id": o.doc_id, "item_id": o.item_id, "label": o.label, "year": o.year, "date": o.date,
                         "region": o.region, "issuer": o.issuer, "level": o.level,
                         "similarity": round(o.similarity, 4), "relation": o.relation, "direct": o.direct,
                         "text": o.text}
                        for o in il.occurrences],
    }


def lineage_copy_records(il) -> list[dict]:
    """One row per copy of the item (CSV: a spreadsheet's flat table): the item, then the copy."""
    ref = lambda o: o.doc_id if o is not None else ""  # noqa: E731
    return [{"type": "copy", "doc_id": il.doc_id, "item_id": il.item_id, "label": il.label, "year": il.year,
             "date": il.date, "earliest_doc_id": ref(il.earliest), "parent_doc_id": ref(il.parent),
             "copy_doc_id": o.doc_id, "copy_item_id": o.item_id, "copy_year": o.year, "copy_date": o.date,
             "copy_region": o.region, "copy_issuer": o.issuer, "level": o.level, "similarity": round(o.similarity, 4),
             "relation": o.relation, "direct": o.direct, "is_parent": il.parent is not None and o.item_id == il.parent.item_id,
             "text": il.text, "copy_text": o.text}
            for o in il.occurrences]


def lineage_edge_record(e) -> dict:
    return {"type": "edge", "source": e.source, "target": e.target, "items": e.items, "chars": e.chars,
            **{f"items_{lv}": e.by_level.get(lv, 0) for lv in ("verbatim", "edited", "disguised", "reworded")},
            "same_period": e.same_period, "median_lag": e.median_lag}


def lineage_role_record(r) -> dict:
    return {"type": "node", "node": r.node, "first_seen_copied": r.first_seen_copied, "taken": r.taken,
            "carried": r.carried, "top_sources": [{"node": n, "items": k} for n, k in r.top_sources],
            "top_followers": [{"node": n, "items": k} for n, k in r.top_followers], "median_lag": r.median_lag}
