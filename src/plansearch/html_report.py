"""A comparison as one self-contained HTML page: summary, then A and B side by side.

Inline CSS only, no scripts, fonts, images or links to fetch, so the file can be mailed or opened
offline. Deletions are red and struck through on A's side, insertions green on B's side; B's
sentences found verbatim in A are underlined.
"""
from __future__ import annotations

import os
from html import escape
from pathlib import Path

from .compare import Comparison
from .models import Alignment, DiffOp, Item
from .records import item_label

_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       margin: 1.5em; color: #222; line-height: 1.6; }
h1 { font-size: 1.3em; margin-bottom: .2em; }
.docs td { padding: 0 1em .2em 0; vertical-align: top; }
.summary { background: #f6f6f6; border: 1px solid #ddd; padding: .6em 1em; margin: 1em 0; }
.counts span { display: inline-block; margin-right: 1.2em; font-weight: bold; }
table.cmp { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.cmp th, table.cmp td { border-top: 1px solid #ddd; padding: .4em .6em; vertical-align: top;
                             text-align: left; }
table.cmp td.status { width: 6.5em; font-weight: bold; }
.where { color: #267; font-size: .85em; display: block; }
.sim { color: #777; font-size: .8em; display: block; font-weight: normal; }
del { color: #b00; background: #fdd; }
ins { color: #060; background: #dfd; text-decoration: none; }
u { text-decoration-color: #07a; text-decoration-thickness: 2px; }
.same { color: #888; } .edited { color: #a60; } .rewritten { color: #82a; }
.new { color: #070; } .dropped { color: #b00; }
tr.new td.b { background: #f3fbf3; } tr.dropped td.a { background: #fdf3f3; }
tr.same td.a, tr.same td.b { color: #666; }
ol.runs li { margin-bottom: .3em; }
"""


def _where(items: tuple[Item, ...]) -> str:
    if not items:
        return ""
    first = items[0]
    labels = "+".join(item_label(it) for it in items)
    path = escape(first.path_str)
    return f'<span class="where">{path}{" › " if path else ""}{escape(labels)}</span>'


def _text(items: tuple[Item, ...]) -> str:
    return "\n".join(it.text for it in items)


def _diff_sides(ops: tuple[DiffOp, ...]) -> tuple[str, str]:
    a, b = [], []
    for op in ops:
        if op.tag == "equal":
            a.append(escape(op.a_text))
            b.append(escape(op.b_text))
            continue
        if op.a_text:
            a.append(f"<del>{escape(op.a_text)}</del>")
        if op.b_text:
            b.append(f"<ins>{escape(op.b_text)}</ins>")
    return "".join(a), "".join(b)


def _underlined(al: Alignment) -> str:
    """B's text with its verbatim sentences underlined (per B item, in order)."""
    parts = []
    for it in al.b_items:
        spans = sorted((m.start, m.end) for m in al.verbatim_sentences if m.b_ordinal == it.ordinal)
        pos, out = 0, []
        for s, e in spans:
            out.append(escape(it.text[pos:s]))
            out.append(f"<u>{escape(it.text[s:e])}</u>")
            pos = e
        out.append(escape(it.text[pos:]))
        parts.append("".join(out))
    return "\n".join(parts)


def _row(al: Alignment) -> str:
    if al.status == "edited" and al.diff:
        a_html, b_html = _diff_sides(al.diff)
    else:
        a_html = escape(_text(al.a_items))
        b_html = _underlined(al) if al.b_items else ""
        if al.status == "dropped":
            a_html = f"<del>{a_html}</del>"
    sims = ""
    if al.a_items and al.b_items:
        sims = f"chars {al.char_similarity:.2f}"
        if al.semantic_similarity is not None:
            sims += f" · cos {al.semantic_similarity:.3f}"
        sims = f'<span class="sim">{sims}</span>'
    br = lambda h: h.replace("\n", "<br>")  # noqa: E731 - item texts keep their line breaks
    return (f'<tr class="{al.status}"><td class="status {al.status}">{al.status}{sims}</td>'
            f'<td class="a">{_where(al.a_items)}{br(a_html)}</td>'
            f'<td class="b">{_where(al.b_items)}{br(b_html)}</td></tr>')


def comparison_html(cmp: Comparison) -> str:
    from .metadata import year_label
    from .render import compare_summary_line

    s = cmp.summary
    counts = "".join(f'<span class="{k}">{k} {v}</span>' for k, v in s.counts.items())
    runs = "".join(f"<li>{r.chars} chars, B {escape(item_label(cmp.b.items[r.b_ordinal]))}: "
                   f"{escape(r.text)}</li>" for r in s.longest_runs)
    rows = "\n".join(_row(al) for al in cmp.alignments)
    title = f"{cmp.a.title or cmp.a.doc_id} → {cmp.b.title or cmp.b.doc_id}"
    return page(title, _CSS, f"""<h1>plansearch compare</h1>
<table class="docs">
<tr><td><b>A</b></td><td>{escape(cmp.a.doc_id)}</td><td>{escape(cmp.a.title)}</td><td>{escape(year_label(cmp.a))}</td></tr>
<tr><td><b>B</b></td><td>{escape(cmp.b.doc_id)}</td><td>{escape(cmp.b.title)}</td><td>{escape(year_label(cmp.b))}</td></tr>
</table>
<div class="summary">
<div class="counts">{counts}</div>
<p>{escape(compare_summary_line(cmp))}</p>
{f'<p>Longest verbatim runs:</p><ol class="runs">{runs}</ol>' if runs else ''}
</div>
<table class="cmp">
<thead><tr><th style="width:6.5em">status</th><th>A: {escape(cmp.a.title or cmp.a.doc_id)}</th><th>B: {escape(cmp.b.title or cmp.b.doc_id)}</th></tr></thead>
<tbody>
{rows}
</tbody></table>
""")


def write_html(cmp: Comparison, path: str | os.PathLike) -> Path:
    out = Path(path)
    out.write_text(comparison_html(cmp), encoding="utf-8")
    return out


def page(title: str, css: str, body: str) -> str:
    """One self-contained HTML page (compare's and check's reports): inline CSS, nothing to fetch."""
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8">
<title>{escape(title)}</title>
<style>{css}</style></head>
<body>
{body}</body></html>
"""
