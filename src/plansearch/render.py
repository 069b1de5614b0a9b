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

    _LABELS = {"embed": "embedding new sentence windows", "write": "writing the index"}

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
                      f"({report.seconds:.1f}s)")
        return
    console.print(f"indexed {report.documents} documents, {report.items} items, {report.windows} sentence "
                  f"windows into {report.index_dir}/ in {report.seconds:.1f}s")
    console.print(f"embedded {report.embedded}, reused {report.reused} from the cache "
                  f"(model {report.model}, {report.vector_kind} vectors)")


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
            cell.append(f"{trim(hit.doc.title if hit.doc else hit.item.doc_id, 30)} ", style="bold")
            cell.append(f"{hit.item.label}", style="magenta")
            cell.append("\n")
            cell.append_text(highlighted(hit.item.text, query, hit.match_span, width=120))
        table.add_row(g.key, cell)
    console.print(table)
