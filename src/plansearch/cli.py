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
    docs = load_corpus(paths, errors=errors)
    for e in errors:
        typer.echo(f"skipped {e}", err=True)
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
