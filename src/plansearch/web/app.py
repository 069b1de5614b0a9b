"""The web app's pages: URLs -> library calls -> records -> templates.

Every page keeps its state in its query string (shareable links, the back button works), and any
result list downloads as CSV or JSON lines (`?format=csv|json`, written by records.write_records,
the same records the CLI prints). Bad input is a 4xx page with one line saying what is wrong; an
unexpected failure is a 500 page without a traceback (the traceback goes to the server's log).
"""
from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import compare as compare_mod
from ..check import LEVELS
from ..i18n import N_, _, get_lang, labelled, ngettext, list_sep, normalise_lang, term, use_lang, say_group
from ..metadata import LEVELS as ADMIN_LEVELS
from ..metadata import year_label
from ..models import LoadError, PlansearchError
from ..normalise import compact, normalise
from ..records import (
    alignment_record,
    check_records,
    check_report_record,
    compare_summary_record,
    doc_record,
    doc_share_record,
    hit_record,
    item_label,
    item_record,
    items_label,
    outline_record,
    percent,
    reuse_cluster_record,
    trend_records,
    copied_line,
    write_records,
    when_said,
)
from ..reuse import ACROSS_LABELS
from ..search import MAX_QUERY_CHARS, MIXED_LEVELS_PAGE, MODES, Filters, literal_query, mixed_levels, parse_query
from ..trend import GROUPINGS, ChartWords, chart_svg
from . import views
from .engine import AmbiguousTitle, CheckOptions, Engine, WebError
from .guard import BODY_TIMEOUT, LOOPBACK_NAMES, RequestGuard

WEB_DIR = Path(__file__).resolve().parent
MAX_K = 100  # hits a page may ask for
MAX_TOPICS = 10  # topics one trend compares (the chart has ten distinct colours)
MAX_TREND_YEARS = 200  # rows of a trend by year (as the CLI allows)
SEARCH_CHART_HEIGHT = 200  # the search page's trend chart: the hits below it are what the page is for
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a plan is tens of KB as text, a few MB as a scanned-free PDF
UPLOAD_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
RELATIONS_SHOWN = 4  # copied from / to links under an item; the rest fold away (boilerplate is everywhere)
DATALIST_DOCS = 300  # documents offered in the page's autocomplete list; more are fetched by script

# What the pages call the choices they offer (catalogue messages, translated where shown with _();
# statuses, levels and kinds are i18n.term()s).
MODE_LABELS = {"hybrid": N_("hybrid (default)"), "dense": N_("by meaning"), "keyword": N_("keywords"),
               "rrf": N_("RRF fusion"), "weighted": N_("weighted fusion"),
               "adaptive": N_("adaptive fusion (no query rewrite)"), "tiebreak": N_("by meaning, keywords break ties")}
NOTE_LABELS = {"no document for this year": N_("no document for this year"),
               "no document for these years": N_("no document for these years"),
               "no matching item": N_("no matching item")}
GROUPING_LABELS = {"year": N_("year"), "region": N_("region"), "level": N_("level"), "issuer": N_("issuer"),
                   "kind": N_("kind")}
FIELD_LABELS = {**GROUPING_LABELS, "title": N_("title")}  # a document's fields a manifest.csv sets
RELATION_LABELS = {"from": N_("source"), "to": N_("copied into"), "also": N_("also in")}  # an item's passages elsewhere
CHECK_LISTS = {"passages": N_("passages"), "sources": N_("source documents"), "items": N_("each item")}  # a check's CSVs
SHARE_COLUMNS = {"doc_id": N_("document"), "year": N_("year"), "chars": N_("Characters"),
                 "share_any": N_("found in any other document"), "share_earlier": N_("found in an earlier document")}

SECURITY_HEADERS = {
    # Everything is served from here: no inline script, no other origin (document text can hold
    # "<script>", which the templates escape; this is the second line of defence).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with the app's
    # own form posts, and the origin check (web.guard) could not tell them from another site's.
    "Referrer-Policy": "same-origin",
}


def group_label(label: str) -> str:
    """search_by's group labels in the page's language: "201X (year unknown)" -> "201X（年份不明）"."""
    return say_group(label)


def trend_group_label(by: str, key: str) -> str:
    """A trend row's group as the page names it: 2021, 201X（年份不明）, 地区不明, 计划."""
    if key == "?":
        return _("{grouping} unknown").format(grouping=_(GROUPING_LABELS[by]))
    if by == "year":
        return key if key.isdigit() else _("{year} (year unknown)").format(year=key)
    return term(key) if by in ("kind", "level") else key


def chart_words(by: str) -> ChartWords:
    return ChartWords.said(group=lambda g: trend_group_label(by, g.key))


def page_link(path: str, params=()) -> str:
    """A link to one of the app's pages in the current page's language (Chinese, the default,
    leaves no trace in the URL)."""
    items = [(k, v) for k, v in (params.items() if isinstance(params, dict) else params) if k != "lang"]
    if get_lang() != "zh":
        items.append(("lang", get_lang()))
    return path + ("?" + urlencode(items) if items else "")


def lang_field() -> Markup:
    """A form's hidden field that keeps the page's language (none for Chinese, the default)."""
    lang = get_lang()
    return Markup('<input type="hidden" name="lang" value="{}">').format(lang) if lang != "zh" else Markup("")


def doc_url(doc_id: str, ordinal: int | None = None, mark: tuple[int, int] | None = None) -> str:
    params = {"id": doc_id}
    if mark is not None:
        params["mark"] = f"{mark[0]}-{mark[1]}"
    return page_link("/document", params) + (f"#item-{ordinal}" if ordinal is not None else "")


def item_ordinal(item_id: str) -> int:
    return int(item_id.rsplit(":", 1)[1])


def lineage_view(il, doc_id: str, engine) -> dict:
    """One item's 来历 as the document page shows it: a summary line, then every copy in time order
    with its mark (earliest in this corpus, parent, same period), level, and a link to the compare view
    of the two documents at that item."""
    if il.boilerplate:
        return dict(summary=_("boilerplate: in {n} documents, no lineage drawn").format(n=il.documents),
                    boilerplate=True, rows=[], chain="")
    same = {o.item_id for o in il.same_period_as_earliest}
    rows = []
    for o in il.occurrences:
        marks = []
        if il.earliest is not None and o.item_id == il.earliest.item_id:
            marks.append(_("earliest in this corpus"))
        if il.parent is not None and o.item_id == il.parent.item_id:
            marks.append(_("parent"))
        if o.relation == "same-period" or o.item_id in same:
            marks.append(_("same period: cannot be ordered"))
        a, b, at = (doc_id, o.doc_id, item_ordinal(o.item_id)) if o.relation == "later" else \
            (o.doc_id, doc_id, item_ordinal(il.item_id))
        meta = engine.doc_meta(o.doc_id)
        rows.append(dict(when=when_said(o), doc_id=o.doc_id, title=meta.title or o.doc_id,
                         place=" · ".join(x for x in (o.region, o.issuer) if x), relation=o.relation,
                         relation_word=term(o.relation), level=o.level,
                         level_word=term(o.level) if o.direct else _("through the chain"),
                         similarity=f"{o.similarity:.2f}" if o.direct else "", marks=marks,
                         url=doc_url(o.doc_id, item_ordinal(o.item_id)),
                         compare=page_link("/compare", {"a": a, "b": b}) + f"#b-{at}",
                         text=o.text if len(o.text) <= 120 else o.text[:119] + "…"))
    if il.earliest is not None:
        summary = _("in {n} documents; earliest in this corpus: {when} {doc}").format(
            n=il.documents, when=when_said(il.earliest), doc=engine.doc_meta(il.earliest.doc_id).title or il.earliest.doc_id)
    else:
        summary = _("in {n} documents; nothing earlier in this corpus").format(n=il.documents)
    chain = (labelled(_("parent chain")) + " ← ".join([_("this")] + [f"{when_said(o)} {o.doc_id}" for o in il.chain])
             if il.chain else "")
    return dict(summary=summary, boilerplate=False, rows=rows, chain=chain)




def url_with(request: Request, path: str | None = None, **changes) -> str:
    """This page's URL with some parameters replaced (None: removed; a list: repeated)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for k, v in changes.items():
        if v is None:
            continue
        items += [(k, x) for x in v] if isinstance(v, (list, tuple)) else [(k, v)]
    return (path or request.url.path) + ("?" + urlencode(items) if items else "")


# --- reading parameters -----------------------------------------------------------------------------

def _text(params, name: str) -> str:
    return (params.get(name) or "").strip()


def _int(params, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = _text(params, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise WebError(400, _("{name} should be a whole number, not {value}").format(name=name, value=repr(raw))) from None
    if not lo <= value <= hi:
        raise WebError(400, _("{name} should be between {lo} and {hi}, not {value}").format(name=name, lo=lo, hi=hi, value=value))
    return value


def _choice(params, name: str, choices, default: str) -> str:
    value = _text(params, name) or default
    if value not in choices:
        raise WebError(400, _("{name} should be one of {choices}, not {value}").format(
            name=name, choices=", ".join(choices), value=repr(value)))
    return value


def download_format(params, formats: tuple[str, ...] = ("csv", "json", "xlsx")) -> str | None:
    fmt = _text(params, "format")
    if fmt and fmt not in formats:
        raise WebError(400, _("format should be one of {choices}, not {value}").format(
            choices=", ".join(formats), value=repr(fmt)))
    return fmt or None


def records_response(records, fmt: str, name: str) -> Response:
    """A download of records, as the CLI's `--format csv|json|xlsx` writes them (JSON: one object
    per line; CSV with a byte-order mark, so that Excel reads the Chinese as UTF-8)."""
    if fmt == "xlsx":
        out = io.BytesIO()
        write_records(records, fmt, out)
        body, media, ext = out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    else:
        buf = io.StringIO()
        write_records(records, fmt, buf)
        body = buf.getvalue()
        media, ext = (("text/csv; charset=utf-8", "csv") if fmt == "csv"
                      else ("application/x-ndjson; charset=utf-8", "jsonl"))
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="plansearch-{name}.{ext}"'})


def _year_range(params, engine: Engine) -> tuple[str, str, tuple[int, int] | None]:
    """(year_from, year_to as typed, the range): an open end runs to the index's last (or from
    its first) year."""
    y_from, y_to = _text(params, "year_from"), _text(params, "year_to")
    for raw in (y_from, y_to):
        if raw and not (raw.isdigit() and len(raw) == 4):
            raise WebError(400, _("a year should be four digits, such as 2019, not {value}").format(value=repr(raw)))
    if not (y_from or y_to):
        return y_from, y_to, None
    known = engine.known_years() or [int(y_from or y_to)]
    lo = int(y_from) if y_from else min(known[0], int(y_to))
    hi = int(y_to) if y_to else max(known[-1], int(y_from))
    if lo > hi:
        raise WebError(400, _("the range of years is empty: from {start} to {end}").format(start=lo, end=hi))
    return y_from, y_to, (lo, hi)


@dataclass
class FilterForm:
    """The filters that search and trend share (year range, which year of a review→plan document,
    region, issuer, kind, document), as typed and as Filters."""

    year_from: str
    year_to: str
    region: str
    issuer: str
    kind: str
    doc: str
    year_of: str
    filters: Filters
    level: str = ""


def _read_filters(params, engine: Engine, year_of_choices=("", "plan", "review"), year_of_default="") -> dict:
    """FilterForm's fields from the URL, checked."""
    year_of = _choice(params, "year_of", year_of_choices, year_of_default)
    y_from, y_to, span = _year_range(params, engine)
    region, issuer, kind, doc, level = (_text(params, n) for n in ("region", "issuer", "kind", "doc", "level"))
    try:
        filters = Filters.from_strings(f"{span[0]}-{span[1]}" if span else "", region, issuer, kind, doc, year_of,
                                       level)
    except PlansearchError as e:
        raise WebError(400, str(e)) from None
    engine.check_doc_filter(doc)
    return dict(year_from=y_from, year_to=y_to, region=region, issuer=issuer, kind=kind, doc=doc,
                year_of=year_of, filters=filters, level=level)


@dataclass
class SearchForm(FilterForm):
    """The search page's state, read from its URL and checked."""

    q: str | None = None
    exclude: str = ""
    mode: str = "hybrid"
    view: str = "list"
    k: int = 10

    @classmethod
    def read(cls, params, engine: Engine) -> "SearchForm":
        q = params.get("q")
        if q is not None:
            try:
                parse_query(q)
            except PlansearchError:
                raise WebError(400, _("the query is empty: type what to look for, such as 留守儿童关爱")) from None
        view = _choice(params, "view", ("list", "year"), "list")
        mode = _choice(params, "mode", MODES, "hybrid")
        k = _int(params, "k", 3 if view == "year" else 10, 1, MAX_K)
        fields = _read_filters(params, engine)
        exclude = _text(params, "exclude")
        if exclude:
            engine.document(exclude)  # 404 for an unknown id
            fields["filters"] = replace(fields["filters"], doc_ids=tuple(d.doc_id for d in engine.documents
                                                                          if d.doc_id != exclude))
        return cls(**fields, q=q, exclude=exclude, mode=mode, view=view, k=k)


def split_topics(text: str) -> list[str]:
    """The topics typed into the trend page's box. Topics are separated by spaces (双减 课后服务
    留守儿童), or, when the text holds a list separator (，,、；; or a line break), by those only,
    so that a topic may hold spaces; a "quoted phrase" stays whole, and a +word or -word belongs to
    the topic before it (as in search)."""
    if _LIST_SEPARATOR.search(text):
        return [t.strip() for t in _LIST_SEPARATOR.split(text) if t.strip()]
    topics: list[str] = []
    for token in _TOPIC_TOKEN.findall(text):
        if token[0] in "+-＋－" and len(token) > 1 and topics:
            topics[-1] += " " + token
        else:
            topics.append(token)
    return topics


_LIST_SEPARATOR = re.compile(r"[,，、;；\n]+")
_TOPIC_TOKEN = re.compile(r'"[^"]*"?|“[^”]*”?|「[^」]*」?|\S+')


@dataclass
class TrendForm(FilterForm):
    """The trend page's state: the topics, the grouping and the filters."""

    q: str | None = None
    topics: list[str] = field(default_factory=list)
    by: str = "year"

    @classmethod
    def read(cls, params, engine: Engine) -> "TrendForm":
        q = params.get("q")
        topics: list[str] = []
        if q is not None:
            topics = split_topics(q)
            for t in topics:
                try:
                    parse_query(t)
                except PlansearchError:
                    topics = []
                    break
            if not topics:
                raise WebError(400, _("no topic: type one or more topics, such as 双减 课后服务 留守儿童"))
            if len(topics) > MAX_TOPICS:
                raise WebError(400, _("too many topics: at most {most} at a time, here are {count}").format(most=MAX_TOPICS, count=len(topics)))
        by = _choice(params, "by", GROUPINGS, "year")
        fields = _read_filters(params, engine, ("plan", "review"), "plan")
        span = fields["filters"].years
        if span is not None and span[1] - span[0] > MAX_TREND_YEARS:
            raise WebError(400, _("the range of years is too long: {start} to {end} is {years} years").format(
                start=span[0], end=span[1], years=span[1] - span[0] + 1))
        return cls(**fields, q=q, topics=topics, by=by)


@dataclass
class CheckForm:
    """The check page's state: what is checked (a document of the index, or an upload and which of
    its plans) and against which sources."""

    doc: str  # an id of the index ("" when an upload is checked)
    upload: str  # an upload's token
    plan: int  # which plan of the upload, from 1
    exclude: list[str]
    year_from: str
    year_to: str
    region: str
    min_chars: int
    paraphrase: bool
    options: CheckOptions

    @classmethod
    def read(cls, params, engine: Engine) -> "CheckForm":
        doc, upload = _text(params, "doc"), _text(params, "upload")
        if doc and upload:
            raise WebError(400, _("give doc or upload, not both: check a document of the index, or an uploaded file"))
        if doc:
            doc = engine.resolve(doc, "doc")  # an id or a title; 404 for neither
        if upload and not _TOKEN.fullmatch(upload):
            raise WebError(400, _("upload should be the number an upload was given, not {value}").format(value=repr(upload[:40])))
        plan = _int(params, "plan", 1, 1, 10_000)
        exclude = list(dict.fromkeys(engine.doc_meta(x).doc_id for x in params.getlist("exclude") if x.strip()))
        y_from, y_to, span = _year_range(params, engine)
        region = _text(params, "region")
        min_chars = _int(params, "min_chars", CheckOptions.min_chars, 2, 200)
        paraphrase = _choice(params, "paraphrase", ("1", "0"), "1") == "1"
        options = CheckOptions(tuple(exclude), span, region or None, min_chars, paraphrase)
        return cls(doc, upload, plan, exclude, y_from, y_to, region, min_chars, paraphrase, options)


_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")


# --- the app ------------------------------------------------------------------------------------------

def create_app(index_dir: str | os.PathLike = "index", *, model: str | None = None,
               engine: Engine | None = None, warm: bool = False,
               allowed_hosts: Iterable[str] = LOOPBACK_NAMES, body_timeout: float = BODY_TIMEOUT) -> Starlette:
    """The web app over one index. `warm` loads the model and indexes now and starts the reuse
    report in the background (what `plansearch serve` does); tests pass their own `engine`.
    `allowed_hosts`: the Host names it answers (web.guard.host_names for a `serve --host`)."""
    engine = engine or Engine(index_dir, model)
    if warm:
        engine.warm()
        engine.warm_reuse_in_background()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB_DIR / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             extensions=["jinja2.ext.i18n"])
    # The templates' words come from the catalogue, in the request's language (i18n's contextvar).
    env.install_gettext_callables(_, ngettext, newstyle=True)
    env.globals.update(term=term, kind_word=lambda k: term(k or "unknown"), group_label=group_label,
                       trend_group_label=trend_group_label, doc_url=doc_url, link=page_link, lang=get_lang,
                       item_label=item_label, year_label=year_label, list_sep=list_sep,
                       items_label=items_label, item_ordinal=item_ordinal, MODE_LABELS=MODE_LABELS,
                       ACROSS_LABELS=ACROSS_LABELS, NOTE_LABELS=NOTE_LABELS, RELATION_LABELS=RELATION_LABELS, FIELD_LABELS=FIELD_LABELS,
                       MAX_UPLOAD_MB=MAX_UPLOAD_BYTES // (1024 * 1024), UPLOAD_SUFFIXES=UPLOAD_SUFFIXES,
                       lang_field=lang_field)
    env.filters["pct"] = percent  # the CLI's and the reports' rounding
    env.filters["term"] = term
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, status: int = 200, **ctx) -> Response:
        ctx.setdefault("nav", name.split(".")[0])
        ctx.update(url_with=partial(url_with, request), index_location=engine.location,
                   datalist_docs=engine.documents[:DATALIST_DOCS])
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def filter_choices() -> dict:
        """What the filter fields offer (search and trend)."""
        return dict(kinds=("plan", "summary", "report", "mixed"),
                    levels=[lv for lv in ADMIN_LEVELS if any(d.level == lv for d in engine.documents)],
                    regions=sorted({d.region for d in engine.documents if d.region}),
                    issuers=sorted({d.issuer for d in engine.documents if d.issuer}))

    # --- search -------------------------------------------------------------------------------
    def search(request: Request) -> Response:
        params = request.query_params
        form = SearchForm.read(params, engine)
        fmt = download_format(params)
        ctx = dict(form=form, modes=MODES, **filter_choices(),
                   excluded=engine.document(form.exclude) if form.exclude else None,
                   hits=None, groups=None, chart=None, notices=[], probability=False, max_query=MAX_QUERY_CHARS)
        if form.q is None:
            if fmt:
                raise WebError(400, _("nothing to download yet: type a query first"))
            return page(request, "search.html", **ctx)
        if form.view == "year":
            basis = form.year_of or "plan"
            groups = engine.search_by_year(form.q, form.k, form.mode, form.filters, basis)
            if fmt:
                return records_response((hit_record(h, group=g.key, probability=getattr(g.hits, "probability", False))
                                         for g in groups for h in g.hits), fmt, "search-by-year")
            # a year under the floor shows its nearest item, dimmed, under its "no match" line
            ctx["groups"] = [(g, [_hit_view(h, getattr(g.hits, "probability", False)) for h in g.hits],
                              _hit_view(g.below, True) if g.below is not None else None)
                             for g in groups]
            ctx["probability"] = any(getattr(g.hits, "probability", False) for g in groups)
            ctx["notices"] = list(engine.search(form.q, 1, form.mode, form.filters).notices)  # about the whole index
            if not form.filters.level:
                ctx["notices"] += mixed_levels(((group_label(g.key), g.levels) for g in groups), MIXED_LEVELS_PAGE)
            # the chart: the calibrated trend of this query, by year, under the same filters
            table = engine.trend([form.q], "year", form.filters, basis)
            ctx["chart"] = dict(svg=Markup(chart_svg(table, SEARCH_CHART_HEIGHT, chart_words("year"))),
                                query=table.queries[0], rule=table.rule, url=_trend_url(form, basis))
        else:
            hits = engine.search(form.q, form.k, form.mode, form.filters)
            if fmt:
                return records_response((hit_record(h, probability=hits.probability) for h in hits), fmt,
                                        "search")
            ctx["hits"] = [_hit_view(h, hits.probability) for h in hits]
            ctx["probability"] = hits.probability
            ctx["notices"] = hits.notices
        return page(request, "search.html", **ctx)

    # --- trend --------------------------------------------------------------------------------
    def trend_page(request: Request) -> Response:
        params = request.query_params
        form = TrendForm.read(params, engine)
        fmt = download_format(params)
        ctx = dict(form=form, groupings=GROUPING_LABELS, **filter_choices(), table=None, no_documents=False, max_topics=MAX_TOPICS)
        if form.q is None:
            if fmt:
                raise WebError(400, _("nothing to download yet: type a topic first"))
            return page(request, "trend.html", **ctx)
        if not any(form.filters.accepts(d) for d in engine.documents):
            if fmt:
                raise WebError(400, _("no document meets these filters: nothing to download"))
            return page(request, "trend.html", **dict(ctx, no_documents=True))
        table = engine.trend(form.topics, form.by, form.filters, form.year_of)
        records = trend_records(table)
        if fmt:
            return records_response(records, fmt, "trend")
        return page(request, "trend.html", **dict(
            ctx, table=table, rows=_trend_rows(table, records), rule=table.rule,
            chart=Markup(chart_svg(table, words=chart_words(form.by))),
            truncated=[t for t in form.topics if parse_query(t).truncated],
            level_notes=mixed_levels(((trend_group_label(form.by, g.key), g.levels) for g in table.groups),
                                     MIXED_LEVELS_PAGE)
            if form.by != "level" else []))

    # --- documents ----------------------------------------------------------------------------
    def documents(request: Request) -> Response:
        fmt = download_format(request.query_params)
        if fmt:
            return records_response((doc_record(d) for d in engine.documents), fmt, "documents")
        return page(request, "docs.html", docs=[doc_record(d) for d in engine.documents])

    def document(request: Request) -> Response:
        params = request.query_params
        doc_id = _text(params, "id")
        if not doc_id:
            raise WebError(400, _("id is missing: which document? (see the Documents page)"))
        mark = _span(_text(params, "mark"))
        fmt = download_format(params)
        doc = engine.document(doc_id)
        if fmt == "json":
            return records_response([outline_record(doc)], fmt, "document")
        if fmt in ("csv", "xlsx"):
            return records_response((dict(doc_id=doc.doc_id, **item_record(it)) for it in doc.items), fmt,
                                    "document")
        reuse = engine.reuse_of_document(doc.doc_id)
        share = next(iter(reuse.report.touching(doc.doc_id).doc_shares), None)
        items = {}
        for it in doc.items:
            span = views.passage_in_item(doc, it, *mark) if mark else None
            items[it.ordinal] = dict(
                segments=views.marked(it.text, None, [span] if span else []),
                marked=span is not None,
                similar=page_link("/search", {"q": literal_query(it.text), "exclude": doc.doc_id}),
                relations=[], lineage=None)
        _add_relations(items, doc, reuse, engine)
        lin = engine.lineage(doc.doc_id)
        for il in lin.items:
            if il.occurrences:
                items[item_ordinal(il.item_id)]["lineage"] = lineage_view(il, doc.doc_id, engine)
        first_marked = next((o for o, v in items.items() if v["marked"]), None)
        return page(request, "document.html", doc=doc, rec=doc_record(doc), tree=views.outline_tree(doc),
                    items=items, share=share, first_marked=first_marked, lineage_line=copied_line(lin, lambda d: engine.doc_meta(d).title or d),
                    titles={d.doc_id: d.title for d in engine.documents}, relations_shown=RELATIONS_SHOWN,
                    years={d.doc_id: year_label(d) for d in engine.documents})

    # --- compare ------------------------------------------------------------------------------
    def compare(request: Request) -> Response:
        params = request.query_params
        # an id, or a title (one document's: resolved; several's: the page offers them)
        a_id, b_id = (engine.resolve(_text(params, p), p) if _text(params, p) else "" for p in ("a", "b"))
        statuses = compare_mod.STATUSES  # read at request time: compare's list may grow
        only = [s for s in params.getlist("only") if s.strip()] or list(statuses)
        unknown = [s for s in only if s not in statuses]
        if unknown:
            raise WebError(400, _("unknown status {statuses} (choose from {choices})").format(
                statuses=", ".join(unknown), choices=", ".join(statuses)))
        semantic = _choice(params, "semantic", ("1", "0"), "1") == "1"
        fmt = download_format(params)
        ctx = dict(a_id=a_id, b_id=b_id, only=only, statuses=statuses, semantic=semantic, cmp=None)
        if not (a_id and b_id):
            if fmt:
                raise WebError(400, _("nothing to download yet: choose A and B first"))
            for ref in (a_id, b_id):
                if ref:
                    engine.document(ref)
            return page(request, "compare.html", **ctx)
        cmp = engine.comparison(a_id, b_id, semantic)
        shown = [al for al in cmp.alignments if al.status in only]
        if fmt:
            records = [alignment_record(al, cmp.a.doc_id) for al in shown]
            if fmt in ("json", "xlsx"):
                records.insert(0, compare_summary_record(cmp))
            return records_response(records, fmt, "compare")
        rows = []
        for al in shown:
            rec = alignment_record(al, cmp.a.doc_id)
            a_side, b_side = views.diff_sides(rec)
            rows.append(dict(al=al, rec=rec, a=a_side, b=b_side))
        ctx.update(cmp=cmp, summary=compare_summary_record(cmp), rows=rows, counts=cmp.summary.counts)
        return page(request, "compare.html", **ctx)

    # --- diffusion: who copies whom ------------------------------------------------------------
    def diffusion(request: Request) -> Response:
        from ..diffusion_svg import diffusion_svg
        from ..lineage import GRAPH_BY, write_graphml
        from ..records import lineage_edge_record, lineage_role_record

        params = request.query_params
        by = _choice(params, "by", GRAPH_BY, "issuer")
        years, region = _text(params, "years"), _text(params, "region")
        try:
            filters = Filters.from_strings(years=years, region=region)
        except PlansearchError as e:
            raise WebError(400, str(e)) from None
        fmt = download_format(params, ("graphml", "csv", "json", "xlsx"))
        graph = engine.diffusion(by, filters if filters.active() else None)
        if fmt == "graphml":
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "diffusion.graphml"
                write_graphml(graph, path)
                body = path.read_bytes()
            return Response(body, media_type="application/graphml+xml",
                            headers={"Content-Disposition": f'attachment; filename="plansearch-diffusion-{by}.graphml"'})
        if fmt:
            return records_response([lineage_edge_record(e) for e in graph.edges]
                                    + ([lineage_role_record(r) for r in graph.roles] if fmt != "csv" else []),
                                    fmt, f"diffusion-{by}")
        return page(request, "diffusion.html", graph=graph, by=by, years=years or "", region=region or "",
                    svg=Markup(diffusion_svg(graph)), by_choices=GRAPH_BY,
                    regions=sorted({d.region for d in engine.documents if d.region}),
                    roles=[r for r in graph.roles if r.first_seen_copied or r.taken or r.carried])

    # --- reuse --------------------------------------------------------------------------------
    def reuse(request: Request) -> Response:
        params = request.query_params
        across = _choice(params, "across", tuple(ACROSS_LABELS), "any")
        min_chars = _int(params, "min_chars", 30, 10, 2000)
        max_spread = _int(params, "max_spread", None, 2, 100000)
        top = _int(params, "top", 50, 1, 1000)
        sort = _choice(params, "sort", tuple(SHARE_COLUMNS), "share_any")
        order = _choice(params, "order", ("desc", "asc"), _first_order(sort))
        which = _choice(params, "list", ("all", "clusters", "shares"), "all")
        fmt = download_format(params)
        level = _choice(params, "level", ("",) + ADMIN_LEVELS, "")
        view = engine.reuse(min_chars, across, level or None, only_kept=engine.reuse_is_large)
        if view is None:  # hours on a large index: the CLI computes it once, with a progress bar
            raise WebError(503, _("the corpus-wide reuse report of {items} items takes long to compute and has not "
                                  "been computed yet: run `{command}` once, then reload this page (document pages "
                                  "show each document's reuse meanwhile)").format(
                items=f"{len(engine.searcher.index.item_doc):,}",
                command=" ".join(["plansearch", "reuse", "--index", str(engine.index_dir), "--min-chars",
                                  str(min_chars), "--across", across] + (["--level", level] if level else []))))
        kept = [c for c in view.report.clusters if max_spread is None or c.n_docs <= max_spread][:top]
        clusters = [reuse_cluster_record(rank, c, view.docs_by_id) for rank, c in enumerate(kept, 1)]
        shares = [doc_share_record(s) for s in view.report.doc_shares]
        meta = {d.doc_id: d for d in engine.documents}
        key = {"doc_id": lambda r: r["doc_id"],
               "year": lambda r: (meta[r["doc_id"]].year is None, meta[r["doc_id"]].year or 0, r["doc_id"]),
               }.get(sort, lambda r: (r[sort], r["doc_id"]))
        shares.sort(key=key, reverse=order == "desc")
        if fmt:
            records = {"clusters": clusters, "shares": shares,
                       "all": clusters + shares if fmt in ("json", "xlsx") else clusters}[which]
            return records_response(records, fmt, f"reuse-{which}")
        return page(request, "reuse.html", clusters=clusters, shares=shares, meta=meta, across=across, level=level,
                    levels=[lv for lv in ADMIN_LEVELS if any(d.level == lv for d in engine.documents)],
                    min_chars=min_chars, max_spread=max_spread, top=top, sort=sort, order=order,
                    total=len(view.report.clusters), n_docs=view.report.n_docs,
                    columns=[dict(key=key, label=_(label), current=key == sort, num=key not in ("doc_id", "year"),
                                  url=url_with(request, sort=key, order=("asc" if order == "desc" else "desc")
                                               if key == sort else _first_order(key)) + "#shares")
                             for key, label in SHARE_COLUMNS.items()])

    # --- check --------------------------------------------------------------------------------
    def check_page(request: Request) -> Response:
        params = request.query_params
        form = CheckForm.read(params, engine)
        fmt = download_format(params, ("csv", "json", "xlsx", "html"))
        which = _choice(params, "list", tuple(CHECK_LISTS), "passages")
        ctx = dict(form=form, levels=LEVELS, check_lists=CHECK_LISTS, result=None)
        if not (form.doc or form.upload):
            if fmt:
                raise WebError(400, _("nothing to download yet: upload a file or choose a document of the index first"))
            return page(request, "check.html", **ctx)
        if form.doc:
            subject = dict(kind="doc", doc=engine.doc_meta(form.doc), upload=None)
            report = engine.check_indexed(form.doc, form.options)
        else:
            up = engine.upload(form.upload)
            if form.plan > len(up.docs):
                raise WebError(400, _("plan should be between 1 and {count}: {name} holds {count} plans").format(count=len(up.docs), name=up.name))
            subject = dict(kind="upload", doc=up.docs[form.plan - 1], upload=up)
            try:
                report = engine.check_upload(up, form.plan - 1, form.options)
            except PlansearchError as e:  # e.g. a plan whose items hold no characters
                raise WebError(422, _("{name}: cannot be checked ({problem})").format(name=up.name, problem=e)) from None
        if fmt == "html":
            from ..check_html import check_html

            return Response(check_html(report), media_type="text/html; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="plansearch-check.html"'})
        rec = check_report_record(report)
        if fmt in ("json", "xlsx"):
            return records_response(check_records(report), fmt, "check")
        if fmt == "csv":
            return records_response(rec[which], fmt, f"check-{which}")
        return page(request, "check.html", **dict(ctx, result=_check_view(report, rec, subject, engine)))

    async def check_upload(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
            raise WebError(413, _("the file is too large: at most {mb} MB").format(mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
        try:
            form = await request.form(max_files=1, max_fields=8, max_part_size=MAX_UPLOAD_BYTES + 1)
        except HTTPException as e:  # malformed multipart, too many parts
            raise WebError(400, _("the upload cannot be read: {problem}").format(problem=e.detail)) from None
        try:
            upload, pasted = form.get("file"), form.get("text")
            if isinstance(upload, UploadFile) and upload.filename:
                name = Path(upload.filename).name
                suffix = Path(name).suffix.lower()
                if suffix not in UPLOAD_SUFFIXES:
                    raise WebError(415, _("{name}: this kind of file is not supported (upload {suffixes})").format(
                        name=name, suffixes=list_sep().join(UPLOAD_SUFFIXES)))
                data = await upload.read(MAX_UPLOAD_BYTES + 1)
            elif isinstance(pasted, str) and pasted.strip():
                # a pasted draft is read as a plain-text file (officials paste more often than upload)
                name, suffix, data = _("pasted text"), ".txt", pasted.encode("utf-8")
            else:
                raise WebError(400, _("choose a file to check (txt, docx, pdf or html), or paste its text"))
            options = {k: form[k] for k in ("paraphrase",) if isinstance(form.get(k), str) and form[k].strip()}
        finally:
            await form.close()
        if len(data) > MAX_UPLOAD_BYTES:
            raise WebError(413, _("{name}: the file is too large, at most {mb} MB").format(name=name, mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
        if not data:
            raise WebError(422, _("{name}: the file is empty").format(name=name))
        docs = await run_in_threadpool(_load_upload, name, suffix, data)
        up = engine.keep_upload(name, len(data), docs)
        # Post/Redirect/Get: the report has a URL (reload, back, downloads), the upload is not re-sent
        return RedirectResponse(page_link("/check", {"upload": up.token, **options}), status_code=303)

    def api_docs(request: Request) -> Response:
        """Autocomplete: documents whose id or title holds the typed text (script-insensitive)."""
        q = compact(normalise(_text(request.query_params, "q")))
        found = [d for d in engine.documents
                 if not q or q in compact(normalise(d.doc_id)) or q in compact(normalise(d.title or ""))]
        return JSONResponse([{"doc_id": d.doc_id, "title": d.title, "year": year_label(d)} for d in found[:20]])

    def home(request: Request) -> Response:
        return RedirectResponse(page_link("/search"), status_code=302)

    # --- errors -------------------------------------------------------------------------------
    def error_page(request: Request, status: int, message: str, choices=()) -> Response:
        return page(request, "error.html", status=status, nav="", code=status, message=message, choices=choices)

    async def on_web_error(request: Request, exc: WebError) -> Response:
        choices = [dict(url=url_with(request, **{exc.param: d.doc_id}), doc=d) for d in exc.choices] \
            if isinstance(exc, AmbiguousTitle) else []
        return error_page(request, exc.status, exc.message, choices)

    async def on_plansearch_error(request: Request, exc: PlansearchError) -> Response:
        return error_page(request, 400, str(exc))

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        message = {404: _("there is no such page"), 405: _("this request method is not supported")}.get(exc.status_code, str(exc.detail))
        return error_page(request, exc.status_code, message)

    async def on_server_error(request: Request, exc: Exception) -> Response:
        # Starlette re-raises the exception after this page is sent: the server logs the traceback.
        # This handler runs outside PageLanguage (Starlette's outermost middleware calls it).
        with use_lang(request_lang(request.scope)):
            return error_page(request, 500, _("internal server error ({error}); the server's log has the details").format(error=type(exc).__name__))

    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/docs", documents),
        Route("/document", document),
        Route("/compare", compare),
        Route("/reuse", reuse),
        Route("/diffusion", diffusion),
        Route("/trend", trend_page),
        Route("/check", check_page, methods=["GET"]),
        Route("/check", check_upload, methods=["POST"]),
        Route("/api/docs", api_docs),
        Mount("/static", app=StaticFiles(directory=WEB_DIR / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders), Middleware(PageLanguage),
                                              Middleware(RequestGuard, allowed_hosts=allowed_hosts,
                                                         body_timeout=body_timeout)],
                    exception_handlers={WebError: on_web_error, PlansearchError: on_plansearch_error,
                                        HTTPException: on_http_error, Exception: on_server_error})
    app.state.engine = engine
    return app


def request_lang(scope) -> str:
    """The language a request asks for: its `?lang=`, Chinese by default."""
    lang = "zh"
    for key, _eq, value in (part.partition("=") for part in scope.get("query_string", b"").decode("latin-1").split("&")):
        if key == "lang" and normalise_lang(value):
            lang = normalise_lang(value)
    return lang


class PageLanguage:
    """Answers each request in its page's language: `?lang=en` or `?lang=zh`, Chinese by default
    (the app's readers read Chinese). A plain ASGI middleware, so the language (a contextvar) is
    set in the task that runs the endpoint and the threads it hands work to."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with use_lang(request_lang(scope)):
            await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (a plain ASGI middleware)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- pieces of pages ------------------------------------------------------------------------------

def _first_order(column: str) -> str:
    """Numbers sort largest first on the first click, names and years in reading order."""
    return "desc" if column in ("chars", "share_any", "share_earlier") else "asc"


def _span(raw: str) -> tuple[int, int] | None:
    if not raw:
        return None
    a, sep, b = raw.partition("-")
    if not (sep and a.isdigit() and b.isdigit() and int(a) < int(b)):
        raise WebError(400, _("mark should be two character positions, start-end, such as 120-180, not {value}").format(value=repr(raw)))
    return int(a), int(b)


def _hit_view(hit, probability: bool = False) -> dict:
    rec = hit_record(hit, probability=probability)
    return dict(rec=rec, excerpt=views.hit_excerpt(rec), coverage=round(rec["coverage"] * 100),
                url=doc_url(rec["doc_id"], item_ordinal(rec["item_id"])))


def _trend_url(form: SearchForm, basis: str) -> str | None:
    """The trend page for a search's query, as one topic and with the search's filters (none for
    a similar-measures search: the trend page leaves no document out)."""
    if form.exclude:
        return None
    topic = form.q.strip()
    if split_topics(topic) != [topic]:
        topic += "，"  # a list separator: the spaces stay inside the one topic
        if split_topics(topic) != [topic[:-1]]:
            return None  # the query holds a separator itself
    params = dict(q=topic, year_from=form.year_from, year_to=form.year_to, year_of=basis, region=form.region,
                  issuer=form.issuer, kind=form.kind, doc=form.doc)
    return page_link("/trend", {k: v for k, v in params.items() if v})


TREND_EXCERPT_CHARS = 90  # of a trend row's best example


def _trend_rows(table, records: list[dict]) -> list[dict]:
    """The table's rows for the page: per group its cells (the trend records, one per query, in
    order) and each cell's best example as a marked excerpt linking to the item."""
    n = len(table.queries)
    rows = []
    for gi, g in enumerate(table.groups):
        cells = []
        for r in records[gi * n:(gi + 1) * n]:
            example = None
            if r["example_text"] is not None:
                shown = dict(text=r["example_text"], highlights=r["example_highlights"] or [], match=r["example_match"])
                example = dict(excerpt=views.hit_excerpt(shown, TREND_EXCERPT_CHARS), title=r["example_title"],
                               url=doc_url(r["example_doc_id"], item_ordinal(r["example_item_id"])),
                               where=" › ".join((r["example_path"] or []) + [r["example_label"]]))
            cells.append(dict(rec=r, example=example))
        rows.append(dict(group=g, label=trend_group_label(table.by, g.key), cells=cells))
    return rows


def _levels_label(by_level: dict) -> str:
    return " · ".join(f"{term(lv)} {percent(by_level.get(lv, 0))}" for lv in LEVELS)


def _check_view(report, rec: dict, subject: dict, engine: Engine) -> dict:
    """A 查重 report for the page, from its records (records.check_report_record): the sources with
    their level bars and links, each passage's two sides with what was swapped, linking to the
    source item with the passage marked, and each item's text with its copied passages marked."""
    doc = report.doc
    indexed = subject["kind"] == "doc"
    sources = [dict(rec=s, url=doc_url(s["doc_id"]), bar=views.level_bar(s["by_level"], _levels_label(s["by_level"])),
                    compare=page_link("/compare", {"a": s["doc_id"], "b": doc.doc_id}) if indexed else None)
               for s in rec["sources"]]
    source_docs: dict = {}  # the sources' texts, to mark each passage where it stands in its document
    passages = []
    spans: dict[str, list] = {}
    for n, p in enumerate(rec["passages"], 1):
        checked, source = views.passage_sides(p)
        if p["source_doc_id"] not in source_docs:
            source_docs[p["source_doc_id"]] = engine.document(p["source_doc_id"])
        src_doc = source_docs[p["source_doc_id"]]
        ordinal = item_ordinal(p["source_item_id"])
        mark = views.passage_span_in_doc(src_doc, src_doc.items[ordinal], p["source_start"], p["source_end"])
        passages.append(dict(n=n, rec=p, checked=checked, source=source, checked_ordinal=item_ordinal(p["checked_item_id"]),
                             source_url=doc_url(p["source_doc_id"], ordinal, mark),
                             source_title=src_doc.title or src_doc.doc_id, source_year=year_label(src_doc),
                             swapped=list(dict.fromkeys(f"{a}→{b}" for a, b in p["swapped"]))))
        spans.setdefault(p["checked_item_id"], []).append((p["checked_start"], p["checked_end"], p["level"]))
    by_id = {it.item_id: it for it in doc.items}
    items = []
    for r in rec["items"]:
        it = by_id[r["item_id"]]
        items.append(dict(rec=r, ordinal=it.ordinal, label=item_label(it), segments=views.level_segments(it.text, spans.get(it.item_id, [])),
                          bar=views.level_bar(r["by_level"], _levels_label(r["by_level"]), 80, 8),
                          url=doc_url(doc.doc_id, it.ordinal) if indexed else None))
    summary = rec["summary"]
    top = next(iter(sources), None)
    return dict(subject=subject, doc=doc, summary=summary, sources=sources, passages=passages, item_shares=items,
                bar=views.level_bar(summary["by_level"], _levels_label(summary["by_level"]), 240, 14),
                top=top, excluded=[engine.doc_meta(x) for x in summary["excluded"] if not (indexed and x == doc.doc_id)])


def _add_relations(items: dict, doc, reuse, engine: Engine) -> None:
    """Per item: the passages it shares with other documents (the reuse report), as "from" (the other
    document is earlier), "to" (later) or "also" (same or unknown year), each linking to the passage;
    the nearest years first, since the copy a drafter started from is usually last year's."""
    meta = {d.doc_id: d for d in engine.documents}
    seen: set[tuple] = set()
    order = {"from": 0, "also": 1, "to": 2}
    for rank, cluster in reuse.by_doc.get(doc.doc_id, []):
        mine = [p for p in cluster.locations if p.doc_id == doc.doc_id]
        others = [p for p in cluster.locations if p.doc_id != doc.doc_id]
        for loc in mine:
            for ordinal in loc.item_ordinals:
                for other in others:
                    key = (ordinal, other.doc_id, other.start)
                    if key in seen or ordinal not in items:
                        continue
                    seen.add(key)
                    od = meta.get(other.doc_id)
                    known = bool(doc.year and od is not None and od.year and od.year != doc.year)
                    kind = ("from" if od.year < doc.year else "to") if known else "also"
                    first = other.item_ordinals[0] if other.item_ordinals else None
                    items[ordinal]["relations"].append(dict(
                        kind=kind, doc_id=other.doc_id, title=(od.title if od else "") or other.doc_id,
                        year=year_label(od) if od else "?", rank=rank, chars=cluster.chars,
                        url=doc_url(other.doc_id, first, (other.start, other.end)),
                        order=(order[kind], abs(od.year - doc.year) if known else 0, rank)))
    for v in items.values():
        v["relations"].sort(key=lambda r: r["order"])


def _load_upload(name: str, suffix: str, data: bytes):
    """The uploaded file read like a corpus file (load, clean, outline, metadata), from a private
    temporary directory that is removed afterwards; never from or into the index."""
    from ..corpus import load_corpus

    with tempfile.TemporaryDirectory(prefix="plansearch-upload-") as tmp:
        stem = "".join(ch for ch in Path(name).stem if ch.isalnum() or ch in "-_")[:80] or "upload"
        path = Path(tmp) / f"{stem}{suffix}"
        path.write_bytes(data)
        errors: list[LoadError] = []
        try:
            docs = load_corpus([path], errors=errors)
        except PlansearchError as e:
            raise WebError(422, _("{name}: cannot be read ({problem})").format(name=name, problem=e)) from None
        if errors:
            raise WebError(422, _("{name}: cannot be read ({problem})").format(name=name, problem=errors[0].problem))
        if not docs or not any(d.items for d in docs):
            raise WebError(422, _("{name}: no text could be read (nothing to check)").format(name=name))
        for d in docs:
            d.source = name  # not the temporary path
        return docs
