"""The `plansearch` command: a thin typer layer over the library API.

Every command checks its options before doing any work, and turns a PlansearchError into one
line on stderr and exit code 1 (never a traceback). Listing commands print a table in a terminal,
or `--format json` (JSON lines; `--json` is the same) or `--format csv`.

The light stages are imported here; a command imports the heavy ones it runs (search and the
index: numpy and FAISS; compare, check, trend; the web server) when it runs, so `--help`,
`docs` and `outline` start without them.
"""
from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import render
from .corpus import DocumentFinder, find_document, load_corpus
from .embed import resolve_model
from .i18n import LANGS, _, set_lang
from .metadata import YEAR_BASES
from .models import BadParameter, LoadError, PlansearchError
from .records import (
    FORMATS,
    alignment_record,
    check_passage_record,
    check_records,
    compare_summary_record,
    doc_record,
    doc_share_record,
    hit_record,
    outline_record,
    reuse_cluster_record,
    trend_records,
    write_records,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Search, compare and find copy-paste in Chinese government work plans and reports. "
                       "Run `plansearch COMMAND --help` for a command's options.")

DEFAULT_CORPUS = os.environ.get("PLANSEARCH_CORPUS", "corpus")
DEFAULT_INDEX = os.environ.get("PLANSEARCH_INDEX", "index")


@app.callback()
def main(
    lang: Optional[str] = typer.Option(None, "--lang", metavar="zh|en",
                                       help="Language of messages, tables and reports: zh or en "
                                            "(default: $PLANSEARCH_LANG, then the locale, e.g. LANG=zh_CN.UTF-8)."),
):
    """Search, compare and find copy-paste in Chinese government work plans and reports."""
    if lang is not None and lang not in LANGS:
        _fail(_("--lang must be one of {choices}, not {value!r}").format(choices=", ".join(LANGS), value=lang))
    set_lang(lang)


def _fail(msg: str) -> None:
    typer.echo(_("error: {message}").format(message=msg), err=True)
    raise typer.Exit(1)


def friendly(fn):
    """Run a command, reporting user errors as one line and Ctrl-C without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a full disk under `> out.json` shows here, not as a traceback at exit
            return result
        except BadParameter as e:  # the library names parameters; users type options
            _fail(e.named("--" + e.param.replace("_", "-")))
        except PlansearchError as e:
            _fail(str(e))
        except KeyboardInterrupt:
            typer.echo(_("interrupted"), err=True)
            raise typer.Exit(130)
        except BrokenPipeError:  # `plansearch search … | head`: the reader has what it wanted
            sys.stderr.close()
            raise typer.Exit(0)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG):
                raise
            _drop_stdout()  # what could not be written must not be retried (and fail again) at exit
            _fail(_("cannot write the output: {error}").format(error=e.strerror or e))

    return wrapper


def _drop_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _report_load(errors: list[LoadError], warnings: list[str]) -> None:
    for e in errors:
        typer.echo(_("skipped {problem}").format(problem=e), err=True)
    for w in warnings:
        typer.echo(_("warning: {message}").format(message=w), err=True)


def _load(paths: list[Path]):
    errors: list[LoadError] = []
    warnings: list[str] = []
    try:
        docs = load_corpus(paths, errors=errors, warnings=warnings)
    finally:
        _report_load(errors, warnings)
    return docs


def _format(fmt: str, as_json: bool) -> str:
    if as_json:
        return "json"
    if fmt not in FORMATS:
        raise PlansearchError(f"--format takes {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


FORMAT_HELP = "table (default), json (one object per line) or csv."
JSON_HELP = "Same as --format json."


def _open_index_if_any(index_dir: Path | None, explicit: bool):
    """The index at `index_dir` to look documents up in: an explicit --index must exist; the
    default one is used when it is there."""
    from .store import has_index, open_index

    if index_dir is None:
        return None
    if not explicit and not has_index(index_dir):
        return None
    return open_index(index_dir)


def _finder(index_dir: Optional[Path], corpus: Optional[Path]):
    """Where document ids are looked up: an --index given (or the default index, when it exists
    and no --corpus was given) first, then the corpus (given, or the default one)."""
    index = _open_index_if_any(index_dir if index_dir is not None else (None if corpus else Path(DEFAULT_INDEX)),
                               explicit=index_dir is not None)
    return DocumentFinder(index=index, corpus=corpus if corpus is not None else Path(DEFAULT_CORPUS))


def _check_model(model: Optional[str]) -> None:
    if model is not None:
        resolve_model(model)


def _write_html(html: Path, write, option: str = "--html", what: str = "the HTML report") -> None:
    """Write an HTML report (or another file a command makes: `what`), or fail in one line naming
    the path (after the terminal report)."""
    if str(html).strip() == "":
        raise PlansearchError(f"{option} needs a file name")
    try:
        out = write(html)
    except IsADirectoryError:
        raise PlansearchError(f"{html}: is a directory; give a file name for {what}") from None
    except OSError as e:
        raise PlansearchError(f"{html}: cannot write {what} ({e.strerror or e})") from None
    typer.echo(f"wrote {out}", err=True)


def _check_html_target(html: Optional[Path], option: str = "--html", what: str = "the HTML report") -> None:
    """Refuse an HTML path (or another output file: `what`) that cannot be written before any
    work is done."""
    if html is None:
        return
    if str(html).strip() == "":
        raise PlansearchError(f"{option} needs a file name")
    if html.is_dir():
        raise PlansearchError(f"{html}: is a directory; give a file name for {what}")
    parent = html.parent if str(html.parent) else Path(".")
    if not parent.is_dir():
        raise PlansearchError(f"{html}: folder {parent} does not exist")
    existed = html.exists()
    try:  # the one reliable test (root passes os.access even where /sys refuses): open it
        with open(html, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise PlansearchError(f"{html}: cannot write {what} ({e.strerror or e})") from None
    if not existed:
        html.unlink()


# --- docs / outline ------------------------------------------------------------------------------

@app.command(short_help="List the documents of a corpus: id, title, year, region, issuer, kind.")
@friendly
def docs(
    path: List[Path] = typer.Argument(None, metavar="PATH", help="Files or directories (default: the corpus, $PLANSEARCH_CORPUS)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    """List documents: id, title, year, region, issuer, kind and item count. Values set in
    manifest.csv are marked with *."""
    fmt = _format(fmt, as_json)
    paths = path or [Path(DEFAULT_CORPUS)]
    documents = _load(paths)
    if not documents:
        raise PlansearchError(f"no documents found in {', '.join(map(str, paths))}")
    if fmt == "table":
        render.print_docs(documents)
    else:
        write_records((doc_record(d) for d in documents), fmt)


@app.command(short_help="Show one document's outline: headings and numbered items.")
@friendly
def outline(
    doc: str = typer.Argument(..., metavar="DOC", help="Document id (see `plansearch docs`), a file, or file#N."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Corpus directory to look the id up in "
                                          "(default: the index if it knows the id, else corpus/)."),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="Index to look the id up in (default: index/)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table (a tree) or json."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    """Show a document's outline as a tree of headings and numbered items."""
    fmt = _format(fmt, as_json)
    if fmt == "csv":
        raise PlansearchError("outline prints a tree or json, not csv")
    finder = _finder(index_dir, corpus)
    try:
        d = finder.find(doc)
    finally:
        _report_load(finder.errors, [])
    if fmt == "json":
        write_records([outline_record(d)], "json")
    else:
        render.print_outline(d)


# --- index / search ------------------------------------------------------------------------------

@app.command(short_help="Build or update the search index (embeds new text only).")
@friendly
def index(
    path: List[Path] = typer.Argument(None, metavar="PATH", help="Files or directories (default: the corpus, $PLANSEARCH_CORPUS)."),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="Index directory ($PLANSEARCH_INDEX)."),
    model: Optional[str] = typer.Option(None, "--model", help="A sentence-transformers name already on this "
                                        "machine, st:NAME, or a local model directory (default: the bundled "
                                        "multilingual-e5-small)."),
    vector_kind: Optional[str] = typer.Option(None, "--vectors", help="flat (exact), pq (approximate: 4-bit "
                                              "codes propose candidates, re-scored exactly) or hnsw (approximate "
                                              "graph); default: flat below 150,000 sentence windows, pq above."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if nothing changed."),
    store: Optional[str] = typer.Option(None, "--store", help="Where the index lives: local (default: files in "
                                        "the index directory), milvus-lite:PATH.db (a Milvus Lite file) or "
                                        "milvus://HOST:PORT (a Milvus server); $PLANSEARCH_STORE. Recorded in the "
                                        "index directory, so later commands find it."),
    drop: bool = typer.Option(False, "--drop", help="Remove the index instead of building it: its versions "
                              "(local generations, or its collections on the Milvus server or Lite file, "
                              "which deleting the folder leaves behind); the embedding cache stays."),
):
    """Build or update the search index: embeddings, keyword index and document store. An unchanged
    corpus is answered in a second; a damaged index is rebuilt."""
    from .store import build_index, check_store_spec, drop_index
    from .vectors import check_kind

    if drop:
        if path or force or store or vector_kind or model:
            raise PlansearchError(_("--drop takes only --index"))
        dropped = drop_index(index_dir)
        typer.echo(_("dropped {n} from {dir}/: {names}").format(n=len(dropped), dir=index_dir,
                                                                names=", ".join(dropped) or "-"))
        return

    if vector_kind is not None:
        check_kind(vector_kind)
    if store is not None:
        check_store_spec(store)
    _check_model(model)
    errors: list[LoadError] = []
    warnings: list[str] = []
    try:
        with render.IndexProgress() as bar:
            report = build_index(path or [Path(DEFAULT_CORPUS)], index_dir, model=model, progress=bar.update,
                                 errors=errors, vector_kind=vector_kind, force=force, warnings=warnings,
                                 on_wait=lambda msg: typer.echo(msg, err=True), store=store)
    finally:
        _report_load(errors, warnings)
    render.print_index_report(report)


@app.command(short_help="Search the index by topic: hybrid meaning + words, with filters.")
@friendly
def search(
    query: str = typer.Argument(..., metavar="QUERY", help='What to look for, e.g. 留守儿童关爱. "Quoted phrases" and +words must '
                                          'stand in every hit, -words in none.'),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="Index directory ($PLANSEARCH_INDEX)."),
    k: Optional[int] = typer.Option(None, "-k", "--top", help="How many hits (default 10; per group with --by: 3)."),
    year: Optional[int] = typer.Option(None, "--year", help="Only documents of this year. A review→plan "
                                       "document (2023→2024) counts for both years unless --year-of says which."),
    years: Optional[str] = typer.Option(None, "--years", help="A range of years, e.g. 2019-2022."),
    year_of: Optional[str] = typer.Option(None, "--year-of", help="Which year of a review→plan document "
                                          "filters and --by year use: plan or review (default: filters "
                                          "take either, --by year the plan year)."),
    region: Optional[str] = typer.Option(None, "--region", help="Only documents whose region contains this, e.g. 华州."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Only documents whose issuer contains this, e.g. 教育局."),
    kind: Optional[str] = typer.Option(None, "--kind", help="plan, summary, report or mixed."),
    level: Optional[str] = typer.Option(None, "--level", help="Only documents of this administrative level: national, province, city, county or district."),
    doc: Optional[str] = typer.Option(None, "--doc", help="Only this document (or all plans of a file stem)."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (default), dense, keyword, rrf, weighted, tiebreak."),
    by: Optional[str] = typer.Option(None, "--by", help="Best hits per year, region, level, issuer, kind or doc, side by side."),
    model: Optional[str] = typer.Option(None, "--model", help="Must be the model the index was built with."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    """Search the index: hybrid meaning (embeddings) + words (BM25) by default, with metadata filters.
    Each hit says which of the query's words it holds; when no item holds them all, a note says so."""
    from .search import GROUPINGS, MODES, Filters, Searcher, mixed_levels, parse_query, parse_years

    fmt = _format(fmt, as_json)
    parse_query(query)  # an empty query fails before the index is opened
    if mode not in MODES:
        raise PlansearchError(f"--mode takes {', '.join(MODES)}, not {mode!r}")
    if by is not None and by not in GROUPINGS:
        raise PlansearchError(f"--by takes {', '.join(GROUPINGS)}, not {by!r}")
    k = k if k is not None else (3 if by else 10)
    if k < 1:
        raise PlansearchError(f"-k/--top must be at least 1, not {k}")
    if year is not None and years is not None:
        raise PlansearchError("give --year or --years, not both")
    if year_of is not None and year_of not in YEAR_BASES[1:]:
        raise PlansearchError(f"--year-of takes plan or review, not {year_of!r}")
    if kind is not None and kind not in ("plan", "summary", "report", "mixed"):
        raise PlansearchError(f"--kind takes plan, summary, report or mixed, not {kind!r}")
    _check_model(model)
    span = (year, year) if year is not None else parse_years(years) if years else None
    filters = Filters(years=span, region=region, issuer=issuer, kind=kind, level=level, doc=doc,
                      year_basis=year_of or "any")
    searcher = Searcher(index_dir, model)
    try:
        if doc is not None and not any(filters.accepts(d) for d in searcher.index.documents):
            find_document(searcher.index.documents, doc)  # raises with close ids
        if by:
            groups = searcher.search_by(query, by, per_group=k, mode=mode, filters=filters,
                                        year_basis=year_of or "plan")
            # what the groups share (a word read as its synonym, no item holding every word), said
            # once for the whole selection, as the web page's per-year view does
            render.print_notices(searcher.search(query, 1, mode, filters).notices)
            if by != "level":
                render.print_notices(mixed_levels((g.key, g.levels) for g in groups))
            if fmt == "table":
                render.print_hit_groups(query, by, groups)
            else:
                write_records((hit_record(h, group=g.key, probability=getattr(g.hits, "probability", False))
                               for g in groups for h in g.hits), fmt)
            return
        hits = searcher.search(query, k, mode, filters)
        if not hits:
            render.print_notices(hits.notices)
            why = filters.why_nothing(searcher.index.documents) if filters.active() else ""
            raise PlansearchError("no matches" + (" with these filters (" + filters.describe() + ")"
                                                  if filters.active() else "") + (f": {why}" if why else ""))
        if fmt == "table":
            render.print_hits(query, hits)
        else:
            render.print_notices(hits.notices)
            write_records((hit_record(h, probability=hits.probability) for h in hits), fmt)
    finally:
        searcher.close()



@app.command("trend", short_help="How much each year's (region's, …) documents say about topics.")
@friendly
def trend_cmd(
    queries: List[str] = typer.Argument(..., metavar="QUERY", help="One or more topics, e.g. 双减 课后服务 留守儿童 (one column "
                                                  "each). \"Quoted phrases\", +words and -words as in search."),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="Index directory ($PLANSEARCH_INDEX)."),
    by: str = typer.Option("year", "--by", help="One row per year (gaps shown), region, level, issuer or kind."),
    year: Optional[int] = typer.Option(None, "--year", help="Only documents of this year."),
    years: Optional[str] = typer.Option(None, "--years", help="A range of years, e.g. 2013-2025: one row for "
                                        "each (gaps included)."),
    year_of: str = typer.Option("plan", "--year-of", help="Which year a review→plan document (2023→2024) "
                                "counts under, in the rows and the year filters: plan (default) or review."),
    region: Optional[str] = typer.Option(None, "--region", help="Only documents whose region contains this."),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="Only documents whose issuer contains this."),
    kind: Optional[str] = typer.Option(None, "--kind", help="plan, summary, report or mixed."),
    level: Optional[str] = typer.Option(None, "--level", help="Only documents of this administrative level: national, province, city, county or district."),
    doc: Optional[str] = typer.Option(None, "--doc", help="Only this document (or all plans of a file stem)."),
    model: Optional[str] = typer.Option(None, "--model", help="Must be the model the index was built with."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " (one record per row and query)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    chart: Optional[Path] = typer.Option(None, "--chart", help="Also write the trend as an SVG bar chart "
                                         "(opens in a browser)."),
):
    """Count, per year (or region, issuer, kind), the items that match each query, their share of the
    group's items, the documents mentioning it and the best example. A match is a calibrated
    decision, not a top-k: the item holds the query's words (by weight), or, for a query whose words
    no item holds, stands far above the corpus in meaning. Years without a document are gaps."""
    from .search import Filters, Searcher, parse_query, parse_years
    from .trend import GROUPINGS, chart_svg, trend

    fmt = _format(fmt, as_json)
    for q in queries:
        parse_query(q)  # an empty query fails before the index is opened
    if by not in GROUPINGS:
        raise PlansearchError(f"--by takes {', '.join(GROUPINGS)}, not {by!r}")
    if year is not None and years is not None:
        raise PlansearchError("give --year or --years, not both")
    if year_of not in YEAR_BASES[1:]:
        raise PlansearchError(f"--year-of takes plan or review, not {year_of!r}")
    if kind is not None and kind not in ("plan", "summary", "report", "mixed"):
        raise PlansearchError(f"--kind takes plan, summary, report or mixed, not {kind!r}")
    span = (year, year) if year is not None else parse_years(years) if years else None
    if span is not None and span[1] - span[0] > 200:
        raise PlansearchError(f"--years {span[0]}-{span[1]} is {span[1] - span[0] + 1} years: too long for a trend")
    if chart is not None:
        if chart.suffix.lower() == ".png":
            raise PlansearchError(f"{chart}: --chart writes SVG only (plansearch ships no plotting library); "
                                  f"give a .svg name and convert it if you need PNG, e.g. rsvg-convert")
        if chart.suffix.lower() != ".svg":
            raise PlansearchError(f"{chart}: --chart takes a file name ending in .svg")
        _check_html_target(chart, "--chart", "the chart")
    _check_model(model)
    filters = Filters(years=span, region=region, issuer=issuer, kind=kind, level=level, doc=doc, year_basis=year_of)
    searcher = Searcher(index_dir, model)
    try:
        if doc is not None and not any(filters.accepts(d) for d in searcher.index.documents):
            find_document(searcher.index.documents, doc)  # raises with close ids
        if filters.active() and not any(filters.accepts(d) for d in searcher.index.documents):
            why = filters.why_nothing(searcher.index.documents)
            raise PlansearchError(f"no document with these filters ({filters.describe()})" + (f": {why}" if why else ""))
        table = trend(queries, searcher, by=by, filters=filters, year_basis=year_of)
    finally:
        searcher.close()
    if fmt == "table":
        render.print_trend(table)
    else:
        render.print_notices(table.notices)
        write_records(trend_records(table), fmt)
    if chart is not None:
        svg = chart_svg(table)
        _write_html(chart, lambda p: (p.write_text(svg, encoding="utf-8"), p)[1], "--chart", "the chart")


# --- reuse ---------------------------------------------------------------------------------------

@app.command(short_help="Find copy-paste: passages that recur verbatim across documents.")
@friendly
def reuse(
    path: List[Path] = typer.Argument(None, metavar="PATH", help="Files or directories (default: the corpus)."),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="Read the documents stored in this index "
                                             "instead of parsing files."),
    min_chars: int = typer.Option(30, "--min-chars", help="Verbatim characters a passage needs "
                                  "(after normalising; spaces and punctuation not counted)."),
    across: str = typer.Option("any", "--across", help="years, regions, levels or any: only what documents of "
                               "different years / regions / levels share."),
    level: Optional[str] = typer.Option(None, "--level", help="Only documents of this administrative level: national, province, city, county or district."),
    doc: Optional[str] = typer.Option(None, "--doc", help="Only passages found in this document."),
    min_docs: int = typer.Option(2, "--min-docs", help="Only passages found in at least N documents."),
    max_spread: Optional[int] = typer.Option(None, "--max-spread", help="Drop passages found in more than N "
                                             "documents (boilerplate)."),
    top: int = typer.Option(20, "--top", "-k", help="How many passages to show."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " (csv: the passages only)"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per passage, then per document."),
):
    """Find copy-paste: passages that recur (near-)verbatim across documents, and how much of each
    document stands elsewhere."""
    from .reuse import check_settings as check_reuse_settings
    from .reuse import find_reuse

    fmt = _format(fmt, as_json)
    if index_dir is not None and path:
        raise PlansearchError("give files/directories or --index, not both")
    if top < 1:
        raise PlansearchError(f"--top must be at least 1, not {top}")
    check_reuse_settings(min_chars=min_chars, across=across, min_docs=min_docs, max_spread=max_spread)
    keep = None
    if level is not None:
        from .search import Filters

        keep = Filters(level=level)  # an unknown level fails here, before the documents are read
    if index_dir is not None:
        from .store import open_index

        ix = open_index(index_dir)
        try:
            documents = ix.all_documents()
        finally:
            ix.close()
    else:
        roots = path or [Path(DEFAULT_CORPUS)]
        documents = _load(roots)
        if not documents:
            raise PlansearchError(f"no documents found in {', '.join(map(str, roots))}")
    if keep is not None:
        documents = [d for d in documents if keep.accepts(d)]
    report = find_reuse(documents, min_chars=min_chars, across=across, doc=doc, min_docs=min_docs,
                        max_spread=max_spread)
    by_id = {d.doc_id: d for d in documents}
    if fmt == "table":
        render.print_reuse(report, by_id, top)
    elif fmt == "json":
        write_records((reuse_cluster_record(rank, c, by_id) for rank, c in enumerate(report.clusters[:top], 1)), fmt)
        write_records((doc_share_record(s) for s in report.doc_shares), fmt)
    else:
        write_records((reuse_cluster_record(rank, c, by_id) for rank, c in enumerate(report.clusters[:top], 1)), fmt)


# --- compare -------------------------------------------------------------------------------------

@app.command("compare", short_help="Compare two plans item by item: same, edited, rewritten, related, new, dropped.")
@friendly
def compare_cmd(
    a: str = typer.Argument(..., metavar="A", help="The earlier plan: document id, file, or file#N."),
    b: str = typer.Argument(..., metavar="B", help="The later plan: document id, file, or file#N."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Corpus directory to look ids up in "
                                          "(default: the index if it knows them, else corpus/)."),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="Index to look ids up in and whose "
                                             "embeddings to reuse (default: index/, if it exists)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " (csv: the alignments)"),
    as_json: bool = typer.Option(False, "--json", help="A summary object, then one JSON object per alignment."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a side-by-side HTML report to this file."),
    only: Optional[str] = typer.Option(None, "--only", help="Statuses to show, e.g. edited,new,dropped."),
    edited_min: Optional[float] = typer.Option(
        None, "--edited-min", help="Character similarity for `edited`, 0..1 (default 0.6)."),
    related_min: Optional[float] = typer.Option(
        None, "--related-min", help="Embedding cosine (from the two plans' mean) for a pair matched by "
                                    "meaning, rewritten or related, 0..1 (default 0.32)."),
    reworded_min: Optional[float] = typer.Option(
        None, "--reworded-min", help="Share of B's sentences with a partner in A for `rewritten` rather "
                                     "than `related` (same topic, new content), 0..1 (default 0.4)."),
    no_semantic: bool = typer.Option(False, "--no-semantic",
                                     help="Skip the embedding model (fast; no `rewritten` or `related`)."),
    model: Optional[str] = typer.Option(None, "--model", help="Embedding model (default: the bundled one)."),
):
    """Compare two plans item by item: same, edited (with the character diff), rewritten (most
    sentences reworded one to one), related (same topic, new content; shown sentence by sentence),
    new and dropped items, and how much of B stands verbatim in A."""
    from .compare import STATUSES, Thresholds, compare
    fmt = _format(fmt, as_json)
    statuses = [s.strip() for s in only.split(",") if s.strip()] if only else list(STATUSES)
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise PlansearchError(f"--only: unknown status {', '.join(unknown)} "
                              f"(choose from {', '.join(STATUSES)})")
    defaults = Thresholds()
    edited_min = defaults.edited_min if edited_min is None else edited_min
    related_min = defaults.related_min if related_min is None else related_min
    reworded_min = defaults.reworded_min if reworded_min is None else reworded_min
    for name, value in (("--edited-min", edited_min), ("--related-min", related_min),
                        ("--reworded-min", reworded_min)):
        if not 0.0 <= value <= 1.0:
            raise PlansearchError(f"{name} must be between 0 and 1, not {value}")
    _check_html_target(html)
    if not no_semantic:
        _check_model(model)
    finder = _finder(index_dir, corpus)
    try:
        doc_a, doc_b = finder.find(a), finder.find(b)
    finally:
        _report_load(finder.errors, [])
    vectors_from = finder.index.location if finder.index is not None else None
    with render.IndexProgress() as bar:
        cmp = compare(doc_a, doc_b, thresholds=Thresholds(edited_min=edited_min, related_min=related_min,
                                                            reworded_min=reworded_min),
                      semantic=not no_semantic, model=model, index_dir=vectors_from,
                      progress=lambda stage, done, total: bar.update("compare", done, total))
    if fmt == "table":
        render.print_comparison(cmp, statuses)
    else:
        records = [alignment_record(al, doc_a.doc_id) for al in cmp.alignments if al.status in statuses]
        if fmt == "json":
            records.insert(0, compare_summary_record(cmp))
        write_records(records, fmt)
    if html is not None:
        from .html_report import write_html

        _write_html(html, lambda p: write_html(cmp, p))


# --- check ---------------------------------------------------------------------------------------

@app.command("check", short_help="查重: how much of one document is copied, from which documents, which passages.")
@friendly
def check_cmd(
    file: Optional[str] = typer.Argument(None, metavar="FILE", help="The document to check: a .txt/.docx/.pdf/.html file (or "
                                         "file#N for one plan of a compiled page), not necessarily indexed."),
    doc: Optional[str] = typer.Option(None, "--doc", help="Check a document of the index (its id) against all "
                                      "the others instead of a file."),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="The index to check against "
                                   "($PLANSEARCH_INDEX)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " (csv: the passages)"),
    as_json: bool = typer.Option(False, "--json", help="A summary object, then one JSON object per source, "
                                 "passage and item."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report to this file."),
    min_chars: int = typer.Option(13, "--min-chars", help="Identical characters a verbatim run needs (CNKI: 13); "
                                  "a disguised passage needs as many matched."),
    years: Optional[str] = typer.Option(None, "--years", help="Only sources of these years, e.g. 2019-2022."),
    region: Optional[str] = typer.Option(None, "--region", help="Only sources whose region contains this."),
    exclude: List[str] = typer.Option([], "--exclude", help="Leave this document out of the sources (e.g. an "
                                      "earlier draft of the same plan); repeatable."),
    top: int = typer.Option(30, "--top", "-k", help="Passages shown in the terminal (0: all)."),
    no_paraphrase: bool = typer.Option(False, "--no-paraphrase", help="Skip the embedding model: verbatim and "
                                       "disguised levels only."),
):
    """查重 one document against the index: 总文字复制比 (the share of its characters inside copied
    passages) split into verbatim (CNKI's 13-character rule), disguised (identical after synonyms and
    masks, small edits bridged) and paraphrased (same meaning by sentence embeddings); each source's
    share (单篇最大文字复制比 the largest); every passage side by side; each item's copied share."""
    from .check import CheckSettings, check_document, check_settings
    from .search import parse_years
    from .store import StoredIndex

    fmt = _format(fmt, as_json)
    if (file is None) == (doc is None):
        raise PlansearchError("give a FILE to check or --doc ID (a document of the index), one of them")
    settings = CheckSettings(min_chars=min_chars, paraphrase=not no_paraphrase)
    check_settings(settings)
    if top < 0:
        raise PlansearchError(f"--top must be 0 (all) or more, not {top}")
    span = parse_years(years) if years else None
    _check_html_target(html)
    if file is not None:
        path = Path(file.partition("#")[0])
        if not path.exists():
            raise PlansearchError(f"{path}: no such file")
    ix = StoredIndex(index_dir)
    try:
        excluded = list(exclude)
        if doc is not None:
            row = [d.doc_id for d in ix.documents].index(find_document(ix.documents, doc).doc_id)
            checked = ix.document_with_items(row)
            excluded.insert(0, checked.doc_id)
        else:
            finder = DocumentFinder()
            try:
                checked = finder.find(file)
            finally:
                _report_load(finder.errors, [])
        with render.IndexProgress() as bar:
            report = check_document(checked, ix, settings=settings, exclude=excluded, years=span, region=region,
                                    progress=bar.update)
    finally:
        ix.close()
    if fmt == "table":
        render.print_check(report, top)
    elif fmt == "json":
        write_records(check_records(report), fmt)
    else:
        write_records((check_passage_record(p, report.doc) for p in report.passages), fmt)
    if html is not None:
        from .check_html import write_check_html

        _write_html(html, lambda p: write_check_html(report, p))
# --- serve ---------------------------------------------------------------------------------------

@app.command(short_help="Start the local web app: search, trends, documents, compare, reuse, check.")
@friendly
def serve(
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="Index directory ($PLANSEARCH_INDEX)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
    allow_host: List[str] = typer.Option([], "--allow-host", metavar="NAME",
                                         help="Another host name the app answers to (a LAN name, a proxy's "
                                              "name); repeatable. Requests naming any other host get 400."),
):
    """Start a local web app over one index (Chinese UI): search with filters and a per-year view,
    trends of topics per year or region, documents and their outline, two plans side by side,
    copy-paste across the corpus, and 查重 of an upload or an indexed document. The index, model
    and keyword index are loaded once and stay warm."""
    from .web.app import create_app
    from .web.guard import host_names
    from .web.server import check_port, is_loopback, serve as run_server

    check_port(host, port)
    if not is_loopback(host):
        typer.echo(f"warning: --host {host} makes the app reachable from other machines; it has no "
                   f"login, and anyone who can reach it can read every document in the index", err=True)
    typer.echo(f"loading the index in {index_dir}/ …", err=True)
    web_app = create_app(index_dir, warm=True, allowed_hosts=host_names(host, allow_host))
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"plansearch: serving {index_dir}/ at http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    run_server(web_app, host, port)
