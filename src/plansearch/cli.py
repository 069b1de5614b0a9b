"""The `plansearch` command: a thin typer layer over the library API.

Every command turns a PlansearchError into one line on stderr and exit code 1 (never a traceback).
"""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .models import LoadError, PlansearchError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Search, compare and find copy-paste in Chinese government work plans.")

DEFAULT_CORPUS = os.environ.get("PLANSEARCH_CORPUS", "corpus")
DEFAULT_INDEX = os.environ.get("PLANSEARCH_INDEX", "index")


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(1)


def friendly(fn):
    """Run a command, reporting user errors as one line and Ctrl-C without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PlansearchError as e:
            _fail(str(e))
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130)

    return wrapper


def _load(paths: list[Path]):
    from .corpus import load_corpus

    errors: list[LoadError] = []
    warnings: list[str] = []
    docs = load_corpus(paths, errors=errors, warnings=warnings)
    for e in errors:
        typer.echo(f"skipped {e}", err=True)
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    return docs


def _print_json_lines(records) -> None:
    for r in records:
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


@app.command()
@friendly
def docs(
    path: List[Path] = typer.Argument(None, help="Files or directories (default: the corpus)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
):
    """List documents: id, title, year, region, issuer, kind, item count."""
    from . import render

    documents = _load(path or [Path(DEFAULT_CORPUS)])
    if as_json:
        _print_json_lines(render.doc_record(d) for d in documents)
    else:
        render.print_docs(documents)


@app.command()
@friendly
def outline(
    doc: str = typer.Argument(..., help="Document id (see `plansearch docs`) or a file."),
    corpus: Path = typer.Option(Path(DEFAULT_CORPUS), "--corpus", help="Where to look up the id."),
    as_json: bool = typer.Option(False, "--json"),
):
    """Show a document's outline as a tree of headings and numbered items."""
    from . import render
    from .corpus import find_document

    d = _resolve_doc(doc, corpus)
    if as_json:
        _print_json_lines([render.outline_record(d)])
    else:
        render.print_outline(d)


def _resolve_doc(doc: str, corpus: Path):
    """A document id in the corpus, or a path to a file holding exactly one document (or `file#N`)."""
    from .corpus import find_document

    p = Path(doc.split("#")[0])
    if p.is_file():
        docs = _load([p])
        if "#" in doc:
            return find_document(docs, f"{p.stem}#{doc.split('#', 1)[1]}")
        if len(docs) != 1:
            raise PlansearchError(f"{doc}: holds {len(docs)} documents; name one as {p.stem}#N")
        return docs[0]
    return find_document(_load([corpus]), doc)


# --- index / search ------------------------------------------------------------------------------

@app.command()
@friendly
def index(
    path: List[Path] = typer.Argument(None, help="Files or directories (default: the corpus)."),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="Index directory ($PLANSEARCH_INDEX)."),
    model: Optional[str] = typer.Option(None, "--model", help="sentence-transformers name or local path "
                                        "(default: bundled multilingual-e5-small)."),
    vector_kind: Optional[str] = typer.Option(None, "--vectors", help="flat (exact), pq (approximate: 4-bit "
                                              "codes propose candidates, re-scored exactly) or hnsw (approximate "
                                              "graph); default: flat below 150,000 sentence windows, pq above."),
):
    """Build or update the search index (embeddings, keyword index, document store)."""
    from . import render
    from .store import build_index

    errors: list[LoadError] = []
    with render.IndexProgress() as bar:
        report = build_index(path or [Path(DEFAULT_CORPUS)], index_dir, model=model, progress=bar.update,
                             errors=errors, vector_kind=vector_kind,
                             on_wait=lambda msg: typer.echo(msg, err=True))
    for e in errors:
        typer.echo(f"skipped {e}", err=True)
    render.print_index_report(report)


@app.command()
@friendly
def search(
    query: str = typer.Argument(..., help="What to look for, e.g. 留守儿童关爱"),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index", help="Index directory ($PLANSEARCH_INDEX)."),
    k: int = typer.Option(10, "-k", help="How many hits (per group with --by)."),
    year: Optional[int] = typer.Option(None, "--year"),
    years: Optional[str] = typer.Option(None, "--years", help="A range, e.g. 2019-2022."),
    region: Optional[str] = typer.Option(None, "--region"),
    issuer: Optional[str] = typer.Option(None, "--issuer"),
    kind: Optional[str] = typer.Option(None, "--kind", help="plan, summary or report."),
    doc: Optional[str] = typer.Option(None, "--doc", help="Only this document (or file stem)."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense, keyword, rrf, weighted, tiebreak."),
    by: Optional[str] = typer.Option(None, "--by", help="Best hits per year, region or doc, side by side."),
    model: Optional[str] = typer.Option(None, "--model", help="Must be the model the index was built with."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per hit per line."),
):
    """Search the index: hybrid dense + keyword by default, with metadata filters."""
    from . import render
    from .search import Filters, Searcher, parse_years

    if year is not None and years is not None:
        raise PlansearchError("give --year or --years, not both")
    if kind is not None and kind not in ("plan", "summary", "report", "mixed"):
        raise PlansearchError(f"--kind takes plan, summary, report or mixed, not {kind!r}")
    span = (year, year) if year is not None else parse_years(years) if years else None
    filters = Filters(years=span, region=region, issuer=issuer, kind=kind, doc=doc)
    searcher = Searcher(index_dir, model)
    if doc is not None and not any(filters.accepts(d) for d in searcher.index.documents):
        from .corpus import find_document

        find_document(searcher.index.documents, doc)  # raises with close ids
    if by:
        groups = searcher.search_by(query, by, per_group=k if k != 10 else 3, mode=mode, filters=filters)
        if as_json:
            _print_json_lines(dict(render.hit_record(h), group=g.key) for g in groups for h in g.hits)
        else:
            render.print_hit_groups(query, by, groups)
        return
    hits = searcher.search(query, k, mode, filters)
    if not hits:
        raise PlansearchError("no matches" + (" with these filters (" + filters.describe() + ")"
                                              if filters.active() else ""))
    if as_json:
        _print_json_lines(render.hit_record(h) for h in hits)
    else:
        render.print_hits(query, hits)


# --- reuse ---------------------------------------------------------------------------------------

@app.command()
@friendly
def reuse(
    path: List[Path] = typer.Argument(None, help="Files or directories (default: the corpus)."),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="Read the documents stored in this index "
                                             "instead of parsing files."),
    min_chars: int = typer.Option(30, "--min-chars", help="Verbatim characters a passage needs "
                                  "(after normalising; spaces and punctuation not counted)."),
    across: str = typer.Option("any", "--across", help="years, regions or any: only what documents of "
                               "different years / regions share."),
    doc: Optional[str] = typer.Option(None, "--doc", help="Only passages found in this document."),
    min_docs: int = typer.Option(2, "--min-docs", help="Only passages found in at least N documents."),
    max_spread: Optional[int] = typer.Option(None, "--max-spread", help="Drop passages found in more than N "
                                             "documents (boilerplate)."),
    top: int = typer.Option(20, "--top", help="How many passages to show."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per passage, then per document."),
):
    """Find copy-paste: passages that recur (near-)verbatim across documents, and how much of each
    document stands elsewhere."""
    from . import render
    from .reuse import find_reuse

    if index_dir is not None and path:
        raise PlansearchError("give files/directories or --index, not both")
    if index_dir is not None:
        from .store import open_index

        documents = open_index(index_dir).all_documents()
    else:
        roots = path or [Path(DEFAULT_CORPUS)]
        documents = _load(roots)
        if not documents:
            raise PlansearchError(f"no documents found in {', '.join(map(str, roots))}")
    if top < 1:
        raise PlansearchError("--top must be at least 1")
    report = find_reuse(documents, min_chars=min_chars, across=across, doc=doc, min_docs=min_docs,
                        max_spread=max_spread)
    by_id = {d.doc_id: d for d in documents}
    if as_json:
        _print_json_lines(render.reuse_cluster_record(rank, c, by_id)
                          for rank, c in enumerate(report.clusters[:top], 1))
        _print_json_lines(render.doc_share_record(s) for s in report.doc_shares)
    else:
        render.print_reuse(report, by_id, top)


# --- compare -------------------------------------------------------------------------------------

@app.command("compare")
@friendly
def compare_cmd(
    a: str = typer.Argument(..., help="The earlier plan: document id or file (file#N)."),
    b: str = typer.Argument(..., help="The later plan: document id or file (file#N)."),
    corpus: Path = typer.Option(Path(DEFAULT_CORPUS), "--corpus", help="Where to look up ids."),
    as_json: bool = typer.Option(False, "--json",
                                 help="A summary object, then one JSON object per alignment."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a side-by-side HTML report."),
    only: Optional[str] = typer.Option(None, "--only",
                                       help="Statuses to show, e.g. edited,new,dropped."),
    edited_min: Optional[float] = typer.Option(
        None, "--edited-min", help="Character similarity for `edited`, 0..1 (default 0.6)."),
    rewritten_min: Optional[float] = typer.Option(
        None, "--rewritten-min", help="Embedding cosine for `rewritten`, 0..1 (default 0.96)."),
    no_semantic: bool = typer.Option(False, "--no-semantic",
                                     help="Skip the embedding model (fast; no `rewritten`)."),
    model: Optional[str] = typer.Option(None, "--model", help="Embedding model (default: bundled)."),
    index_dir: Path = typer.Option(Path(DEFAULT_INDEX), "--index",
                                   help="Index whose embedding cache to use, if it exists."),
):
    """Compare two plans item by item: same, edited (with the character diff), rewritten, new and
    dropped items, and how much of B stands verbatim in A."""
    from . import render
    from .compare import STATUSES, Thresholds, compare
    from .corpus import find_document

    statuses = [s.strip() for s in only.split(",") if s.strip()] if only else list(STATUSES)
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise PlansearchError(f"--only: unknown status {', '.join(unknown)} "
                              f"(choose from {', '.join(STATUSES)})")
    defaults = Thresholds()
    edited_min = defaults.edited_min if edited_min is None else edited_min
    rewritten_min = defaults.rewritten_min if rewritten_min is None else rewritten_min
    for name, value in (("--edited-min", edited_min), ("--rewritten-min", rewritten_min)):
        if not 0.0 <= value <= 1.0:
            raise PlansearchError(f"{name} must be between 0 and 1, not {value}")

    corpus_docs = []  # loaded at most once for both ids

    def resolve(doc: str):
        if Path(doc.split("#")[0]).is_file():
            return _resolve_doc(doc, corpus)
        if not corpus_docs:
            corpus_docs.extend(_load([corpus]))
        return find_document(corpus_docs, doc)

    doc_a, doc_b = resolve(a), resolve(b)
    cmp = compare(doc_a, doc_b, thresholds=Thresholds(edited_min=edited_min,
                                                      rewritten_min=rewritten_min),
                  semantic=not no_semantic, model=model, index_dir=index_dir)
    if html is not None:
        from .html_report import write_html

        write_html(cmp, html)
        typer.echo(f"wrote {html}", err=True)
    if as_json:
        _print_json_lines([render.compare_summary_record(cmp)]
                          + [render.alignment_record(al, doc_a.doc_id)
                             for al in cmp.alignments if al.status in statuses])
    else:
        render.print_comparison(cmp, statuses)
