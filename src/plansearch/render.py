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
