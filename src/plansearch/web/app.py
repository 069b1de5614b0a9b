"""The web app's pages: URLs -> library calls -> records -> templates.

Every page keeps its state in its query string (shareable links, the back button works), and any
result list downloads as CSV or JSON lines (`?format=csv|json`, written by records.write_records,
the same records the CLI prints). Bad input is a 4xx page with one line saying what is wrong; an
unexpected failure is a 500 page without a traceback (the traceback goes to the server's log).
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import jinja2
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
from ..metadata import year_label
from ..models import LoadError, PlansearchError
from ..normalise import compact, normalise
from ..records import (
    alignment_record,
    compare_summary_record,
    doc_record,
    doc_share_record,
    hit_record,
    item_label,
    item_record,
    items_label,
    outline_record,
    reuse_cluster_record,
    write_records,
)
from ..search import MAX_QUERY_CHARS, MODES, Filters, group_key, group_label, literal_query, parse_query
from . import views
from .engine import Engine, WebError

WEB_DIR = Path(__file__).resolve().parent
MAX_K = 100  # hits a page may ask for
CHART_TOP = 100  # the interim per-year chart counts the year of each of this many best hits
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a plan is tens of KB as text, a few MB as a scanned-free PDF
UPLOAD_SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
RELATIONS_SHOWN = 4  # copied from / to links under an item; the rest fold away (boilerplate is everywhere)
DATALIST_DOCS = 300  # documents offered in the page's autocomplete list; more are fetched by script

STATUS_ZH = {"same": "相同", "edited": "修改", "rewritten": "改写", "new": "新增", "dropped": "删除"}
KIND_ZH = {"plan": "计划", "summary": "总结", "report": "报告", "mixed": "总结与计划", "unknown": "未知"}
MODE_ZH = {"hybrid": "混合（默认）", "dense": "语义", "keyword": "关键词", "rrf": "RRF 融合",
           "weighted": "加权融合", "tiebreak": "语义，关键词定平局"}
ACROSS_ZH = {"any": "全部", "years": "跨年份", "regions": "跨地区"}
NOTE_ZH = {"no document for this year": "该年无文件", "no document for these years": "这些年无文件",
           "no matching item": "无匹配条目"}
SHARE_COLUMNS = {"doc_id": "文件", "year": "年份", "chars": "字数", "share_any": "见于任何其他文件",
                 "share_earlier": "见于更早的文件"}

SECURITY_HEADERS = {
    # Everything is served from here: no inline script, no other origin (document text can hold
    # "<script>", which the templates escape; this is the second line of defence).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def status_zh(status: str) -> str:
    return STATUS_ZH.get(status, status)  # a status added to compare.STATUSES shows by its name


def group_zh(label: str) -> str:
    """search_by's group labels in Chinese: "201X (year unknown)" -> "201X（年份不明）"."""
    if label == "year unknown":
        return "年份不明"
    return label.replace(" (year unknown)", "（年份不明）")


def doc_url(doc_id: str, ordinal: int | None = None, mark: tuple[int, int] | None = None) -> str:
    params = {"id": doc_id}
    if mark is not None:
        params["mark"] = f"{mark[0]}-{mark[1]}"
    return "/document?" + urlencode(params) + (f"#item-{ordinal}" if ordinal is not None else "")


def item_ordinal(item_id: str) -> int:
    return int(item_id.rsplit(":", 1)[1])


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
        raise WebError(400, f"{name} 应为整数，而不是 {raw!r}") from None
    if not lo <= value <= hi:
        raise WebError(400, f"{name} 应在 {lo} 到 {hi} 之间，而不是 {value}")
    return value


def _choice(params, name: str, choices, default: str) -> str:
    value = _text(params, name) or default
    if value not in choices:
        raise WebError(400, f"{name} 只能是 {', '.join(choices)} 之一，而不是 {value!r}")
    return value


def download_format(params) -> str | None:
    fmt = _text(params, "format")
    if fmt and fmt not in ("csv", "json"):
        raise WebError(400, f"format 只能是 csv 或 json，而不是 {fmt!r}")
    return fmt or None


def records_response(records, fmt: str, name: str) -> Response:
    """A download of records, as the CLI's `--format csv|json` writes them (JSON: one object per
    line). CSV starts with a byte-order mark, so that Excel reads the Chinese as UTF-8."""
    buf = io.StringIO()
    write_records(records, fmt, buf)
    body = buf.getvalue()
    if fmt == "csv":
        body, media, ext = "\ufeff" + body, "text/csv; charset=utf-8", "csv"
    else:
        media, ext = "application/x-ndjson; charset=utf-8", "jsonl"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="plansearch-{name}.{ext}"'})


@dataclass
class SearchForm:
    """The search page's state, read from its URL and checked."""

    q: str | None
    year_from: str
    year_to: str
    region: str
    issuer: str
    kind: str
    doc: str
    exclude: str
    mode: str
    year_of: str
    view: str
    k: int
    filters: Filters

    @classmethod
    def read(cls, params, engine: Engine) -> "SearchForm":
        q = params.get("q")
        if q is not None:
            try:
                parse_query(q)
            except PlansearchError:
                raise WebError(400, "查询为空：请输入要找的内容，例如 留守儿童关爱") from None
        view = _choice(params, "view", ("list", "year"), "list")
        mode = _choice(params, "mode", MODES, "hybrid")
        k = _int(params, "k", 3 if view == "year" else 10, 1, MAX_K)
        year_of = _choice(params, "year_of", ("", "plan", "review"), "")
        y_from, y_to = _text(params, "year_from"), _text(params, "year_to")
        for raw in (y_from, y_to):
            if raw and not (raw.isdigit() and len(raw) == 4):
                raise WebError(400, f"年份应为四位数字，如 2019，而不是 {raw!r}")
        years = ""
        if y_from or y_to:
            known = engine.known_years() or [int(y_from or y_to)]
            lo = y_from or str(min(known[0], int(y_to)))
            hi = y_to or str(max(known[-1], int(y_from)))
            if int(lo) > int(hi):
                raise WebError(400, f"年份范围为空：从 {lo} 到 {hi}")
            years = f"{lo}-{hi}"
        region, issuer, kind, doc = (_text(params, n) for n in ("region", "issuer", "kind", "doc"))
        try:
            filters = Filters.from_strings(years, region, issuer, kind, doc, year_of)
        except PlansearchError as e:
            raise WebError(400, str(e)) from None
        engine.check_doc_filter(doc)
        exclude = _text(params, "exclude")
        if exclude:
            engine.document(exclude)  # 404 for an unknown id
            filters = replace(filters, doc_ids=tuple(d.doc_id for d in engine.documents if d.doc_id != exclude))
        return cls(q, y_from, y_to, region, issuer, kind, doc, exclude, mode, year_of, view, k, filters)


# --- the app ------------------------------------------------------------------------------------------

def create_app(index_dir: str | os.PathLike = "index", *, model: str | None = None,
               engine: Engine | None = None, warm: bool = False) -> Starlette:
    """The web app over one index. `warm` loads the model and indexes now and starts the reuse
    report in the background (what `plansearch serve` does); tests pass their own `engine`."""
    engine = engine or Engine(index_dir, model)
    if warm:
        engine.warm()
        engine.warm_reuse_in_background()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB_DIR / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(status_zh=status_zh, kind_zh=lambda k: KIND_ZH.get(k or "unknown", k),
                       group_zh=group_zh, doc_url=doc_url, item_label=item_label, year_label=year_label,
                       items_label=items_label, item_ordinal=item_ordinal, MODE_ZH=MODE_ZH, ACROSS_ZH=ACROSS_ZH, NOTE_ZH=NOTE_ZH,
                       MAX_UPLOAD_MB=MAX_UPLOAD_BYTES // (1024 * 1024), UPLOAD_SUFFIXES=UPLOAD_SUFFIXES)
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, status: int = 200, **ctx) -> Response:
        ctx.setdefault("nav", name.split(".")[0])
        ctx.update(url_with=partial(url_with, request), index_location=engine.location,
                   datalist_docs=engine.documents[:DATALIST_DOCS])
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    # --- search -------------------------------------------------------------------------------
    def search(request: Request) -> Response:
        params = request.query_params
        form = SearchForm.read(params, engine)
        fmt = download_format(params)
        ctx = dict(form=form, modes=MODES, kinds=("plan", "summary", "report", "mixed"),
                   regions=sorted({d.region for d in engine.documents if d.region}),
                   issuers=sorted({d.issuer for d in engine.documents if d.issuer}),
                   excluded=engine.document(form.exclude) if form.exclude else None,
                   hits=None, groups=None, chart=None, notices=[], max_query=MAX_QUERY_CHARS)
        if form.q is None:
            if fmt:
                raise WebError(400, "没有可下载的结果：先输入查询")
            return page(request, "search.html", **ctx)
        if form.view == "year":
            basis = form.year_of or "plan"
            groups = engine.search_by_year(form.q, form.k, form.mode, form.filters, basis)
            if fmt:
                return records_response((hit_record(h, group=g.key) for g in groups for h in g.hits), fmt,
                                        "search-by-year")
            overall = engine.search(form.q, CHART_TOP, form.mode, form.filters)
            ctx["groups"] = [(g, [_hit_view(h) for h in g.hits]) for g in groups]
            ctx["chart"] = _year_chart(groups, overall, basis)
            ctx["notices"] = overall.notices
            ctx["chart_top"] = CHART_TOP
        else:
            hits = engine.search(form.q, form.k, form.mode, form.filters)
            if fmt:
                return records_response((hit_record(h) for h in hits), fmt, "search")
            ctx["hits"] = [_hit_view(h) for h in hits]
            ctx["notices"] = hits.notices
        return page(request, "search.html", **ctx)

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
            raise WebError(400, "缺少 id：要看哪份文件？（见“文件”页）")
        mark = _span(_text(params, "mark"))
        fmt = download_format(params)
        doc = engine.document(doc_id)
        if fmt == "json":
            return records_response([outline_record(doc)], fmt, "document")
        if fmt == "csv":
            return records_response((dict(doc_id=doc.doc_id, **item_record(it)) for it in doc.items), fmt,
                                    "document")
        reuse = engine.reuse()
        share = next(iter(reuse.report.touching(doc.doc_id).doc_shares), None)
        items = {}
        for it in doc.items:
            span = views.passage_in_item(doc, it, *mark) if mark else None
            items[it.ordinal] = dict(
                segments=views.marked(it.text, None, [span] if span else []),
                marked=span is not None,
                similar="/search?" + urlencode({"q": literal_query(it.text), "exclude": doc.doc_id}),
                relations=[])
        _add_relations(items, doc, reuse, engine)
        first_marked = next((o for o, v in items.items() if v["marked"]), None)
        return page(request, "document.html", doc=doc, rec=doc_record(doc), tree=views.outline_tree(doc),
                    items=items, share=share, first_marked=first_marked,
                    titles={d.doc_id: d.title for d in engine.documents}, relations_shown=RELATIONS_SHOWN,
                    years={d.doc_id: year_label(d) for d in engine.documents})

    # --- compare ------------------------------------------------------------------------------
    def compare(request: Request) -> Response:
        params = request.query_params
        a_id, b_id = _text(params, "a"), _text(params, "b")
        statuses = compare_mod.STATUSES  # read at request time: compare's list may grow
        only = [s for s in params.getlist("only") if s.strip()] or list(statuses)
        unknown = [s for s in only if s not in statuses]
        if unknown:
            raise WebError(400, f"未知状态 {', '.join(unknown)}（可选：{', '.join(statuses)}）")
        semantic = _choice(params, "semantic", ("1", "0"), "1") == "1"
        fmt = download_format(params)
        ctx = dict(a_id=a_id, b_id=b_id, only=only, statuses=statuses, semantic=semantic, cmp=None)
        if not (a_id and b_id):
            if fmt:
                raise WebError(400, "没有可下载的结果：先选 A 和 B")
            for ref in (a_id, b_id):
                if ref:
                    engine.document(ref)
            return page(request, "compare.html", **ctx)
        cmp = engine.comparison(a_id, b_id, semantic)
        shown = [al for al in cmp.alignments if al.status in only]
        if fmt:
            records = [alignment_record(al, cmp.a.doc_id) for al in shown]
            if fmt == "json":
                records.insert(0, compare_summary_record(cmp))
            return records_response(records, fmt, "compare")
        rows = []
        for al in shown:
            rec = alignment_record(al, cmp.a.doc_id)
            a_side, b_side = views.diff_sides(rec)
            rows.append(dict(al=al, rec=rec, a=a_side, b=b_side))
        ctx.update(cmp=cmp, summary=compare_summary_record(cmp), rows=rows, counts=cmp.summary.counts)
        return page(request, "compare.html", **ctx)

    # --- reuse --------------------------------------------------------------------------------
    def reuse(request: Request) -> Response:
        params = request.query_params
        across = _choice(params, "across", tuple(ACROSS_ZH), "any")
        min_chars = _int(params, "min_chars", 30, 10, 2000)
        max_spread = _int(params, "max_spread", None, 2, 100000)
        top = _int(params, "top", 50, 1, 1000)
        sort = _choice(params, "sort", tuple(SHARE_COLUMNS), "share_any")
        order = _choice(params, "order", ("desc", "asc"), _first_order(sort))
        which = _choice(params, "list", ("all", "clusters", "shares"), "all")
        fmt = download_format(params)
        view = engine.reuse(min_chars, across)
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
                       "all": clusters + shares if fmt == "json" else clusters}[which]
            return records_response(records, fmt, f"reuse-{which}")
        return page(request, "reuse.html", clusters=clusters, shares=shares, meta=meta, across=across,
                    min_chars=min_chars, max_spread=max_spread, top=top, sort=sort, order=order,
                    total=len(view.report.clusters), n_docs=view.report.n_docs,
                    columns=[dict(key=key, label=label, current=key == sort, num=key not in ("doc_id", "year"),
                                  url=url_with(request, sort=key, order=("asc" if order == "desc" else "desc")
                                               if key == sort else _first_order(key)) + "#shares")
                             for key, label in SHARE_COLUMNS.items()])

    # --- check --------------------------------------------------------------------------------
    def check_form(request: Request) -> Response:
        return page(request, "check.html", result=None)

    async def check_upload(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
            raise WebError(413, f"文件太大：上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        try:
            form = await request.form(max_files=1, max_fields=8)
        except HTTPException as e:  # malformed multipart, too many parts
            raise WebError(400, f"上传无法读取：{e.detail}") from None
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise WebError(400, "请选择要查重的文件（txt、docx、pdf 或 html）")
            name = Path(upload.filename).name
            suffix = Path(name).suffix.lower()
            if suffix not in UPLOAD_SUFFIXES:
                raise WebError(415, f"{name}：不支持的文件类型（可上传 {'、'.join(UPLOAD_SUFFIXES)}）")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
        finally:
            await form.close()
        if len(data) > MAX_UPLOAD_BYTES:
            raise WebError(413, f"{name}：文件太大，上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        if not data:
            raise WebError(422, f"{name}：文件是空的")
        docs = await run_in_threadpool(_load_upload, name, suffix, data)
        report = check_report(engine, docs)
        return page(request, "check.html", result=dict(name=name, size=len(data), docs=docs, report=report))

    def api_docs(request: Request) -> Response:
        """Autocomplete: documents whose id or title holds the typed text (script-insensitive)."""
        q = compact(normalise(_text(request.query_params, "q")))
        found = [d for d in engine.documents
                 if not q or q in compact(normalise(d.doc_id)) or q in compact(normalise(d.title or ""))]
        return JSONResponse([{"doc_id": d.doc_id, "title": d.title, "year": year_label(d)} for d in found[:20]])

    def home(request: Request) -> Response:
        return RedirectResponse("/search", status_code=302)

    # --- errors -------------------------------------------------------------------------------
    def error_page(request: Request, status: int, message: str) -> Response:
        return page(request, "error.html", status=status, nav="", code=status, message=message)

    async def on_web_error(request: Request, exc: WebError) -> Response:
        return error_page(request, exc.status, exc.message)

    async def on_plansearch_error(request: Request, exc: PlansearchError) -> Response:
        return error_page(request, 400, str(exc))

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        message = {404: "没有这个页面", 405: "不支持这种请求方法"}.get(exc.status_code, str(exc.detail))
        return error_page(request, exc.status_code, message)

    async def on_server_error(request: Request, exc: Exception) -> Response:
        # Starlette re-raises the exception after this page is sent: the server logs the traceback.
        return error_page(request, 500, f"服务器内部错误（{type(exc).__name__}），详情见服务器日志")

    routes = [
        Route("/", home),
        Route("/search", search),
        Route("/docs", documents),
        Route("/document", document),
        Route("/compare", compare),
        Route("/reuse", reuse),
        Route("/check", check_form, methods=["GET"]),
        Route("/check", check_upload, methods=["POST"]),
        Route("/api/docs", api_docs),
        Mount("/static", app=StaticFiles(directory=WEB_DIR / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={WebError: on_web_error, PlansearchError: on_plansearch_error,
                                        HTTPException: on_http_error, Exception: on_server_error})
    app.state.engine = engine
    return app


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
        raise WebError(400, f"mark 应为“起-止”两个字符位置，如 120-180，而不是 {raw!r}")
    return int(a), int(b)


def _hit_view(hit) -> dict:
    rec = hit_record(hit)
    return dict(rec=rec, excerpt=views.hit_excerpt(rec), coverage=round(rec["coverage"] * 100),
                url=doc_url(rec["doc_id"], item_ordinal(rec["item_id"])))


def _year_chart(groups, overall, basis: str):
    """The interim chart: per year, how many of the whole index's CHART_TOP best hits stand in
    that year's documents (years from search_by, gaps shown). Not calibrated: the trend API (#15)
    will say how many items match per year."""
    counts: dict[str, int] = {}
    for h in overall:
        label = group_label(group_key(h.doc, "year", basis), "year")
        counts[label] = counts.get(label, 0) + 1
    bars = [views.Bar(_short_year(g.key), None if g.note.startswith("no document") else counts.get(g.key, 0),
                      group_zh(g.key)) for g in groups]
    caption = f"每年命中条数：全库前 {len(overall)} 条结果中各年的条数（未校准）"
    return dict(svg=views.year_chart_svg(bars, caption), bars=bars, caption=caption,
                n_bars=sum(b.count is not None for b in bars))


def _short_year(label: str) -> str:
    """A year group's label short enough for under a bar: "201X (year unknown)" -> "201X"."""
    return "?" if label == "year unknown" else label.replace(" (year unknown)", "")


def _add_relations(items: dict, doc, reuse, engine: Engine) -> None:
    """Per item: the passages it shares with other documents (the reuse report), as 来源 (the other
    document is earlier), 去向 (later) or 同见 (same or unknown year), each linking to the passage;
    the nearest years first, since the copy a drafter started from is usually last year's."""
    meta = {d.doc_id: d for d in engine.documents}
    seen: set[tuple] = set()
    order = {"来源": 0, "同见": 1, "去向": 2}
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
                    kind = ("来源" if od.year < doc.year else "去向") if known else "同见"
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
            raise WebError(422, f"{name}：无法读取（{e}）") from None
        if errors:
            raise WebError(422, f"{name}：无法读取（{errors[0].problem}）")
        if not docs or not any(d.items for d in docs):
            raise WebError(422, f"{name}：读不出正文（没有可查的文字）")
        for d in docs:
            d.source = name  # not the temporary path
        return docs


def check_report(engine: Engine, docs):
    """TODO(#13): the 查重 report. When `plansearch check` lands, run it here on the uploaded
    document(s) against the index (e.g. `check.check(docs[0], index=engine.searcher.index)`, under
    `engine.lock` if it uses the model) and return its records; `check.html` renders them where it
    says TODO(#13). Until then the page shows what was read from the upload."""
    return None
