"""What templates show, made from records (plansearch.records): marked text as segments, the outline
as a tree, a comparison's sides with their diff, the per-year chart as SVG.

Templates only print what these give them (autoescaped); offsets come from the records (a hit's
`match` and `highlights`, an alignment's `diff` and `verbatim_sentences`, a reuse location's span)
and are never re-derived from the text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Sequence

from markupsafe import Markup

from ..models import Document, Item
from ..records import excerpt_bounds

EXCERPT_CHARS = 220  # characters of a long item shown in a hit; the document page shows all


@dataclass
class Segment:
    """A run of text with how it is marked: `best` inside the hit's best sentence, `mark` a query
    word (or a passage being pointed at), `kind` del / ins / u in a comparison."""

    text: str
    best: bool = False
    mark: bool = False
    kind: str = ""


def marked(text: str, match: Sequence[int] | None = None, highlights: Sequence[Sequence[int]] = (),
           lo: int = 0, hi: int | None = None) -> list[Segment]:
    """`text[lo:hi]` cut at every boundary of the best sentence and the highlighted words."""
    hi = len(text) if hi is None else hi
    spans = [(int(a), int(b)) for a, b in highlights]
    cuts = {lo, hi}
    for a, b in spans + ([tuple(match)] if match else []):
        cuts.update(x for x in (a, b) if lo < x < hi)
    edges = sorted(cuts)
    out = []
    for a, b in zip(edges, edges[1:]):
        best = bool(match) and match[0] <= a < match[1]
        mark = any(s <= a < e for s, e in spans)
        if out and out[-1].best == best and out[-1].mark == mark:
            out[-1].text += text[a:b]
        else:
            out.append(Segment(text[a:b], best, mark))
    return out


@dataclass
class Excerpt:
    segments: list[Segment]
    cut_before: bool
    cut_after: bool


def hit_excerpt(rec: dict, width: int = EXCERPT_CHARS) -> Excerpt:
    """A hit record's text around what it matched (records.excerpt_bounds), marked."""
    text = rec["text"]
    highlights = [tuple(s) for s in rec["highlights"]]
    match = tuple(rec["match"]) if rec["match"] else None
    lo, hi = excerpt_bounds(text, width, highlights, match)
    return Excerpt(marked(text, match, highlights, lo, hi), lo > 0, hi < len(text))


# --- documents ----------------------------------------------------------------------------------

def item_offsets(doc: Document, item: Item) -> list[int] | None:
    """For each character of `item.text`, its offset in `doc.text` (the item's text drops the label
    and the line breaks of its span), or None when the two cannot be lined up."""
    span = doc.text[item.start:item.end]
    offsets, j = [], 0
    for ch in item.text:
        k = span.find(ch, j)
        if k < 0:
            return None
        offsets.append(item.start + k)
        j = k + 1
    return offsets


def passage_in_item(doc: Document, item: Item, start: int, end: int) -> tuple[int, int] | None:
    """The part of a passage [start, end) of `doc.text` that lies in `item.text`, as offsets into
    the item's text; the whole item when its characters cannot be lined up with the document."""
    if end <= item.start or start >= item.end:
        return None
    offsets = item_offsets(doc, item)
    if offsets is None:
        return 0, len(item.text)
    inside = [i for i, off in enumerate(offsets) if start <= off < end]
    return (inside[0], inside[-1] + 1) if inside else None


@dataclass
class Branch:
    """A heading of the outline and what stands under it, in reading order."""

    title: str
    children: list = field(default_factory=list)  # Branch or Item


def outline_tree(doc: Document) -> Branch:
    """Headings as branches (from each item's path), items as leaves, like `plansearch outline`."""
    root = Branch(doc.title)
    branches: dict[tuple[str, ...], Branch] = {(): root}
    for it in doc.items:
        for depth in range(1, len(it.path) + 1):
            key = it.path[:depth]
            if key not in branches:
                branches[key] = Branch(key[-1])
                branches[key[:-1]].children.append(branches[key])
        branches[it.path].children.append(it)
    return root


# --- compare ------------------------------------------------------------------------------------

def diff_sides(rec: dict) -> tuple[list[Segment], list[Segment]]:
    """A and B of an alignment record as segments: with a diff, deletions (A) and insertions (B)
    marked; without, B's sentences found verbatim in A underlined."""
    a_items, b_items = rec["a_items"], rec["b_items"]
    if rec["diff"] and a_items and b_items:
        a, b = [], []
        for op in rec["diff"]:
            if op["op"] == "equal":
                a.append(Segment(op["a"]))
                b.append(Segment(op["b"]))
                continue
            if op["a"]:
                a.append(Segment(op["a"], kind="del"))
            if op["b"]:
                b.append(Segment(op["b"], kind="ins"))
        return a, b
    a = [Segment(("\n".join(it["text"] for it in a_items)), kind="del" if not b_items else "")] if a_items else []
    b = []
    for n, it in enumerate(b_items):
        if n:
            b.append(Segment("\n"))
        spans = sorted((m["start"], m["end"]) for m in rec["verbatim_sentences"] if m["b_item_id"] == it["item_id"])
        pos = 0
        for s, e in spans:
            if s < pos:
                continue
            b.append(Segment(it["text"][pos:s]))
            b.append(Segment(it["text"][s:e], kind="u"))
            pos = e
        b.append(Segment(it["text"][pos:]))
    return a, [s for s in b if s.text]


# --- the per-year chart -------------------------------------------------------------------------

@dataclass
class Bar:
    label: str  # under the bar: 2019, 2012–2018, 201X, ?
    count: int | None  # None: a gap (no document for these years)
    title: str = ""  # the tooltip, when it says more than the label


def year_chart_svg(bars: Sequence[Bar], caption: str) -> Markup:
    """A bar chart as inline SVG (no script, no library): one bar per year with documents, a
    hatched slot for each gap, the count above each bar. Labels are escaped here."""
    if not bars:
        return Markup("")
    left, top, plot_h = 34, 22, 150
    slots = [64 if len(b.label) > 5 else 44 for b in bars]
    width = left + sum(slots) + 10
    height = top + plot_h + 30
    peak = max([b.count for b in bars if b.count] or [1])
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(caption)}">',
             f'<title>{escape(caption)}</title>',
             '<defs><pattern id="gap-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>',
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 6}" y2="{top + plot_h}"/>',
             f'<text class="tick" x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
             f'<text class="tick" x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>']
    x0 = left
    for bar, slot in zip(bars, slots):
        x, w = x0 + 5, slot - 10
        x0 += slot
        label, title = escape(bar.label), escape(bar.title or bar.label)
        if bar.count is None:
            parts.append(f'<rect class="gap" x="{x}" y="{top}" width="{w}" height="{plot_h}" '
                         f'fill="url(#gap-hatch)"><title>{title}：无文件</title></rect>')
        else:
            h = round(plot_h * bar.count / peak, 1)
            parts.append(f'<rect class="bar" data-count="{bar.count}" data-label="{label}" x="{x}" '
                         f'y="{top + plot_h - h}" width="{w}" height="{h}"><title>{title}：{bar.count} 条'
                         f'</title></rect>')
            parts.append(f'<text class="count" x="{x + w / 2}" y="{top + plot_h - h - 4}" '
                         f'text-anchor="middle">{bar.count}</text>')
        parts.append(f'<text class="year{" gap-label" if bar.count is None else ""}" x="{x + w / 2}" '
                     f'y="{top + plot_h + 16}" text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
