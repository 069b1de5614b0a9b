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
import re
import sys
from pathlib import Path
from collections.abc import Callable
from typing import List, Optional

import typer

from . import render
from .corpus import DocumentFinder, find_document, load_corpus
from .embed import resolve_model
from .i18n import LANGS, _, either, set_lang, speak_to_click
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

def _lang_in_argv(argv: list[str]) -> str | None:
    """--lang zh / --lang=zh anywhere on the command line: help texts are made when this module is
    imported, before typer parses the options, so the language is read here first."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


# typer's usage errors, as its vendored click words them (English f-strings), to our catalogue's
_USAGE_ERRORS = (
    (re.compile(r"No such option: (?P<name>\S+)(?: \(Possible options: (?P<options>.*)\))?"),
     lambda m: _("No such option: {name}").format(name=m["name"])
     + (" " + _("(possible options: {options})").format(options=m["options"]) if m["options"] else "")),
    (re.compile(r"Missing argument '(?P<name>.+)'\."), lambda m: _("Missing argument '{name}'.").format(name=m["name"])),
    (re.compile(r"Missing option '(?P<name>.+)'\."), lambda m: _("Missing option '{name}'.").format(name=m["name"])),
    (re.compile(r"Option '(?P<name>.+)' requires an argument\."),
     lambda m: _("Option '{name}' requires an argument.").format(name=m["name"])),
    (re.compile(r"Got unexpected extra arguments? \((?P<args>.*)\)"),
     lambda m: _("Got unexpected extra arguments ({args})").format(args=m["args"])),
    (re.compile(r"Invalid value for (?P<param>.+?): (?:'.*' is not a valid |Input should be a valid )"
                r"(?P<kind>integer|float|number).*"),
     lambda m: _("Invalid value for {param}: not a valid {kind}").format(
         param=m["param"], kind=_("integer") if m["kind"] == "integer" else _("number"))),
)


def _say_usage_error(message: str) -> str:
    for pattern, say in _USAGE_ERRORS:
        m = pattern.fullmatch(message)
        if m:
            return say(m)
    return message


def _speak_typer() -> None:
    """typer's hard-coded English in the reader's language: the usage line's prefix, --help's own
    help, and usage errors ('Error: No such option …'), which it prints before any command runs."""
    from typer._click import core, exceptions, formatting

    if getattr(formatting.HelpFormatter.write_usage, "plansearch", False):
        return
    write_usage = formatting.HelpFormatter.write_usage

    def usage(self, prog, args="", prefix=None):
        return write_usage(self, prog, args, prefix if prefix is not None else _("Usage:") + " ")

    usage.plansearch = True
    formatting.HelpFormatter.write_usage = usage
    get_help_option = core.Command.get_help_option

    def help_option(self, ctx):
        opt = get_help_option(self, ctx)
        if opt is not None:
            opt.help = _("Show this message and exit.")
        return opt

    core.Command.get_help_option = help_option

    def show(self, file=None):
        file = file or exceptions.get_text_stderr()
        if self.ctx is not None:
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = _("Try '{command} {option}' for help.").format(
                    command=self.ctx.command_path, option=self.ctx.help_option_names[0]) + "\n"
            exceptions.echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=self.ctx.color)
        exceptions.echo(_("error: {message}").format(message=_say_usage_error(self.format_message())), file=file)

    exceptions.UsageError.show = show


set_lang(_lang_in_argv(sys.argv[1:]))
speak_to_click()  # typer's gettext-marked words (Arguments, Options, [required] …) from our catalogue
_speak_typer()

class _Typer(typer.Typer):
    """click prints --help and usage itself, outside the commands' handler: a full disk there is one line too."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG):
                raise
            _drop(sys.stdout)  # outside click's main, so typer.Exit would not be caught: exit here
            print(_("error: {message}").format(message=_("cannot write the output: {error}").format(
                error=e.strerror or e)), file=sys.stderr)
            sys.exit(1)


app = _Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help=_("Search, compare and find copy-paste in Chinese government work plans and reports. "
                       "Run `plansearch COMMAND --help` for a command's options."))

DEFAULT_CORPUS = os.environ.get("PLANSEARCH_CORPUS", "corpus")
DEFAULT_INDEX = os.environ.get("PLANSEARCH_INDEX", "index")


@app.callback()
def main(
    lang: Optional[str] = typer.Option(None, "--lang", metavar="zh|en",
                                       help=_("Language of messages, tables and reports: zh or en "
                                            "(default: $PLANSEARCH_LANG, then the locale, e.g. LANG=zh_CN.UTF-8).")),
):
    """Search, compare and find copy-paste in Chinese government work plans and reports."""
    if lang is not None and lang not in LANGS:
        _fail(_("--lang must be one of {choices}, not {value!r}").format(choices=", ".join(LANGS), value=lang))
    set_lang(lang)
    speak_to_click()


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
            _drop(sys.stdout)  # what could not be written must not be retried (and fail again) at exit
            _fail(_("cannot write the output: {error}").format(error=e.strerror or e))

    return wrapper


def _drop(stream) -> None:
    # the stream's descriptor points at /dev/null from now on: what is still buffered, and what is
    # written later, goes nowhere instead of failing again
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
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
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--format", choices=either(FORMATS), value=fmt))
    if fmt == "xlsx" and sys.stdout.isatty():
        raise PlansearchError(_("--format xlsx writes a binary file: redirect it into one, e.g. > results.xlsx"))
    return fmt


FORMAT_HELP = _("table (default), json (one object per line), csv (UTF-8 with a byte-order mark, for Excel and "
                "WPS) or xlsx (an Excel workbook: redirect it into a file).")
JSON_HELP = _("Same as --format json.")


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


def _write_html(html: Path, write, option: str = "--html", what: str | None = None) -> None:
    """Write an HTML report (or another file a command makes: `what`), or fail in one line naming
    the path (after the terminal report)."""
    what = what or _("the HTML report")
    if str(html).strip() == "":
        raise PlansearchError(_("{option} needs a file name").format(option=option))
    try:
        out = write(html)
    except IsADirectoryError:
        raise PlansearchError(_("{path}: is a directory; give a file name for {what}").format(path=html, what=what)) from None
    except OSError as e:
        raise PlansearchError(_("{path}: cannot write {what} ({error})").format(path=html, what=what, error=e.strerror or e)) from None
    typer.echo(_("wrote {path}").format(path=out), err=True)


def _check_pdf_target(pdf: Optional[Path]) -> None:
    """--pdf: a writable path, Chromium to print with and a Chinese font, or one line, before any work."""
    if pdf is None:
        return
    from .pdf import check_cjk_font, find_browser

    _check_html_target(pdf, "--pdf", _("the PDF report"))
    find_browser()
    check_cjk_font()


def _read_document(ref: str):
    """The document a FILE (or file#N) argument names, read from disk; what could not be read is said
    as the other commands say it."""
    finder = DocumentFinder()
    try:
        return finder.find(ref)
    finally:
        _report_load(finder.errors, [])


def _check_html_target(html: Optional[Path], option: str = "--html", what: str | None = None) -> None:
    """Refuse an HTML path (or another output file: `what`) that cannot be written before any
    work is done."""
    what = what or _("the HTML report")
    if html is None:
        return
    if str(html).strip() == "":
        raise PlansearchError(_("{option} needs a file name").format(option=option))
    if html.is_dir():
        raise PlansearchError(_("{path}: is a directory; give a file name for {what}").format(path=html, what=what))
    parent = html.parent if str(html.parent) else Path(".")
    if not parent.is_dir():
        raise PlansearchError(_("{path}: folder {folder} does not exist").format(path=html, folder=parent))
    existed = html.exists()
    try:  # the one reliable test (root passes os.access even where /sys refuses): open it
        with open(html, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise PlansearchError(_("{path}: cannot write {what} ({error})").format(path=html, what=what, error=e.strerror or e)) from None
    if not existed:
        html.unlink()


# --- docs / outline ------------------------------------------------------------------------------

@app.command(short_help=_("List the documents of a corpus: id, title, year, region, issuer, kind."), help=_('List documents: id, title, year, region, issuer, kind and item count. Values set in\nmanifest.csv are marked with *.'))
@friendly
def docs(
    path: List[Path] = typer.Argument(None, metavar="PATH", help=_("Files or directories (default: the corpus, $PLANSEARCH_CORPUS).")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    fmt = _format(fmt, as_json)
    paths = path or [Path(DEFAULT_CORPUS)]
    documents = _load(paths)
    if not documents:
        raise PlansearchError(_("no documents found in {paths}").format(paths=", ".join(map(str, paths))))
    if fmt == "table":
        render.print_docs(documents)
    else:
        write_records((doc_record(d) for d in documents), fmt)


@app.command(short_help=_("Show one document's outline: headings and numbered items."), help=_("Show a document's outline as a tree of headings and numbered items."))
@friendly
def outline(
    doc: str = typer.Argument(..., metavar="DOC", help=_("Document id (see `plansearch docs`), a file, or file#N.")),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help=_("Corpus directory to look the id up in "
                                          "(default: the index if it knows the id, else corpus/).")),
    index_dir: Optional[Path] = typer.Option(None, "--index", help=_("Index to look the id up in (default: index/).")),
    fmt: str = typer.Option("table", "--format", "-f", help=_("table (a tree) or json.")),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    fmt = _format(fmt, as_json)
    if fmt in ("csv", "xlsx"):
        raise PlansearchError(_("outline prints a tree or json, not {format}").format(format=fmt))
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

@app.command(short_help=_("Build or update the search index (embeds new text only)."), help=_('Build or update the search index: embeddings, keyword index and document store. An unchanged\ncorpus is answered in a second; a damaged index is rebuilt.'))
@friendly
def index(
    path: List[Path] = typer.Argument(None, metavar="PATH", help=_("Files or directories (default: the corpus, $PLANSEARCH_CORPUS).")),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("Index directory ($PLANSEARCH_INDEX).")),
    model: Optional[str] = typer.Option(None, "--model", help=_("A sentence-transformers name already on this "
                                        "machine, st:NAME, or a local model directory (default: the bundled "
                                        "multilingual-e5-small).")),
    vector_kind: Optional[str] = typer.Option(None, "--vectors", help=_("flat (exact), pq (approximate: 4-bit "
                                              "codes propose candidates, re-scored exactly) or hnsw (approximate "
                                              "graph); default: flat below 150,000 sentence windows, pq above.")),
    force: bool = typer.Option(False, "--force", help=_("Rebuild even if nothing changed.")),
    store: Optional[str] = typer.Option(None, "--store", help=_("Where the index lives: local (default: files in "
                                        "the index directory), milvus-lite:PATH.db (a Milvus Lite file) or "
                                        "milvus://HOST:PORT (a Milvus server); $PLANSEARCH_STORE. Recorded in the "
                                        "index directory, so later commands find it.")),
    drop: bool = typer.Option(False, "--drop", help=_("Remove the index instead of building it: its versions "
                              "(local generations, or its collections on the Milvus server or Lite file, "
                              "which deleting the folder leaves behind); the embedding cache stays.")),
    commit_every: Optional[float] = typer.Option(None, "--commit-every", metavar="SECONDS", help=_(
        "While embedding, make what is embedded so far searchable every SECONDS (default 120, "
        "$PLANSEARCH_COMMIT_EVERY); the index answers by words from the start.")),
):
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
            report = build_index(path or [Path(DEFAULT_CORPUS)], index_dir, model=model,
                                 progress=_outliving_its_reader(bar.update), errors=errors,
                                 vector_kind=vector_kind, force=force, warnings=warnings,
                                 on_wait=_outliving_its_reader(lambda msg: typer.echo(msg, err=True)),
                                 store=store, every=commit_every,
                                 on_commit=_outliving_its_reader(lambda name, meta: bar.committed(index_dir, meta)))
    finally:
        _report_load(errors, warnings)
    render.print_index_report(report)


def _outliving_its_reader(say: Callable) -> Callable:
    """`say`, for a build whose output a reader may stop reading (`plansearch index 2>&1 | head`): the
    build is what was asked for, so it goes on, its output from then on dropped. A reading command
    stops instead (friendly: the reader has what it wanted)."""
    def call(*args, **kwargs):
        try:
            return say(*args, **kwargs)
        except BrokenPipeError:
            _drop(sys.stdout)
            _drop(sys.stderr)
    return call


@app.command(short_help=_("Embed a corpus on a Ray cluster into the index's embedding cache."), help=_("Embed the sentence windows the index's embedding cache does not hold yet on a Ray cluster\n(extra plansearch[ray]), batch by batch, writing each batch into the cache as it comes back; a\nlost worker costs only its batch. The next `plansearch index` builds from the cache."))
@friendly
def embed(
    path: List[Path] = typer.Argument(None, metavar="PATH", help=_("Files or directories (default: the corpus, $PLANSEARCH_CORPUS).")),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("Index directory ($PLANSEARCH_INDEX).")),
    ray: str = typer.Option(..., "--ray", metavar="ADDRESS", help=_("The Ray cluster: ray://HOST:PORT, or local "
                            "(start Ray on this machine with --cpus CPUs).")),
    model: Optional[str] = typer.Option(None, "--model", help=_("A sentence-transformers name already on this "
                                        "machine, st:NAME, or a local model directory (default: the bundled "
                                        "multilingual-e5-small).")),
    cpus: Optional[int] = typer.Option(None, "--cpus", help=_("With --ray local: how many CPUs (workers) "
                                       "Ray may use (default: every core).")),
    gpu: bool = typer.Option(False, "--gpu", help=_("One GPU per batch instead of one CPU.")),
):
    from .distributed import embed_on_ray

    if cpus is not None and cpus < 1:
        raise BadParameter("cpus", _("must be at least {n}, not {value}").format(n=1, value=cpus))
    _check_model(model)
    errors: list[LoadError] = []
    warnings: list[str] = []
    try:
        with render.IndexProgress() as bar:
            report = embed_on_ray(path or [Path(DEFAULT_CORPUS)], index_dir, ray, model=model, num_cpus=cpus,
                                  progress=bar.update, errors=errors, warnings=warnings, use_gpu=gpu)
    finally:
        _report_load(errors, warnings)
    typer.echo(_("{windows} sentence windows ({distinct} distinct): {cached} already in {dir}/, {embedded} embedded "
                 "on Ray ({workers} workers, {batches} batches) in {seconds:.1f}s, {rate:.1f}/s").format(
        windows=report.windows, distinct=report.distinct, cached=report.cached, dir=index_dir,
        embedded=report.embedded, workers=report.workers, batches=report.batches, seconds=report.seconds,
        rate=report.per_second))


@app.command(short_help=_("Search the index by topic: hybrid meaning + words, with filters."), help=_("Search the index: hybrid meaning (embeddings) + words (BM25) by default, with metadata filters.\nEach hit says which of the query's words it holds; when no item holds them all, a note says so."))
@friendly
def search(
    query: str = typer.Argument(..., metavar="QUERY", help=_('What to look for, e.g. 留守儿童关爱. "Quoted phrases" and +words must '
                                          'stand in every hit, -words in none.')),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("Index directory ($PLANSEARCH_INDEX).")),
    k: Optional[int] = typer.Option(None, "-k", "--top", help=_("How many hits (default 10; per group with --by: 3).")),
    year: Optional[int] = typer.Option(None, "--year", help=_("Only documents of this year. A review→plan "
                                       "document (2023→2024) counts for both years unless --year-of says which.")),
    years: Optional[str] = typer.Option(None, "--years", help=_("A range of years, e.g. 2019-2022.")),
    year_of: Optional[str] = typer.Option(None, "--year-of", help=_("Which year of a review→plan document "
                                          "filters and --by year use: plan or review (default: filters "
                                          "take either, --by year the plan year).")),
    region: Optional[str] = typer.Option(None, "--region", help=_("Only documents whose region contains this, e.g. 华州.")),
    issuer: Optional[str] = typer.Option(None, "--issuer", help=_("Only documents whose issuer contains this, e.g. 教育局.")),
    kind: Optional[str] = typer.Option(None, "--kind", help=_("plan, summary, report or mixed.")),
    level: Optional[str] = typer.Option(None, "--level", help=_("Only documents of this administrative level: national, province, city, county or district.")),
    doc: Optional[str] = typer.Option(None, "--doc", help=_("Only this document (or all plans of a file stem).")),
    mode: str = typer.Option("hybrid", "--mode", help=_("hybrid (default), dense, keyword, rrf, weighted, tiebreak.")),
    by: Optional[str] = typer.Option(None, "--by", help=_("Best hits per year, region, level, issuer, kind or doc, side by side.")),
    model: Optional[str] = typer.Option(None, "--model", help=_("Must be the model the index was built with.")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
):
    from .search import GROUPINGS, MODES, Filters, Searcher, mixed_levels, parse_query, parse_years

    fmt = _format(fmt, as_json)
    parse_query(query)  # an empty query fails before the index is opened
    if mode not in MODES:
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--mode", choices=either(MODES), value=mode))
    if by is not None and by not in GROUPINGS:
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--by", choices=either(GROUPINGS), value=by))
    k = k if k is not None else (3 if by else 10)
    if k < 1:
        raise PlansearchError(_("{option} must be at least 1, not {value}").format(option="-k/--top", value=k))
    if year is not None and years is not None:
        raise PlansearchError(_("give --year or --years, not both"))
    if year_of is not None and year_of not in YEAR_BASES[1:]:
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--year-of", choices=either(["plan", "review"]), value=year_of))
    if kind is not None and kind not in ("plan", "summary", "report", "mixed"):
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--kind", choices=either(["plan", "summary", "report", "mixed"]), value=kind))
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
            raise PlansearchError((_("no matches with these filters ({filters})").format(filters=filters.describe(speak=True))
                                   if filters.active() else _("no matches")) + (_(": ") + why if why else ""))
        if fmt == "table":
            render.print_hits(query, hits)
        else:
            render.print_notices(hits.notices)
            write_records((hit_record(h, probability=hits.probability) for h in hits), fmt)
    finally:
        searcher.close()



@app.command("trend", short_help=_("How much each year's (region's, …) documents say about topics."), help=_("Count, per year (or region, issuer, kind), the items that match each query, their share of the\ngroup's items, the documents mentioning it and the best example. A match is a calibrated\ndecision, not a top-k: the item holds the query's words (by weight), or, for a query whose words\nno item holds, stands far above the corpus in meaning. Years without a document are gaps."))
@friendly
def trend_cmd(
    queries: List[str] = typer.Argument(..., metavar="QUERY", help=_("One or more topics, e.g. 双减 课后服务 留守儿童 (one column "
                                                  "each). \"Quoted phrases\", +words and -words as in search.")),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("Index directory ($PLANSEARCH_INDEX).")),
    by: str = typer.Option("year", "--by", help=_("One row per year (gaps shown), region, level, issuer or kind.")),
    year: Optional[int] = typer.Option(None, "--year", help=_("Only documents of this year.")),
    years: Optional[str] = typer.Option(None, "--years", help=_("A range of years, e.g. 2013-2025: one row for "
                                        "each (gaps included).")),
    year_of: str = typer.Option("plan", "--year-of", help=_("Which year a review→plan document (2023→2024) "
                                "counts under, in the rows and the year filters: plan (default) or review.")),
    region: Optional[str] = typer.Option(None, "--region", help=_("Only documents whose region contains this.")),
    issuer: Optional[str] = typer.Option(None, "--issuer", help=_("Only documents whose issuer contains this.")),
    kind: Optional[str] = typer.Option(None, "--kind", help=_("plan, summary, report or mixed.")),
    level: Optional[str] = typer.Option(None, "--level", help=_("Only documents of this administrative level: national, province, city, county or district.")),
    doc: Optional[str] = typer.Option(None, "--doc", help=_("Only this document (or all plans of a file stem).")),
    model: Optional[str] = typer.Option(None, "--model", help=_("Must be the model the index was built with.")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    chart: Optional[Path] = typer.Option(None, "--chart", help=_("Also write the trend as an SVG bar chart "
                                         "(opens in a browser).")),
):
    from .search import Filters, Searcher, parse_query, parse_years
    from .trend import GROUPINGS, chart_svg, trend

    fmt = _format(fmt, as_json)
    for q in queries:
        parse_query(q)  # an empty query fails before the index is opened
    if by not in GROUPINGS:
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--by", choices=either(GROUPINGS), value=by))
    if year is not None and years is not None:
        raise PlansearchError(_("give --year or --years, not both"))
    if year_of not in YEAR_BASES[1:]:
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--year-of", choices=either(["plan", "review"]), value=year_of))
    if kind is not None and kind not in ("plan", "summary", "report", "mixed"):
        raise PlansearchError(_("{option} takes {choices}, not {value!r}").format(option="--kind", choices=either(["plan", "summary", "report", "mixed"]), value=kind))
    span = (year, year) if year is not None else parse_years(years) if years else None
    if span is not None and span[1] - span[0] > 200:
        raise PlansearchError(_("--years {first}-{last} is {n} years: too long for a trend").format(first=span[0], last=span[1], n=span[1] - span[0] + 1))
    if chart is not None:
        if chart.suffix.lower() == ".png":
            raise PlansearchError(_("{path}: --chart writes SVG only (plansearch ships no plotting library); give a "
                                    ".svg name and convert it if you need PNG, e.g. rsvg-convert").format(path=chart))
        if chart.suffix.lower() != ".svg":
            raise PlansearchError(_("{path}: --chart takes a file name ending in .svg").format(path=chart))
        _check_html_target(chart, "--chart", _("the chart"))
    _check_model(model)
    filters = Filters(years=span, region=region, issuer=issuer, kind=kind, level=level, doc=doc, year_basis=year_of)
    searcher = Searcher(index_dir, model)
    try:
        if doc is not None and not any(filters.accepts(d) for d in searcher.index.documents):
            find_document(searcher.index.documents, doc)  # raises with close ids
        if filters.active() and not any(filters.accepts(d) for d in searcher.index.documents):
            why = filters.why_nothing(searcher.index.documents)
            raise PlansearchError(_("no document with these filters ({filters})").format(filters=filters.describe(speak=True))
                                  + (_(": ") + why if why else ""))
        table = trend(queries, searcher, by=by, filters=filters, year_basis=year_of)
    finally:
        searcher.close()
    if chart is not None:  # the file first: a reader piping the table into `head` still gets it
        svg = chart_svg(table)
        _write_html(chart, lambda p: (p.write_text(svg, encoding="utf-8"), p)[1], "--chart", _("the chart"))
    if fmt == "table":
        render.print_trend(table)
    else:
        render.print_notices(table.notices)
        write_records(trend_records(table), fmt)


# --- reuse ---------------------------------------------------------------------------------------

@app.command(short_help=_("Find copy-paste: passages that recur verbatim across documents."), help=_('Find copy-paste: passages that recur (near-)verbatim across documents, and how much of each\ndocument stands elsewhere.'))
@friendly
def reuse(
    path: List[Path] = typer.Argument(None, metavar="PATH", help=_("Files or directories (default: the corpus).")),
    index_dir: Optional[Path] = typer.Option(None, "--index", help=_("Read the documents stored in this index "
                                             "instead of parsing files.")),
    min_chars: int = typer.Option(30, "--min-chars", help=_("Verbatim characters a passage needs "
                                  "(after normalising; spaces and punctuation not counted).")),
    across: str = typer.Option("any", "--across", help=_("years, regions, levels or any: only what documents of "
                               "different years / regions / levels share.")),
    level: Optional[str] = typer.Option(None, "--level", help=_("Only documents of this administrative level: national, province, city, county or district.")),
    doc: Optional[str] = typer.Option(None, "--doc", help=_("Only passages found in this document.")),
    min_docs: int = typer.Option(2, "--min-docs", help=_("Only passages found in at least N documents.")),
    max_spread: Optional[int] = typer.Option(None, "--max-spread", help=_("Drop passages found in more than N "
                                             "documents (boilerplate).")),
    top: int = typer.Option(20, "--top", "-k", help=_("How many passages to show.")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " " + _("(csv: the passages only; xlsx: passages and documents)")),
    as_json: bool = typer.Option(False, "--json", help=_("One JSON object per passage, then per document.")),
):
    from .reuse import check_settings as check_reuse_settings
    from .reuse import find_reuse, reuse_in_index, show_documents

    fmt = _format(fmt, as_json)
    if index_dir is not None and path:
        raise PlansearchError(_("give files/directories or --index, not both"))
    if top < 1:
        raise PlansearchError(_("{option} must be at least 1, not {value}").format(option="--top", value=top))
    check_reuse_settings(min_chars=min_chars, across=across, min_docs=min_docs, max_spread=max_spread)
    if level is not None:
        from .search import Filters

        Filters(level=level)  # an unknown level fails here, before the documents are read
    if index_dir is not None:
        from .store import open_index

        # the index's whole report is kept per index: the first call reads every document (minutes
        # at 10^6 items, with a progress bar), the next ones, for any --doc, read what was kept
        ix = open_index(index_dir)
        try:
            with render.IndexProgress() as bar:
                report, documents = reuse_in_index(ix, min_chars=min_chars, across=across, level=level, doc=doc,
                                                   min_docs=min_docs, max_spread=max_spread, progress=bar.update)
            show_documents(ix, (p.doc_id for c in report.clusters[:top] for p in c.locations))
        finally:
            ix.close()
    else:
        roots = path or [Path(DEFAULT_CORPUS)]
        documents = _load(roots)
        if not documents:
            raise PlansearchError(_("no documents found in {paths}").format(paths=", ".join(map(str, roots))))
        if level is not None:
            documents = [d for d in documents if Filters(level=level).accepts(d)]
        with render.IndexProgress() as bar:
            report = find_reuse(documents, min_chars=min_chars, across=across, doc=doc, min_docs=min_docs,
                                max_spread=max_spread, progress=bar.update)
    by_id = {d.doc_id: d for d in documents}
    if fmt == "table":
        render.print_reuse(report, by_id, top)
    elif fmt in ("json", "xlsx"):
        write_records([reuse_cluster_record(rank, c, by_id) for rank, c in enumerate(report.clusters[:top], 1)]
                      + [doc_share_record(s) for s in report.doc_shares], fmt)
    else:
        write_records((reuse_cluster_record(rank, c, by_id) for rank, c in enumerate(report.clusters[:top], 1)), fmt)


# --- lineage -------------------------------------------------------------------------------------

@app.command("lineage", short_help=_("Where each item came from: its copies in time order, and who copies whom."), help=_("Trace a document's items through the index: for each item, its copies in other documents (verbatim,\nedited, disguised by synonyms, reworded), in time order, the earliest copy in this corpus, the\nparent it was most likely copied from and the chain back. With --graph, the whole index: who copies\nwhom, by issuer, region or document, with each one's role."))
@friendly
def lineage_cmd(
    doc: Optional[str] = typer.Argument(None, metavar="DOC", help=_("A document of the index (its id), or a file (file#N for one plan of a compiled page), indexed or not; not with --graph.")),
    item: Optional[str] = typer.Option(None, "--item", help=_("Only this item: its label as printed (三、, (2), 5.), #N for the N-th item, or its id.")),
    graph: bool = typer.Option(False, "--graph", help=_("The whole index: who copies whom (the edge table and each one's role).")),
    by: str = typer.Option("issuer", "--by", help=_("With --graph: nodes are issuers, regions or documents (issuer, region, doc).")),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("Index directory ($PLANSEARCH_INDEX).")),
    years: Optional[str] = typer.Option(None, "--years", help=_("Only copies in documents of these years, e.g. 2019-2022.")),
    region: Optional[str] = typer.Option(None, "--region", help=_("Only documents whose region contains this, e.g. 华州.")),
    issuer: Optional[str] = typer.Option(None, "--issuer", help=_("Only documents whose issuer contains this, e.g. 教育局.")),
    kind: Optional[str] = typer.Option(None, "--kind", help=_("plan, summary, report or mixed.")),
    level: Optional[str] = typer.Option(None, "--level", help=_("Only documents of this administrative level: national, province, city, county or district.")),
    show_all: bool = typer.Option(False, "--all", help=_("Also list the items without copies.")),
    top: int = typer.Option(30, "--top", "-k", help=_("With --graph: edges and nodes shown in the terminal (0: all).")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " " + _("(csv: one row per copy; with --graph: the edges)")),
    as_json: bool = typer.Option(False, "--json", help=_("One JSON object per item (with --graph: per edge, then per node).")),
    html: Optional[Path] = typer.Option(None, "--html", help=_("Also write a self-contained HTML report to this file.")),
    graphml: Optional[Path] = typer.Option(None, "--graphml", help=_("With --graph: also write the graph as GraphML (Gephi, networkx).")),
):
    from . import lineage as lineage_lib
    from .records import lineage_copy_records, lineage_edge_record, lineage_item_record, lineage_role_record
    from .search import Filters
    from .store import open_index

    fmt = _format(fmt, as_json)
    if graph == (doc is not None):
        raise PlansearchError(_("give a DOC (a document of the index) or --graph, one of them"))
    if graphml is not None and not graph:
        raise PlansearchError(_("--graphml needs --graph"))
    if item is not None and graph:
        raise PlansearchError(_("--item needs a DOC, not --graph"))
    if by not in lineage_lib.GRAPH_BY:
        raise PlansearchError(_("--by must be one of {choices}, not {value!r}").format(
            choices=either(lineage_lib.GRAPH_BY), value=by))
    if top < 0:
        raise PlansearchError(_("--top must be 0 (all) or more, not {value}").format(value=top))
    _check_html_target(html)
    _check_html_target(graphml, "--graphml", _("the GraphML file"))
    filters = Filters.from_strings(years=years, region=region, issuer=issuer, kind=kind, level=level)
    target = doc
    if doc is not None and Path(doc.partition("#")[0]).is_file():
        # a file (a plan someone holds, indexed or not) is read before the index is opened
        target = _read_document(doc)
    ix = open_index(index_dir)
    try:
        with render.IndexProgress() as bar:
            if graph:
                result = lineage_lib.diffusion_graph(ix, by=by, filters=filters if filters.active() else None,
                                                     progress=bar.update)
            else:
                result = lineage_lib.document_lineage(ix, target, item=item, filters=filters if filters.active() else None,
                                                      progress=bar.update)
    finally:
        ix.close()
    if graph:
        if graphml is not None:
            lineage_lib.write_graphml(result, graphml)
        if html is not None:
            from .lineage_html import write_diffusion_html
            write_diffusion_html(result, html)
        if fmt == "table":
            render.print_diffusion(result, top if top else len(result.edges) + len(result.roles))
        else:  # csv: the edges only (one table); json and xlsx: the nodes' roles too
            write_records([lineage_edge_record(e) for e in result.edges]
                          + ([lineage_role_record(r) for r in result.roles] if fmt != "csv" else []), fmt)
    else:
        if html is not None:
            from .lineage_html import write_lineage_html
            write_lineage_html(result, html)
        if fmt == "table":
            render.print_lineage(result, show_all)
        elif fmt == "csv":  # a flat table: one row per copy
            write_records((r for il in result.items for r in lineage_copy_records(il)), fmt)
        else:
            write_records([lineage_item_record(il) for il in result.items], fmt)
    for path in (html, graphml):
        if path is not None:
            typer.echo(_("wrote {path}").format(path=path), err=True)


# --- compare -------------------------------------------------------------------------------------

@app.command("compare", short_help=_("Compare two plans item by item: same, edited, rewritten, related, new, dropped."), help=_('Compare two plans item by item: same, edited (with the character diff), rewritten (most\nsentences reworded one to one), related (same topic, new content; shown sentence by sentence),\nnew and dropped items, and how much of B stands verbatim in A.'))
@friendly
def compare_cmd(
    a: str = typer.Argument(..., metavar="A", help=_("The earlier plan: document id, file, or file#N.")),
    b: str = typer.Argument(..., metavar="B", help=_("The later plan: document id, file, or file#N.")),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help=_("Corpus directory to look ids up in "
                                          "(default: the index if it knows them, else corpus/).")),
    index_dir: Optional[Path] = typer.Option(None, "--index", help=_("Index to look ids up in and whose "
                                             "embeddings to reuse (default: index/, if it exists).")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " " + _("(csv: the alignments; xlsx: also the summary)")),
    as_json: bool = typer.Option(False, "--json", help=_("A summary object, then one JSON object per alignment.")),
    html: Optional[Path] = typer.Option(None, "--html", help=_("Also write a side-by-side HTML report to this file.")),
    pdf: Optional[Path] = typer.Option(None, "--pdf", help=_("Also write the report as an A4 PDF (printed by "
                                       "Chromium; needs a Chinese font such as fonts-wqy-microhei).")),
    only: Optional[str] = typer.Option(None, "--only", help=_("Statuses to show, e.g. edited,new,dropped.")),
    edited_min: Optional[float] = typer.Option(
        None, "--edited-min", help=_("Character similarity for `edited`, 0..1 (default 0.6).")),
    related_min: Optional[float] = typer.Option(
        None, "--related-min", help=_("Embedding cosine (from the two plans' mean) for a pair matched by "
                                    "meaning, rewritten or related, 0..1 (default 0.32).")),
    reworded_min: Optional[float] = typer.Option(
        None, "--reworded-min", help=_("Share of B's sentences with a partner in A for `rewritten` rather "
                                     "than `related` (same topic, new content), 0..1 (default 0.4).")),
    no_semantic: bool = typer.Option(False, "--no-semantic",
                                     help=_("Skip the embedding model (fast; no `rewritten` or `related`).")),
    model: Optional[str] = typer.Option(None, "--model", help=_("Embedding model (default: the bundled one).")),
):
    from .compare import STATUSES, Thresholds, compare
    fmt = _format(fmt, as_json)
    statuses = [s.strip() for s in only.split(",") if s.strip()] if only else list(STATUSES)
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise PlansearchError(_("--only: unknown status {statuses} (choose from {choices})").format(
            statuses=", ".join(unknown), choices=", ".join(STATUSES)))
    defaults = Thresholds()
    edited_min = defaults.edited_min if edited_min is None else edited_min
    related_min = defaults.related_min if related_min is None else related_min
    reworded_min = defaults.reworded_min if reworded_min is None else reworded_min
    for name, value in (("--edited-min", edited_min), ("--related-min", related_min),
                        ("--reworded-min", reworded_min)):
        if not 0.0 <= value <= 1.0:
            raise PlansearchError(_("{option} must be between 0 and 1, not {value}").format(option=name, value=value))
    _check_html_target(html)
    _check_pdf_target(pdf)
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
    # the files first: a reader piping the terminal report into `head` still gets them
    if html is not None:
        from .html_report import write_html

        _write_html(html, lambda p: write_html(cmp, p))
    if pdf is not None:
        from .html_report import comparison_html
        from .pdf import html_to_pdf

        _write_html(pdf, lambda p: html_to_pdf(comparison_html(cmp), p), "--pdf", _("the PDF report"))
    if fmt == "table":
        render.print_comparison(cmp, statuses)
    else:
        records = [alignment_record(al, doc_a.doc_id) for al in cmp.alignments if al.status in statuses]
        if fmt in ("json", "xlsx"):
            records.insert(0, compare_summary_record(cmp))
        write_records(records, fmt)


# --- check ---------------------------------------------------------------------------------------

@app.command("check", short_help=_("查重: how much of one document is copied, from which documents, which passages."), help=_("查重 one document against the index: 总文字复制比 (the share of its characters inside copied\npassages) split into verbatim (CNKI's 13-character rule), disguised (identical after synonyms and\nmasks, small edits bridged) and paraphrased (same meaning by sentence embeddings); each source's\nshare (单篇最大文字复制比 the largest); every passage side by side; each item's copied share."))
@friendly
def check_cmd(
    file: Optional[str] = typer.Argument(None, metavar="FILE", help=_("The document to check: a .txt/.docx/.pdf/.html file (or "
                                         "file#N for one plan of a compiled page), not necessarily indexed.")),
    doc: Optional[str] = typer.Option(None, "--doc", help=_("Check a document of the index (its id) against all "
                                      "the others instead of a file.")),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("The index to check against "
                                   "($PLANSEARCH_INDEX).")),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " " + _("(csv: the passages; xlsx: the summary, sources, passages and items)")),
    as_json: bool = typer.Option(False, "--json", help=_("A summary object, then one JSON object per source, "
                                 "passage and item.")),
    html: Optional[Path] = typer.Option(None, "--html", help=_("Also write a self-contained HTML report to this file.")),
    pdf: Optional[Path] = typer.Option(None, "--pdf", help=_("Also write the report as an A4 PDF (printed by "
                                       "Chromium; needs a Chinese font such as fonts-wqy-microhei).")),
    min_chars: int = typer.Option(13, "--min-chars", help=_("Identical characters a verbatim run needs (CNKI: 13); "
                                  "a disguised passage needs as many matched.")),
    years: Optional[str] = typer.Option(None, "--years", help=_("Only sources of these years, e.g. 2019-2022.")),
    region: Optional[str] = typer.Option(None, "--region", help=_("Only sources whose region contains this.")),
    exclude: List[str] = typer.Option([], "--exclude", help=_("Leave this document out of the sources (e.g. an "
                                      "earlier draft of the same plan); repeatable.")),
    top: int = typer.Option(30, "--top", "-k", help=_("Passages shown in the terminal (0: all).")),
    no_paraphrase: bool = typer.Option(False, "--no-paraphrase", help=_("Skip the embedding model: verbatim and "
                                       "disguised levels only.")),
):
    from .check import CheckSettings, check_document, check_settings
    from .search import parse_years
    from .store import StoredIndex

    fmt = _format(fmt, as_json)
    if (file is None) == (doc is None):
        raise PlansearchError(_("give a FILE to check or --doc ID (a document of the index), one of them"))
    settings = CheckSettings(min_chars=min_chars, paraphrase=not no_paraphrase)
    check_settings(settings)
    if top < 0:
        raise PlansearchError(_("--top must be 0 (all) or more, not {value}").format(value=top))
    span = parse_years(years) if years else None
    _check_html_target(html)
    _check_pdf_target(pdf)
    checked = None
    if file is not None:
        path = Path(file.partition("#")[0])
        if not path.exists():
            raise PlansearchError(_("{path}: no such file").format(path=path))
        # The file is read before the index is opened: a file that cannot be read is the user's first
        # problem, whether or not an index exists yet.
        checked = _read_document(file)
    ix = StoredIndex(index_dir)
    try:
        excluded = list(exclude)
        if doc is not None:
            row = [d.doc_id for d in ix.documents].index(find_document(ix.documents, doc).doc_id)
            checked = ix.document_with_items(row)
            excluded.insert(0, checked.doc_id)
        with render.IndexProgress() as bar:
            report = check_document(checked, ix, settings=settings, exclude=excluded, years=span, region=region,
                                    progress=bar.update)
    finally:
        ix.close()
    # the files first: a reader piping the terminal report into `head` still gets them
    if html is not None:
        from .check_html import write_check_html

        _write_html(html, lambda p: write_check_html(report, p))
    if pdf is not None:
        from .check_html import check_html
        from .pdf import html_to_pdf

        _write_html(pdf, lambda p: html_to_pdf(check_html(report), p), "--pdf", _("the PDF report"))
    if fmt == "table":
        render.print_check(report, top)
    elif fmt in ("json", "xlsx"):
        write_records(check_records(report), fmt)
    else:
        write_records((check_passage_record(p, report.doc) for p in report.passages), fmt)
# --- serve ---------------------------------------------------------------------------------------

@app.command(short_help=_("Start the local web app: search, trends, documents, compare, reuse, check."), help=_('Start a local web app over one index (Chinese UI): search with filters and a per-year view,\ntrends of topics per year or region, documents and their outline, two plans side by side,\ncopy-paste across the corpus, and 查重 of an upload or an indexed document. The index, model\nand keyword index are loaded once and stay warm.'))
@friendly
def serve(
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help=_("Index directory ($PLANSEARCH_INDEX).")),
    host: str = typer.Option("127.0.0.1", "--host", help=_("Address to listen on (default: this machine only).")),
    port: int = typer.Option(8765, "--port", help=_("Port to listen on.")),
    allow_host: List[str] = typer.Option([], "--allow-host", metavar="NAME",
                                         help=_("Another host name the app answers to (a LAN name, a proxy's "
                                              "name); repeatable. Requests naming any other host get 400.")),
):
    from .web.app import create_app
    from .web.guard import host_names
    from .web.server import check_port, is_loopback, serve as run_server

    check_port(host, port)
    if not is_loopback(host):
        typer.echo(_("warning: --host {host} makes the app reachable from other machines; it has no login, and "
                     "anyone who can reach it can read every document in the index").format(host=host), err=True)
    typer.echo(_("loading the index in {dir}/ …").format(dir=index_dir), err=True)
    web_app = create_app(index_dir, warm=True, allowed_hosts=host_names(host, allow_host))
    shown = f"[{host}]" if ":" in host else host
    typer.echo(_("plansearch: serving {dir}/ at {url} (Ctrl-C to stop)").format(dir=index_dir, url=f"http://{shown}:{port}/"), err=True)
    run_server(web_app, host, port)
