"""A comparison as one self-contained HTML page: summary, contents, then A and B side by side.

One file, nothing to fetch (no fonts, images, links or CDN scripts), so it can be mailed or opened
offline. A little inline script adds what a long report needs: a status filter and "next / previous
change" (buttons, or the n / p keys); without it every row simply shows. Deletions are red on A's
side (struck through inside an edit; a dropped paragraph is red, not struck through whole, so it can
be read), insertions green on B's side; B's sentences found verbatim in A are underlined. Rewritten
and related pairs are shown sentence by sentence. Every piece of document text is escaped.
"""
from __future__ import annotations

import os
import time
from html import escape
from pathlib import Path

from .compare import STATUSES, Comparison
from .i18n import _, get_lang, term
from .models import Alignment, DiffOp, Document, Item, SentencePair
from .metadata import year_label
from .records import item_label, items_label
from .render import compare_summary_line

# Named CJK faces first (Linux, macOS, Windows, Android), then the generic family: a page opened
# where none is installed still finds the system's fallback instead of showing boxes.
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
              '"Microsoft YaHei", "WenQuanYi Micro Hei", "Droid Sans Fallback", sans-serif')

_CSS = """
body { font-family: %s;
       margin: 1.5em; color: #222; line-height: 1.6; }
h1 { font-size: 1.3em; margin-bottom: .2em; }
h2 { font-size: 1.05em; margin: 1em 0 .3em; }
.docs td { padding: 0 1em .2em 0; vertical-align: top; }
.summary { background: #f6f6f6; border: 1px solid #ddd; padding: .6em 1em; margin: 1em 0; }
.filter label { display: inline-block; margin-right: 1.2em; font-weight: bold; cursor: pointer; }
.toc { columns: 2 24em; margin: .3em 0 1em; padding-left: 1.4em; }
.toc li { break-inside: avoid; }
.toc .n { color: #777; font-size: .85em; }
.nav { position: fixed; right: 1em; bottom: 1em; background: #fff; border: 1px solid #ccc;
       padding: .3em .5em; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.nav button { font: inherit; margin: 0 .15em; }
table.cmp { border-collapse: collapse; width: 100%%; table-layout: fixed; }
table.cmp th, table.cmp td { border-top: 1px solid #ddd; padding: .4em .6em; vertical-align: top;
                             text-align: left; }
table.cmp th.status, table.cmp td.status { width: 7em; font-weight: bold; }
tr.current td { outline: 2px solid #07a; }
.where { color: #267; font-size: .85em; display: block; }
.sim { color: #777; font-size: .8em; display: block; font-weight: normal; }
del { color: #b00; background: #fdd; }
ins { color: #060; background: #dfd; text-decoration: none; }
.gone { color: #b00; }
u { text-decoration-color: #07a; text-decoration-thickness: 2px; }
.s { display: block; margin-bottom: .2em; }
.s.same { color: #777; } .s.new { color: #060; background: #f0faf0; }
.s.dropped { color: #b00; background: #fdf3f3; }
.same { color: #888; } .edited { color: #a60; } .rewritten { color: #82a; } .related { color: #36b; }
.new { color: #070; } .dropped { color: #b00; }
tr.new td.b { background: #f3fbf3; } tr.dropped td.a { background: #fdf3f3; }
tr.same td.a, tr.same td.b { color: #666; }
ol.runs li { margin-bottom: .3em; }
@media print { body { margin: 0; font-size: 10pt; } .nav, .filter { display: none; }
               tr { break-inside: avoid; page-break-inside: avoid; } thead { display: table-header-group; }
               h2 { break-after: avoid; } }
%s
""" % (FONT_STACK, "\n".join(f"body.hide-{s} tr.{s} {{ display: none; }}" for s in STATUSES))

# Status filter and next/previous change; the page works (all rows shown) without it.
_SCRIPT = """
(function () {
  var body = document.body;
  document.querySelectorAll('input.flt').forEach(function (cb) {
    cb.addEventListener('change', function () { body.classList.toggle('hide-' + cb.value, !cb.checked); });
  });
  var current = null;
  function jump(dir) {
    var rows = Array.prototype.filter.call(document.querySelectorAll('tr.change'),
                                           function (r) { return r.offsetParent !== null; });
    if (!rows.length) return;
    var target = null;
    if (dir > 0) {
      target = rows.find(function (r) { return r.getBoundingClientRect().top > 8; });
    } else {
      target = rows.slice().reverse().find(function (r) { return r.getBoundingClientRect().top < -8; });
    }
    if (!target) return;
    if (current) current.classList.remove('current');
    target.classList.add('current');
    current = target;
    target.scrollIntoView({block: 'start'});
  }
  document.getElementById('next').addEventListener('click', function () { jump(1); });
  document.getElementById('prev').addEventListener('click', function () { jump(-1); });
  document.addEventListener('keydown', function (e) {
    if (e.target.tagName === 'INPUT' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'n' || e.key === 'j') jump(1);
    if (e.key === 'p' || e.key === 'k') jump(-1);
  });
})();
"""


def _where(items: tuple[Item, ...]) -> str:
    if not items:
        return ""
    return f'<span class="where">{escape(items_label(items))}</span>'


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


def _sentence_sides(pairs: tuple[SentencePair, ...], a: Document, b: Document) -> tuple[str, str]:
    """A rewritten / related pair sentence by sentence: on each side its own sentences in order,
    kept ones grey, reworded ones with their character diff, B's new ones green, A's gone red."""
    a_out, b_out = [], []
    for p in pairs:
        a_text = a.items[p.a_ordinal].text[p.a_start:p.a_end] if p.a_ordinal is not None else ""
        b_text = b.items[p.b_ordinal].text[p.b_start:p.b_end] if p.b_ordinal is not None else ""
        if p.status == "reworded":
            a_html, b_html = _diff_sides(p.diff)
        else:
            a_html, b_html = escape(a_text), escape(b_text)
        if a_text:
            a_out.append(f'<span class="s {p.status}">{a_html}</span>')
        if b_text:
            b_out.append(f'<span class="s {p.status}">{b_html}</span>')
    return "".join(a_out), "".join(b_out)


def _row(al: Alignment, n: int, cmp: Comparison) -> str:
    if al.status == "edited" and al.diff:
        a_html, b_html = _diff_sides(al.diff)
    elif al.sentences:
        a_html, b_html = _sentence_sides(al.sentences, cmp.a, cmp.b)
    else:
        a_html = escape(_text(al.a_items))
        b_html = _underlined(al) if al.b_items else ""
        if al.status == "dropped":
            a_html = f'<span class="gone">{a_html}</span>'
    sims = ""
    if al.a_items and al.b_items:
        sims = _("chars {similarity:.2f}").format(similarity=al.char_similarity)
        if al.semantic_similarity is not None:
            sims += f" · cos {al.semantic_similarity:.3f}"
        if al.sentence_share is not None:
            sims += " · " + _("{share:.0%} of B's sentences kept or reworded").format(share=al.sentence_share)
        sims = f'<span class="sim">{sims}</span>'
    br = lambda h: h.replace("\n", "<br>")  # noqa: E731 - item texts keep their line breaks
    change = " change" if al.status != "same" else ""
    said = escape(term(al.status))
    return (f'<tr id="al{n}" class="{al.status}{change}"><td class="status {al.status}">{said}{sims}</td>'
            f'<td class="a">{_where(al.a_items)}{br(a_html)}</td>'
            f'<td class="b">{_where(al.b_items)}{br(b_html)}</td></tr>')


def _contents(cmp: Comparison) -> str:
    """One entry per section of B (its first two heading levels), in the order the rows run,
    linking to its first row, with what changed under it. A dropped item counts under the B
    section it is listed in (its own heading is A's, and would cut B's sections into pieces)."""
    entries: list[tuple[str, int, dict[str, int]]] = []
    for n, al in enumerate(cmp.alignments):
        sec = " › ".join(al.b_items[0].path[:2]) if al.b_items else None
        if not entries or (sec is not None and entries[-1][0] != sec):
            entries.append((sec or "", n, {}))
        counts = entries[-1][2]
        counts[al.status] = counts.get(al.status, 0) + 1
    if len(entries) < 2:
        return ""
    lis = []
    before, unchanged, contents = _("(before the first heading)"), _("unchanged"), _("Contents")
    for sec, n, counts in entries:
        what = ", ".join(f"{term(s)} {counts[s]}" for s in STATUSES if s != "same" and counts.get(s))
        lis.append(f'<li><a href="#al{n}">{escape(sec or before)}</a> '
                   f'<span class="n">{escape(what or unchanged)}</span></li>')
    return f'<h2>{escape(contents)}</h2><ol class="toc">{"".join(lis)}</ol>'


def comparison_html(cmp: Comparison) -> str:

    s = cmp.summary
    # The counts once, as the status filter.
    filters = "".join(f'<label class="{k}"><input type="checkbox" class="flt" value="{k}" checked> '
                      f'{escape(term(k))} {v}</label>' for k, v in s.counts.items())
    runs = "".join("<li>" + escape(_("{n} chars, B {b} (A {a}): {text}").format(
        n=r.chars, b=items_label([cmp.b.items[r.b_ordinal]]), a=item_label(cmp.a.items[r.a_ordinal]), text=r.text))
        + "</li>" for r in s.longest_runs)
    # the page's words, said here (Babel does not look inside f-strings)
    w = dict(longest=_("Longest verbatim runs:"), prev=_("previous change (p)"), prev_b=_("↑ previous"),
             next=_("next change (n)"), next_b=_("next change ↓"), status=_("status"), title=_("plansearch compare"))
    today = time.strftime("%Y-%m-%d")
    head = _("plansearch compare · {a} → {b}").format(a=cmp.a.title or cmp.a.doc_id, b=cmp.b.title or cmp.b.doc_id)
    foot = " · ".join(f"{term(k)} {v}" for k, v in s.counts.items()) + " · " + today
    rows = "\n".join(_row(al, n, cmp) for n, al in enumerate(cmp.alignments))
    name_a, name_b = cmp.a.title or cmp.a.doc_id, cmp.b.title or cmp.b.doc_id
    return page(f"{name_a} → {name_b}", _CSS + print_page_css(head, foot), f"""<h1>{escape(w["title"])}</h1>
<table class="docs">
<tr><td><b>A</b></td><td>{escape(cmp.a.doc_id)}</td><td>{escape(cmp.a.title)}</td><td>{escape(year_label(cmp.a))}</td></tr>
<tr><td><b>B</b></td><td>{escape(cmp.b.doc_id)}</td><td>{escape(cmp.b.title)}</td><td>{escape(year_label(cmp.b))}</td></tr>
</table>
<div class="summary">
<div class="filter">{filters}</div>
<p>{escape(compare_summary_line(cmp, with_counts=False))}</p>
{f'<p>{escape(w["longest"])}</p><ol class="runs">{runs}</ol>' if runs else ''}
</div>
{_contents(cmp)}
<div class="nav"><button id="prev" type="button" title="{escape(w["prev"])}">{escape(w["prev_b"])}</button><button id="next" type="button" title="{escape(w["next"])}">{escape(w["next_b"])}</button></div>
<table class="cmp">
<thead><tr><th class="status">{escape(w["status"])}</th><th>A: {escape(name_a)}</th><th>B: {escape(name_b)}</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<script>{_SCRIPT}</script>
""", lang=get_lang())


def write_html(cmp: Comparison, path: str | os.PathLike) -> Path:
    out = Path(path)
    out.write_text(comparison_html(cmp), encoding="utf-8")
    return out


def css_string(text: str) -> str:
    """`text` as a CSS string literal (for a page header or footer the print engine draws)."""
    return '"' + "".join(ch if ch.isalnum() or ch in " ·%-_:./（）()" else f"\\{ord(ch):x} " for ch in text) + '"'


def print_page_css(head: str, foot: str) -> str:
    """A4, as an official prints a report: `head` and `foot` (the document, the date, the figures)
    and the page number on every page (CSS paged media margin boxes, which Chromium's print to PDF
    draws; a browser's own print dialog may add its own instead)."""
    box = "font-size: 8pt; color: #666;"
    return (f"@page {{ size: A4; margin: 18mm 14mm 16mm; @top-left {{ content: {css_string(head)}; {box} }} "
            f"@bottom-left {{ content: {css_string(foot)}; {box} }} "
            f'@bottom-right {{ content: counter(page) " / " counter(pages); {box} }} }}')


def page(title: str, css: str, body: str, lang: str = "zh") -> str:
    """One self-contained HTML page (compare's and check's reports): inline CSS, nothing to fetch."""
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{escape(title)}</title>
<style>{css}</style></head>
<body>
{body}</body></html>
"""
