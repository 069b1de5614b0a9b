"""Showing results: rich tables and trees for the terminal, plain records for --json.

Each command's renderers sit in their own block below. JSON record builders (`*_record`) return plain
dicts of stable field names because scripts depend on them.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .models import Document, Item

console = Console()


def year_label(doc: Document) -> str:
    """The year as a reader wants it: 2023, 2021→2022 (review→plan), 201X (masked), or ?."""
    if doc.review_year and doc.plan_year and doc.review_year != doc.plan_year:
        return f"{doc.review_year}→{doc.plan_year}"
    if doc.year:
        return str(doc.year)
    return doc.year_mask or "?"


def trim(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- docs / outline -----------------------------------------------------------------------------

def doc_record(doc: Document) -> dict:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "year": doc.year,
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


def print_docs(docs: list[Document]) -> None:
    table = Table(title=f"{len(docs)} documents", show_lines=False)
    for col in ("id", "title", "year", "region", "issuer", "kind", "items"):
        table.add_column(col, overflow="fold", justify="right" if col == "items" else "left")
    for d in docs:
        marks = "*" if d.overridden else ""
        table.add_row(d.doc_id, trim(d.title, 40), year_label(d) + marks, d.region or "?",
                      d.issuer or "?", d.kind, str(len(d.items)))
    console.print(table)
    if any(d.overridden for d in docs):
        console.print("[dim]* metadata set in manifest.csv[/dim]")


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


def print_outline(doc: Document, width: int = 60) -> None:
    """The document as a tree: headings as branches, items as leaves (label + start of text)."""
    root = Tree(Text(f"{doc.doc_id}  {doc.title}  [{year_label(doc)}]", style="bold"))
    branches: dict[tuple[str, ...], Tree] = {(): root}
    for it in doc.items:
        for depth in range(1, len(it.path) + 1):
            key = it.path[:depth]
            if key not in branches:
                branches[key] = branches[key[:-1]].add(Text(key[-1], style="cyan"))
        leaf = Text()
        if it.label:
            leaf.append(it.label, style="bold magenta")
        leaf.append(trim(it.text, width))
        if it.subpoints:
            leaf.append(f"  ({len(it.subpoints)} sub-points)", style="dim")
        branches[it.path].add(leaf)
    console.print(root)


# --- index / search ------------------------------------------------------------------------------

class IndexProgress:
    """A rich progress bar fed by build_index's progress(stage, done, total) callback."""

    _LABELS = {"keyword": "building the keyword index", "embed": "embedding new sentence windows",
               "write": "writing the index"}

    def __init__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self._progress.__exit__(*exc)

    def update(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(self._LABELS.get(stage, stage), total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


def print_index_report(report) -> None:
    if report.up_to_date:
        console.print(f"index in {report.index_dir}/ is up to date: {report.documents} documents, "
                      f"{report.items} items, {report.windows} sentence windows; nothing to embed "
                      f"({report.seconds:.1f}s)", soft_wrap=True)
        return
    console.print(f"indexed {report.documents} documents, {report.items} items, {report.windows} sentence "
                  f"windows into {report.index_dir}/ in {report.seconds:.1f}s", soft_wrap=True)
    console.print(f"embedded {report.embedded}, reused {report.reused} from the cache "
                  f"(model {report.model}, {report.vector_kind} vectors)", soft_wrap=True)


def hit_record(hit) -> dict:
    """One search hit for --json. Scripts depend on these names."""
    doc, it = hit.doc, hit.item
    return {
        "rank": hit.rank, "score": round(hit.score, 6),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 6),
        "keyword_score": None if hit.keyword_score is None else round(hit.keyword_score, 6),
        "doc_id": it.doc_id, "item_id": it.item_id, "title": doc.title if doc else None,
        "year": doc.year if doc else None, "year_label": year_label(doc) if doc else None,
        "region": doc.region if doc else None, "issuer": doc.issuer if doc else None,
        "kind": doc.kind if doc else None, "path": list(it.path), "label": it.label, "text": it.text,
        "match": list(hit.match_span) if hit.match_span else None,
        "source": doc.source if doc else None,
    }


def highlighted(text: str, query: str, match_span: tuple[int, int] | None, width: int = 240) -> Text:
    """The item in its original script: the best-matching sentence underlined, the query's terms
    (found through normalised text, so 留守儿童 lights up 留守兒童) in bold yellow, trimmed to
    `width` characters around the match."""
    from .keyword import matched_terms
    from .normalise import normalise, normalise_with_map

    lo, hi = 0, len(text)
    if len(text) > width:
        centre = (match_span[0] + match_span[1]) // 2 if match_span else 0
        lo = max(0, min(centre - width // 2, len(text) - width))
        hi = lo + width
    out = Text("…" if lo else "")
    body = Text(text[lo:hi].replace("\n", " "))
    if match_span:
        a, b = max(match_span[0], lo) - lo, min(match_span[1], hi) - lo
        if b > a:
            body.stylize("underline", a, b)
    norm, offsets = normalise_with_map(text[lo:hi])
    terms = [t for t in matched_terms(normalise(query)) if len(t) >= 2]
    for t in terms:
        start = norm.find(t)
        while start >= 0:
            body.stylize("bold yellow", offsets[start], offsets[start + len(t) - 1] + 1)
            start = norm.find(t, start + 1)
    out.append_text(body)
    if hi < len(text):
        out.append("…")
    return out


def _hit_header(hit) -> Text:
    doc = hit.doc
    head = Text()
    head.append(f"{hit.rank:>2}. ", style="bold")
    head.append(f"{hit.score:.3f}  ", style="dim")
    if doc is not None:
        head.append(f"{year_label(doc)}  ", style="green")
        head.append(f"{doc.region or '?'}  ", style="green")
        head.append(f"{trim(doc.title or doc.doc_id, 40)}  ", style="bold")
    head.append(f"[{hit.item.doc_id}]", style="dim")
    return head


def print_hits(query: str, hits: list) -> None:
    for hit in hits:
        console.print(_hit_header(hit))
        path = hit.item.path_str
        if path or hit.item.label:
            console.print(Text(f"    {path}{' › ' if path else ''}{hit.item.label}", style="cyan"))
        line = Text("    ")
        line.append_text(highlighted(hit.item.text, query, hit.match_span))
        console.print(line)


def print_hit_groups(query: str, by: str, groups: list) -> None:
    table = Table(title=f"{query}: best matches per {by}", show_lines=True)
    table.add_column(by, style="green", no_wrap=True)
    table.add_column("matches")
    for g in groups:
        if not g.hits:
            table.add_row(g.key, Text(g.note or "no matches", style="dim italic"))
            continue
        cell = Text()
        for i, hit in enumerate(g.hits):
            if i:
                cell.append("\n")
            cell.append(f"{hit.score:.3f} ", style="dim")
            cell.append(f"{trim((hit.doc.title if hit.doc else '') or hit.item.doc_id, 30)} ", style="bold")
            cell.append(f"{hit.item.label}", style="magenta")
            cell.append("\n")
            cell.append_text(highlighted(hit.item.text, query, hit.match_span, width=120))
        table.add_row(g.key, cell)
    console.print(table)


# --- reuse ---------------------------------------------------------------------------------------

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
    """One reused passage for --json. Scripts depend on these names."""
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


def _location_line(loc, doc: Document | None) -> Text:
    line = Text("    ")
    line.append(loc.doc_id, style="bold")
    if doc is not None:
        line.append(f" ({year_label(doc)}{', ' + doc.region if doc.region else ''})", style="green")
        items = [doc.items[o] for o in loc.item_ordinals]
        if items:
            first = items[0]
            if first.label:
                line.append(f" · {first.label}", style="magenta")
            if first.path:
                line.append(f" · {trim(first.path_str, 50)}", style="cyan")
            if len(items) > 1:
                more = len(items) - 1
                line.append(f" (+{more} item{'s' if more > 1 else ''})", style="dim")
    line.append(f"  [{loc.start}:{loc.end}]", style="dim")
    return line


def print_reuse(report, docs_by_id: dict[str, Document], top: int, width: int = 100) -> None:
    clusters = report.clusters[:top]
    if not clusters:
        console.print(f"no passage of {report.min_chars}+ characters recurs across the {report.n_docs} "
                      f"documents" + ("" if report.across == "any" else f" (across {report.across})"))
    else:
        console.print(Text(f"{len(report.clusters)} reused passages across {report.n_docs} documents"
                           f"{'' if report.across == 'any' else ' (across ' + report.across + ')'}; "
                           f"top {len(clusters)} by length × documents × rarity", style="bold"))
    for rank, c in enumerate(clusters, 1):
        head = Text()
        head.append(f"{rank:>2}. ", style="bold")
        head.append(f"score {c.score:.0f}  ", style="dim")
        head.append(f"{c.n_docs} docs  {c.chars} chars", style="yellow")
        console.print(head)
        console.print(Text("    " + trim(c.text, width)))
        for loc in c.locations:
            console.print(_location_line(loc, docs_by_id.get(loc.doc_id)))
    if not report.doc_shares:
        return
    table = Table(title="share of each document found elsewhere (verbatim runs)")
    for col, just in (("document", "left"), ("year", "left"), ("chars", "right"), ("in earlier", "right"),
                      ("in any other", "right"), ("top sources", "left")):
        table.add_column(col, justify=just, overflow="fold")
    for s in report.doc_shares:
        doc = docs_by_id.get(s.doc_id)
        sources = ", ".join(f"{x.doc_id} {x.share:.1%}" for x in s.sources) or "-"
        table.add_row(s.doc_id, year_label(doc) if doc else "?", str(s.chars), f"{s.share_earlier:.1%}",
                      f"{s.share_any:.1%}", sources)
    console.print(table)


# --- compare -------------------------------------------------------------------------------------

_STATUS_STYLE = {"same": "dim", "edited": "yellow", "rewritten": "magenta", "new": "green",
                 "dropped": "red"}


def compare_summary_line(cmp) -> str:
    """One line a reader (and a report) can quote: counts, verbatim share, sentences, time."""
    s = cmp.summary
    counts = " · ".join(f"{k} {v}" for k, v in s.counts.items())
    sem = "with semantics" if cmp.semantic else "no semantics"
    return (f"{counts} | {s.verbatim_share:.1%} of B verbatim in A | "
            f"{s.sentences_verbatim}/{s.sentences} B sentences verbatim in A | "
            f"{cmp.seconds:.2f} s, {sem}")


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


def diff_text(ops) -> Text:
    """A character diff as one line: deletions red struck through, insertions green."""
    out = Text()
    for op in ops:
        if op.tag == "equal":
            out.append(op.b_text)
        else:
            if op.a_text:
                out.append(op.a_text, style="red strike")
            if op.b_text:
                out.append(op.b_text, style="bold green")
    return out


def _items_label(items) -> str:
    if not items:
        return "—"
    first = items[0]
    labels = "+".join(it.label or f"¶{it.ordinal + 1}" for it in items)
    return f"{first.path_str + ' › ' if first.path else ''}{labels}"


def _marked_sentences(text: str, spans, width: int) -> Text:
    """`text` (trimmed to `width`) with the given [start, end) spans underlined."""
    body = Text(text[:width].replace("\n", " "))
    for s, e in spans:
        if s < width:
            body.stylize("underline cyan", s, min(e, width))
    if len(text) > width:
        body.append("…")
    return body


def print_comparison(cmp, statuses, width: int = 240) -> None:
    s = cmp.summary
    console.print(Text(f"A  {cmp.a.doc_id}  {cmp.a.title}  [{year_label(cmp.a)}]", style="bold"))
    console.print(Text(f"B  {cmp.b.doc_id}  {cmp.b.title}  [{year_label(cmp.b)}]", style="bold"))
    line = Text()
    for k, v in s.counts.items():
        line.append(f"{k} {v}  ", style=_STATUS_STYLE[k])
    console.print(line)
    console.print(f"{s.verbatim_share:.1%} of B's characters stand verbatim in A "
                  f"(runs ≥ {cmp.thresholds.run_min}); {s.sentences_verbatim}/{s.sentences} "
                  f"B sentences verbatim in A; {cmp.seconds:.2f} s"
                  f"{'' if cmp.semantic else ', no semantics (rewritten not detected)'}")
    if s.longest_runs:
        table = Table(title="longest verbatim runs", show_header=True, box=None)
        table.add_column("chars", justify="right")
        table.add_column("B item")
        table.add_column("text", overflow="fold")
        for r in s.longest_runs:
            table.add_row(str(r.chars), cmp.b.items[r.b_ordinal].label or f"¶{r.b_ordinal + 1}",
                          trim(r.text, 60))
        console.print(table)
    console.print()
    for al in cmp.alignments:
        if al.status not in statuses:
            continue
        head = Text()
        head.append(f"{al.status:<9}", style="bold " + _STATUS_STYLE[al.status])
        head.append(f" A {_items_label(al.a_items)}", style="cyan")
        head.append("  →  ")
        head.append(f"B {_items_label(al.b_items)}", style="cyan")
        if al.a_items and al.b_items:
            head.append(f"  chars {al.char_similarity:.2f}", style="dim")
            if al.semantic_similarity is not None:
                head.append(f"  cos {al.semantic_similarity:.3f}", style="dim")
        console.print(head)
        b_text = "\n".join(it.text for it in al.b_items)
        if al.status == "same":
            console.print(Text("    ").append(trim(b_text, width), style="dim"))
        elif al.status == "edited":
            console.print(Text("    ").append_text(diff_text(al.diff)))
        elif al.status == "rewritten":
            a_text = "\n".join(it.text for it in al.a_items)
            console.print(Text("    A ").append(trim(a_text, width), style="red"))
            spans = [(m.start, m.end) for m in al.verbatim_sentences
                     if len(al.b_items) == 1]
            console.print(Text("    B ").append_text(_marked_sentences(b_text, spans, width)))
        elif al.status == "new":
            spans = [(m.start, m.end) for m in al.verbatim_sentences]
            line = Text("    ")
            line.append_text(_marked_sentences(b_text, spans, width))
            line.stylize("green", 4, 4 + min(len(b_text), width))
            console.print(line)
        else:  # dropped
            a_text = "\n".join(it.text for it in al.a_items)
            console.print(Text("    ").append(trim(a_text, width), style="red strike"))
