"""Lineage as self-contained HTML pages (`plansearch lineage … --html FILE`): one document's items with
their copies in time order, or the diffusion graph's edge table and roles. Nothing to fetch; every
piece of document text is escaped."""
from __future__ import annotations

import os
from html import escape
from pathlib import Path

from .html_report import FONT_STACK, page
from .i18n import _, get_lang, labelled, ngettext, term
from .metadata import year_label
from .records import filters_note, when_said

_CSS = """
body { font-family: %s; margin: 1.5em; color: #222; line-height: 1.6; }
h1 { font-size: 1.3em; margin-bottom: .2em; } h2 { font-size: 1.05em; margin: 1.2em 0 .3em; }
.meta { color: #666; font-size: .9em; }
table { border-collapse: collapse; width: 100%%; }
th, td { border-top: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.item { border: 1px solid #ddd; border-radius: 4px; padding: .5em .8em; margin: .8em 0; }
.label { color: #267; font-weight: bold; }
.earliest { color: #070; font-weight: bold; } .same-period { color: #a60; } .boiler { color: #a60; }
.verbatim { color: #b00; } .edited { color: #a60; } .disguised { color: #82a; } .reworded { color: #36b; }
.chain { color: #070; }
.copy-text { color: #555; font-size: .9em; }
@media print { body { margin: 0; font-size: 10pt; } .item { break-inside: avoid; } }
""" % FONT_STACK


def _copy_row(o, mark: str = "") -> str:
    place = " · ".join(x for x in (o.region, o.issuer) if x)
    level = (f'<td class="{o.level}">{escape(term(o.level))} {o.similarity:.2f}</td>' if o.direct
             else f'<td class="meta">{escape(_("through the chain"))}</td>')
    text = escape(o.text[:160]) + ("…" if len(o.text) > 160 else "")
    return (f'<tr><td>{escape(mark)}</td><td>{escape(when_said(o))}</td><td>{escape(o.doc_id)} '
            f'<span class="label">{escape(o.label or "·")}</span></td><td>{escape(place)}</td>'
            f'{level}<td class="copy-text">{text}</td></tr>')


def lineage_html(lin) -> str:
    d = lin.doc
    w = [_("lineage of {doc}"), _("earliest in this corpus"), _("same period as the earliest"), _("parent chain"),
         _("earlier"), _("same period"), _("later"), _("when"), _("document"), _("region · issuer"), _("level"),
         _("text"), _("nothing earlier in this corpus: this item is the earliest copy"), _("this")]
    blocks = []
    for il in lin.items:
        if not il.occurrences:
            continue
        head = (f'<p><span class="label">{escape(il.label or "·")}</span> {escape(il.text)}</p>')
        if il.boilerplate:
            blocks.append(f'<div class="item">{head}<p class="boiler">'
                          f'{escape(_("boilerplate: in {n} documents, no lineage drawn").format(n=il.documents))}</p></div>')
            continue
        rows = []
        if il.earliest is not None:
            rows.append(_copy_row(il.earliest, w[1]))
            rows += [_copy_row(o, w[2]) for o in il.same_period_as_earliest]
        shown = {id(il.earliest), *map(id, il.same_period_as_earliest)}
        lead = {"earlier": w[4], "same-period": w[5], "later": w[6]}
        rows += [_copy_row(o, lead[o.relation]) for o in il.occurrences if id(o) not in shown]
        chain = ""
        if il.chain:
            chain = (f'<p class="chain">{escape(labelled(w[3]))}'
                     + escape(" ← ".join([w[13]] + [f"{when_said(o)} {o.doc_id}" for o in il.chain])) + "</p>")
        elif il.earliest is None:
            chain = f'<p class="chain">{escape(w[12])}</p>'
        count = ngettext("in {n} document", "in {n} documents", il.documents).format(n=il.documents)
        blocks.append(f'<div class="item">{head}<p class="meta">{escape(count)}</p>{chain}'
                      f'<table><tr><th></th><th>{escape(w[7])}</th><th>{escape(w[8])}</th><th>{escape(w[9])}</th>'
                      f'<th>{escape(w[10])}</th><th>{escape(w[11])}</th></tr>{"".join(rows)}</table></div>')
    lonely = sum(1 for il in lin.items if not il.occurrences)
    note = _("copies looked for in {n} documents{filters}; \"earliest in this corpus\" is not the origin: "
             "the source may be outside the corpus").format(
        n=lin.compared_documents, filters=filters_note(lin.filters))
    body = (f'<h1>{escape(w[0].format(doc=d.title or d.doc_id))}</h1>'
            f'<p class="meta">{escape(d.doc_id)} · {escape(year_label(d))}{" · " + escape(d.date) if d.date else ""}'
            f' · {escape(d.issuer or "")}</p><p class="meta">{escape(note)}</p>' + "".join(blocks)
            + (f'<p class="meta">{escape(ngettext("{n} item has no copy in the other documents (--all shows it)", "{n} items have no copy in the other documents (--all shows them)", lonely).format(n=lonely))}</p>' if lonely else ""))
    return page(w[0].format(doc=d.doc_id), _CSS, body, get_lang())


def diffusion_html(graph, svg: str = "") -> str:
    w = [_("who copies whom, by {by}: {docs} documents{filters}; {n} boilerplate measures left out"),
         _("edges: A → B when items of B have their parent in A"), _("from"), _("to"), _("items"), _("chars"),
         _("median lag (years)"), _("(same period, undirected)"), _("(its own earlier documents)"),
         _("each {by}: first seen here and copied, taken from others"), _("first seen here, copied"),
         _("taken from others"), _("carried from its own"), _("top sources"), _("top followers"),
         _("(its own documents of the same period)")]
    levels = ("verbatim", "edited", "disguised", "reworded")
    edge_rows = "".join(
        f'<tr><td>{escape(e.source)}</td><td>{escape(e.target)}'
        f'{" <span class=same-period>" + escape(w[7]) + "</span>" if e.same_period and not e.is_self else ""}'
        f'{" <span class=meta>" + escape(w[8] if not e.same_period else w[15]) + "</span>" if e.is_self else ""}</td>'
        f'<td class="num"><b>{e.items}</b></td><td class="num">{e.chars}</td>'
        + "".join(f'<td class="num">{e.by_level.get(lv, 0)}</td>' for lv in levels)
        + f'<td class="num">{"" if e.median_lag is None else f"{e.median_lag:g}"}</td></tr>'
        for e in graph.edges)
    role_rows = "".join(
        f'<tr><td>{escape(r.node)}</td><td class="num">{r.first_seen_copied}</td><td class="num">{r.taken}</td>'
        f'<td class="num">{r.carried}</td><td>{escape(", ".join(f"{n} ({k})" for n, k in r.top_sources))}</td>'
        f'<td>{escape(", ".join(f"{n} ({k})" for n, k in r.top_followers))}</td>'
        f'<td class="num">{"" if r.median_lag is None else f"{r.median_lag:g}"}</td></tr>'
        for r in graph.roles if r.first_seen_copied or r.taken or r.carried)
    title = w[0].format(by=term(graph.by), docs=graph.documents, filters=filters_note(graph.filters),
                        n=graph.boilerplate_groups)
    body = (f"<h1>{escape(title)}</h1>{svg}<h2>{escape(w[1])}</h2><table><tr><th>{escape(w[2])}</th>"
            f"<th>{escape(w[3])}</th><th class=num>{escape(w[4])}</th><th class=num>{escape(w[5])}</th>"
            + "".join(f"<th class=num>{escape(term(lv))}</th>" for lv in levels)
            + f"<th class=num>{escape(w[6])}</th></tr>{edge_rows}</table>"
            f"<h2>{escape(w[9].format(by=term(graph.by)))}</h2><table><tr><th>{escape(term(graph.by))}</th>"
            f"<th class=num>{escape(w[10])}</th><th class=num>{escape(w[11])}</th><th class=num>{escape(w[12])}</th>"
            f"<th>{escape(w[13])}</th><th>{escape(w[14])}</th><th class=num>{escape(w[6])}</th></tr>{role_rows}</table>")
    return page(title, _CSS, body, get_lang())


def _write(text: str, path: str | os.PathLike) -> Path:
    out = Path(path)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


def write_lineage_html(lin, path: str | os.PathLike) -> Path:
    return _write(lineage_html(lin), path)


def write_diffusion_html(graph, path: str | os.PathLike) -> Path:
    from .diffusion_svg import diffusion_svg

    return _write(diffusion_html(graph, diffusion_svg(graph)), path)
