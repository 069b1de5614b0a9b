"""A 查重 report as one self-contained HTML page: the figures, the sources with their shares, every
copied passage side by side (levels coloured, swapped words marked), and each item's copied share.

Inline CSS only: no scripts, fonts, images or links to fetch, so it can be printed or mailed.
Every piece of user text is escaped.
"""
from __future__ import annotations

import os
from html import escape
from pathlib import Path

import time

from .html_report import page, print_page_css
from .i18n import _, get_lang, term
from .metadata import year_label
from .records import filters_note, items_label, percent
from .render import check_summary_lines

_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 1.5em;
       color: #222; line-height: 1.6; }
h1 { font-size: 1.3em; margin-bottom: .2em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.meta { color: #555; }
.summary { background: #f6f6f6; border: 1px solid #ddd; padding: .6em 1em; margin: 1em 0; }
.big { font-size: 1.6em; font-weight: bold; }
.bar { display: inline-block; height: .8em; vertical-align: middle; }
.bar span { display: inline-block; height: 100%; }
.verbatim { color: #b00; } .disguised { color: #82a; } .paraphrased { color: #a60; }
.bar .verbatim, .key .verbatim { background: #d33; } .bar .disguised, .key .disguised { background: #a5c; }
.bar .paraphrased, .key .paraphrased { background: #e9a23b; }
.key span { display: inline-block; width: .9em; height: .9em; margin: 0 .3em 0 1em; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; }
th, td { border-top: 1px solid #ddd; padding: .3em .5em; vertical-align: top; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.passages { table-layout: fixed; }
table.passages td.level { width: 7em; font-weight: bold; }
tr.verbatim td.side { background: #fdf1f1; } tr.disguised td.side { background: #f7f0fb; }
tr.paraphrased td.side { background: #fdf6ea; }
.where { color: #267; font-size: .85em; display: block; }
.sim { color: #777; font-size: .8em; display: block; font-weight: normal; }
mark.synonym { background: #e6c8f2; text-decoration: underline; }
mark.variable { background: #cde8f0; }
del { color: #b00; background: #fdd; } ins { color: #060; background: #dfd; text-decoration: none; }
tr.original td { color: #888; }
.settings { font-size: .85em; color: #444; } .settings td { border: 0; padding: .1em .6em .1em 0; }
@media print { body { margin: 0; font-size: 10pt; } tr, .summary, .settings { break-inside: avoid;
               page-break-inside: avoid; } thead { display: table-header-group; } h2 { break-after: avoid; }
               .summary { border-color: #999; } }
"""


def _pct(x: float) -> str:
    return percent(x)


def _bar(by_level: dict, width_em: float = 12) -> str:
    parts = "".join(f'<span class="{lv}" style="width:{by_level.get(lv, 0) * width_em:.2f}em"></span>'
                    for lv in ("verbatim", "disguised", "paraphrased"))
    return f'<span class="bar" style="width:{width_em}em;background:#eee">{parts}</span>'


def _side(ops, side: str) -> str:
    out = []
    for op in ops:
        text = escape(op.source_text if side == "source" else op.checked_text)
        if not text:
            continue
        if op.tag == "equal":
            out.append(text)
        elif op.tag in ("synonym", "variable"):
            out.append(f'<mark class="{op.tag}">{text}</mark>')
        else:
            out.append(f"<del>{text}</del>" if side == "source" else f"<ins>{text}</ins>")
    return "".join(out).replace("\n", "<br>")


def _settings_rows(report) -> str:
    """What the check was run with, as a CNKI report states it: the rule for each level and the
    sources it was measured against."""
    st = report.settings
    rows = [
        (_("verbatim"), _("a run of at least {n} identical characters (CNKI's rule)").format(n=st.min_chars)),
        (_("disguised"), _("identical after synonyms (HIT Cilin) and masked years, numbers and places; at least "
                           "{n} matched characters, gaps up to {gap} bridged, {density:.0%} of the passage matched").format(
            n=st.min_chars, gap=st.max_gap, density=st.min_density)),
        (_("paraphrased"), _("window cosine at least {min} and {margin} above other content").format(
            min=st.paraphrase_min, margin=st.paraphrase_margin) if st.paraphrase else _("not checked")),
        (_("compared with"), _("{n} documents of {index}").format(n=report.compared_documents,
                                                                  index=report.index_location)
         + filters_note(report.filters)),
        (_("left out"), ", ".join(report.excluded) or "—"),
        (_("checked on"), time.strftime("%Y-%m-%d %H:%M")),
    ]
    return "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)


def check_html(report) -> str:
    """The report in the current language (the command's --lang, or the web page's)."""
    d = report.doc
    lv = report.by_level
    lines = "".join(f"<p>{escape(line)}</p>" for line in check_summary_lines(report)[2:])
    notes = "".join(f'<p class="meta">{escape(_("note: {note}").format(note=n.say() if hasattr(n, "say") else n))}</p>'
                    for n in report.notices)
    src_rows = "\n".join(
        f'<tr><td class="num">{n}</td><td class="num"><b>{_pct(s.share)}</b></td><td>{_bar(s.by_level)}</td>'
        f'<td class="num">{_pct(s.by_level["verbatim"])}</td><td class="num">{_pct(s.by_level["disguised"])}</td>'
        f'<td class="num">{_pct(s.by_level["paraphrased"])}</td><td>{escape(year_label(s.doc))}</td>'
        f'<td>{escape(s.doc.region or "?")}</td><td>{escape(s.doc.title or "")}</td>'
        f'<td>{escape(s.doc.doc_id)}</td></tr>'
        for n, s in enumerate(report.sources, 1))
    pas_rows = []
    for n, p in enumerate(report.passages, 1):
        chk = d.items[p.checked_item]
        sim = f"cos {p.similarity:.3f}" if p.level == "paraphrased" else _("{n} chars").format(n=p.chars)
        swapped = [f"{o.source_text}→{o.checked_text}" for o in p.ops if o.tag == "synonym"]
        sw = (f'<span class="sim">{escape(_("swapped: {words}").format(words=", ".join(dict.fromkeys(swapped))))}'
              f'</span>' if swapped else "")
        pas_rows.append(
            f'<tr class="{p.level}"><td class="level {p.level}">{n}. {escape(term(p.level))}<span class="sim">{sim}</span>{sw}</td>'
            f'<td class="side"><span class="where">{escape(items_label([chk]))}</span>{_side(p.ops, "checked")}</td>'
            f'<td class="side"><span class="where">{escape(p.source_doc_id)} · {escape(items_label([p.source_item]))}'
            f'</span>{_side(p.ops, "source")}</td></tr>')
    item_rows = "\n".join(
        f'<tr class="{"original" if not it.copied_chars else ""}"><td>{escape(items_label([it.item]))}</td>'
        f'<td class="num">{it.chars}</td><td class="num">{_pct(it.share)}</td>'
        f'<td>{_bar({k: (v / it.chars if it.chars else 0) for k, v in it.by_level.items()}, 8)}</td>'
        f'<td>{escape(it.item.text[:80])}{"…" if len(it.item.text) > 80 else ""}</td></tr>'
        for it in report.items if it.chars)
    name = d.title or d.doc_id
    title = _("查重 {doc}").format(doc=name)
    head = _("plansearch 查重报告 · {doc}").format(doc=name)
    foot = _("总文字复制比 {share} · 单篇最大文字复制比 {top} · {date}").format(
        share=_pct(report.share), top=_pct(report.max_source_share), date=time.strftime("%Y-%m-%d"))
    # the report's words, said here (Babel does not look inside f-strings)
    w = [_("plansearch check · 查重报告"), _("总文字复制比"), _("单篇最大文字复制比"), _("Settings"), _("Sources"), _("share"), _("year"), _("region"), _("title"), _("document"), _("no source: nothing of this document was found in the index"), _("Copied passages"), _("swapped synonym"), _("changed year / number / place"), _("source only"), _("checked only"), _("level"), _("checked: {doc}"), _("source"), _("none"), _("Items of the checked document"), _("item"), _("chars"), _("copied"), _("text")]
    th = lambda words, num=False: f'<th{" class=num" if num else ""}>{escape(words)}</th>'  # noqa: E731
    return page(title, _CSS + print_page_css(head, foot), f"""<h1>{escape(w[0])}</h1>
<p class="meta">{escape(d.doc_id)} · {escape(d.title or "")} · {escape(year_label(d))} · {escape(d.region or "")} · {escape(d.source or "")}</p>
<div class="summary">
<div>{escape(w[1])} <span class="big">{_pct(report.share)}</span> {_bar(lv, 16)}
<span class="key"><span class="verbatim"></span>{escape(term("verbatim"))} {_pct(lv["verbatim"])}<span class="disguised"></span>{escape(term("disguised"))} {_pct(lv["disguised"])}<span class="paraphrased"></span>{escape(term("paraphrased"))} {_pct(lv["paraphrased"])}</span></div>
<div>{escape(w[2])} <b>{_pct(report.max_source_share)}</b></div>
{lines}{notes}
</div>
<h2>{escape(w[3])}</h2>
<table class="settings"><tbody>{_settings_rows(report)}</tbody></table>
<h2>{escape(w[4])}</h2>
<table><thead><tr>{th("#", True)}{th(w[5], True)}<th></th>{th(term("verbatim"), True)}{th(term("disguised"), True)}{th(term("paraphrased"), True)}{th(w[6])}{th(w[7])}{th(w[8])}{th(w[9])}</tr></thead>
<tbody>
{src_rows or '<tr><td colspan="10">' + escape(w[10]) + '</td></tr>'}
</tbody></table>
<h2>{escape(w[11])}</h2>
<p class="meta"><mark class="synonym">{escape(w[12])}</mark> · <mark class="variable">{escape(w[13])}</mark> · <del>{escape(w[14])}</del> · <ins>{escape(w[15])}</ins></p>
<table class="passages"><thead><tr><th style="width:7em">{escape(w[16])}</th><th>{escape(w[17].format(doc=name))}</th><th>{escape(w[18])}</th></tr></thead>
<tbody>
{chr(10).join(pas_rows) or '<tr><td colspan="3">' + escape(w[19]) + '</td></tr>'}
</tbody></table>
<h2>{escape(w[20])}</h2>
<table><thead><tr>{th(w[21])}{th(w[22], True)}{th(w[23], True)}<th></th>{th(w[24])}</tr></thead>
<tbody>
{item_rows}
</tbody></table>
""", lang=get_lang())


def write_check_html(report, path: str | os.PathLike) -> Path:
    out = Path(path)
    out.write_text(check_html(report), encoding="utf-8")
    return out
