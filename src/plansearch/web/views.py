"""What templates show, made from records (plansearch.records): marked text as segments, the outline
as a tree, a comparison's sides with their diff, a 查重 passage's sides with what was swapped, the
copied share of a text by level.

Templates only print what these give them (autoescaped); offsets come from the records (a hit's
`match` and `highlights`, an alignment's `diff` and `verbatim_sentences`, a reuse location's span,
a check passage's `ops` and `checked_start` / `checked_end`) and are never re-derived from the text.
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
    word (or a passage being pointed at), `kind` del / ins / u in a comparison, synonym / variable
    in a 查重 passage, or a check level (verbatim / disguised / paraphrased) in an item; `title`
    what a tooltip says about it."""

    text: str
    best: bool = False
    mark: bool = False
    kind: str = ""
    title: str = ""


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


def passage_span_in_doc(doc: Document, item: Item, start: int, end: int) -> tuple[int, int]:
    """A passage [start, end) of `item.text` as offsets into `doc.text` (what a document page's
    `mark` takes; passage_in_item is the way back); the whole item's span when its characters
    cannot be lined up with the document."""
    offsets = item_offsets(doc, item)
    if offsets is None or not 0 <= start < end <= len(offsets):
        return item.start, item.end
    return offsets[start], offsets[end - 1] + 1


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


# --- check --------------------------------------------------------------------------------------

def passage_sides(rec: dict) -> tuple[list[Segment], list[Segment]]:
    """The checked and the source side of a check passage record, from its `ops`: a swapped synonym
    and a changed year / number / place marked on both sides (the tooltip names the pair), text
    only the source has as deleted, text only the checked document has as inserted."""
    checked, source = [], []
    for op in rec["ops"]:
        tag, src, chk = op["op"], op["source"], op["checked"]
        if tag == "equal":
            checked.append(Segment(chk))
            source.append(Segment(src))
        elif tag in ("synonym", "variable"):
            title = f"{src} → {chk}"
            checked.append(Segment(chk, kind=tag, title=title))
            source.append(Segment(src, kind=tag, title=title))
        else:  # replace / insert / delete
            if src:
                source.append(Segment(src, kind="del"))
            if chk:
                checked.append(Segment(chk, kind="ins"))
    return [x for x in checked if x.text], [x for x in source if x.text]


_LEVEL_RANK = {"paraphrased": 1, "disguised": 2, "verbatim": 3}


def level_segments(text: str, spans: Sequence[tuple[int, int, str]]) -> list[Segment]:
    """`text` cut at the passages found in it ([start, end) offsets into `text` and a level), each
    character marked with the highest level of the passages holding it (as check counts it)."""
    cuts = {0, len(text)} | {x for a, b, _ in spans for x in (a, b) if 0 < x < len(text)}
    edges = sorted(cuts)
    out: list[Segment] = []
    for a, b in zip(edges, edges[1:]):
        levels = [lv for s, e, lv in spans if s <= a < e]
        kind = max(levels, key=_LEVEL_RANK.__getitem__) if levels else ""
        if out and out[-1].kind == kind:
            out[-1].text += text[a:b]
        else:
            out.append(Segment(text[a:b], kind=kind))
    return out


def level_bar(by_level: dict, label: str, width: int = 120, height: int = 10) -> Markup:
    """A share split by level as a small stacked bar (inline SVG: sizes are attributes, so the
    page's Content-Security-Policy, which allows no inline style, lets it through)."""
    parts = [f'<svg class="levels" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(label)}">',
             f'<title>{escape(label)}</title><rect class="lv-none" width="{width}" height="{height}"/>']
    x = 0.0
    for level in ("verbatim", "disguised", "paraphrased"):
        w = round(width * max(0.0, min(1.0, by_level.get(level, 0.0))), 2)
        if w > 0:
            parts.append(f'<rect class="lv-{level}" x="{x:.2f}" width="{w}" height="{height}"/>')
            x += w
    parts.append("</svg>")
    return Markup("".join(parts))
