"""The diffusion graph as one self-contained SVG: issuers laid out left to right by the first year of
their documents, edges weighted by the items copied along them. No script, no font or file to fetch
(the web page and `lineage --graph --html` embed the same picture).

Layout: one column per year (nodes of unknown year in a last column), nodes in a column ordered by
how much they copy and are copied (the busiest on top), at most `max_nodes` drawn (the busiest),
the rest said in a note. A directed edge is a curve with an arrowhead, its width by items; a
same-period pair is a dashed line without arrowheads (the two could not be ordered); an issuer's
copies of its own earlier documents are not drawn (the table lists them).
"""
from __future__ import annotations

import math
from html import escape

from .i18n import _, ngettext

COLUMN_WIDTH = 190
ROW_HEIGHT = 34
MARGIN = 40
LABEL_CHARS = 10


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"


def diffusion_svg(graph, max_nodes: int = 60, max_edges: int = 200) -> str:
    """The graph (lineage.DiffusionGraph) as an inline <svg> element (a string of markup)."""
    edges = [e for e in graph.edges if not e.is_self]
    weight: dict[str, int] = {}
    for e in edges:
        weight[e.source] = weight.get(e.source, 0) + e.items
        weight[e.target] = weight.get(e.target, 0) + e.items
    nodes = sorted(weight, key=lambda n: (-weight[n], n))[:max_nodes]
    shown = set(nodes)
    edges = [e for e in edges if e.source in shown and e.target in shown][:max_edges]
    if not nodes:
        empty = _("No copies between different issuers here.")
        return f'<p class="diffusion-empty">{escape(empty)}</p>'

    years = sorted({graph.node_year.get(n) for n in nodes if graph.node_year.get(n) is not None})
    columns: dict[object, list[str]] = {y: [] for y in years}
    unknown = [n for n in nodes if graph.node_year.get(n) is None]
    for n in nodes:
        y = graph.node_year.get(n)
        if y is not None:
            columns[y].append(n)
    keys: list[object] = list(years) + (["?"] if unknown else [])
    if unknown:
        columns["?"] = unknown
    pos: dict[str, tuple[float, float]] = {}
    for c, key in enumerate(keys):
        for r, n in enumerate(columns[key]):
            pos[n] = (MARGIN + c * COLUMN_WIDTH + 60, MARGIN + 30 + r * ROW_HEIGHT)
    width = MARGIN * 2 + max(1, len(keys)) * COLUMN_WIDTH
    height = MARGIN + 30 + max(len(v) for v in columns.values()) * ROW_HEIGHT + MARGIN
    top = max((e.items for e in edges), default=1)
    name = _("who copies whom")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="diffusion" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(name)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
             'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a6fa5"/></marker></defs>']
    for c, key in enumerate(keys):
        x = MARGIN + c * COLUMN_WIDTH + 60
        label = str(key) if key != "?" else _("year unknown")
        parts.append(f'<text class="year" x="{x}" y="{MARGIN}" text-anchor="middle" font-size="13" '
                     f'fill="#555">{escape(label)}</text>')
    for e in edges:
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        w = 1 + 5 * math.sqrt(e.items / top)
        title = (_("{source} and {target}: {n} items of the same period (not ordered)") if e.same_period
                 else _("{source} → {target}: {n} items")).format(source=e.source, target=e.target, n=e.items)
        if e.same_period:
            parts.append(f'<line class="edge same-period" x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
                         f'stroke="#c47f00" stroke-width="{w:.1f}" stroke-dasharray="6 4" opacity="0.8">'
                         f'<title>{escape(title)}</title></line>')
            continue
        if x1 == x2:  # one year's column: bow out to the left (the labels are on the right)
            mx, my = x1 - 40 - abs(y2 - y1) * 0.3, (y1 + y2) / 2
        else:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - (y2 - y1) * 0.15 - 12
        # end short of the target's circle, so that the arrowhead shows
        dx, dy = x2 - mx, y2 - my
        d = math.hypot(dx, dy) or 1.0
        x2, y2 = x2 - dx / d * 8, y2 - dy / d * 8
        parts.append(f'<path class="edge" d="M{x1:.0f},{y1:.0f} Q{mx:.0f},{my:.0f} {x2:.0f},{y2:.0f}" fill="none" '
                     f'stroke="#4a6fa5" stroke-width="{w:.1f}" opacity="0.7" marker-end="url(#arrow)">'
                     f'<title>{escape(title)}</title></path>')
    for n in nodes:
        x, y = pos[n]
        parts.append(f'<g class="node"><circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="#fff" stroke="#333"/>'
                     f'<text x="{x + 9:.0f}" y="{y + 4:.0f}" font-size="12" fill="#222">{escape(_short(n))}</text>'
                     f'<title>{escape(n)}</title></g>')
    parts.append("</svg>")
    more = len(weight) - len(nodes)
    said = ngettext("{n} more node not drawn (the table lists it)", "{n} more nodes not drawn (the table lists them)",
                    more).format(n=more)
    note = f'<p class="diffusion-note">{escape(said)}</p>' if more > 0 else ""
    return "".join(parts) + note
