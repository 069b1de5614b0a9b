"""The ingest flow as one call: load -> clean/outline -> normalise -> metadata -> manifest overrides.

    >>> import plansearch
    >>> docs = plansearch.load_corpus("corpus/")
    >>> docs[0].items[0].path, docs[0].items[0].text
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Iterable, Iterator

from . import load, metadata, outline
from .i18n import _, either
from .models import Document, LoadError, PlansearchError
from .normalise import normalise

MANIFEST_NAME = "manifest.csv"


def _find_manifest(paths: list[Path]) -> Path | None:
    for p in paths:
        cand = (p if p.is_dir() else p.parent) / MANIFEST_NAME
        if cand.is_file():
            return cand
    return None


def load_corpus(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    manifest: str | os.PathLike | None = None,
    errors: list[LoadError] | None = None,
    warnings: list[str] | None = None,
) -> list[Document]:
    """Every document under `paths` (files or directories), in a stable order.

    A file that cannot be read is reported in `errors` (when given) and skipped; without `errors`
    the first bad file raises. A missing path always raises. `manifest` defaults to the
    manifest.csv beside / inside the first path that has one. With `warnings`, its bad rows and
    unknown columns ("manifest.csv:LINE: problem") and its rows that match no document are
    reported there and the good rows apply; without it, a bad row raises PlansearchError.
    """
    return list(iter_corpus(paths, manifest, errors, warnings))


def iter_corpus(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    manifest: str | os.PathLike | None = None,
    errors: list[LoadError] | None = None,
    warnings: list[str] | None = None,
) -> Iterator[Document]:
    """`load_corpus` one document at a time, each complete (manifest applied) when it is given:
    a build of 10^6 items never holds the corpus. The manifest's rows that matched no document
    are reported when the iteration ends. Paths are checked before the first document."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    roots = [Path(p) for p in paths]
    for r in roots:
        load.check_exists(r)
    man_path = Path(manifest) if manifest else _find_manifest(roots)
    overrides = metadata.load_manifest(man_path, warnings) if man_path else None
    return _documents(roots, man_path, overrides, errors, warnings)


def _documents(roots: list[Path], man_path: Path | None, overrides, errors, warnings) -> Iterator[Document]:
    matched: set[int] = set()  # manifest lines that named a document
    for root in roots:
        for src in load.iter_sources(root):
            if isinstance(src, LoadError):
                if errors is None:
                    raise src
                errors.append(src)
                continue
            if warnings is not None:
                warnings.extend(src.warnings)
            docs = []
            for doc in outline.parse_source(src):
                for it in doc.items:
                    if not it.norm:
                        it.norm = normalise(it.text)
                metadata.infer_metadata(doc)
                docs.append(doc)
            if overrides is not None:  # a file's documents together: a file row names them all
                matched.update(metadata.manifest_applied(docs, overrides))
                for d in docs:
                    metadata.settle_built_title(d)
            yield from docs
    # Rows for files that were not asked for are expected when loading single files.
    whole_dir = man_path is not None and any(r.is_dir() and man_path.parent.resolve() == r.resolve() for r in roots)
    if overrides is not None and warnings is not None and whole_dir:
        warnings.extend(f"{man_path}: {w}" for w in metadata.unmatched_rows(overrides, matched))


def find_document(docs: list[Document], doc_id: str) -> Document:
    """The document with this id; an unknown id raises with the closest ids as suggestions."""
    for d in docs:
        if d.doc_id == doc_id:
            return d
    raise PlansearchError(_("unknown document id {id!r}").format(id=doc_id) + did_you_mean(doc_id, [d.doc_id for d in docs]))


class DocumentFinder:
    """Finds documents the way users name them, for every command and the web app:

    - a file path (`plan.docx`), or `file#N` for the N-th plan of a compiled page;
    - a document id (`000_5ae896fcb747d54c#4`, `national_gwr_2024`) in an index, when one is open
      (an index knows its documents: no corpus directory is needed);
    - a document id in a corpus directory, parsed on first use (once for all look-ups).

    With both an index and a corpus, the index is asked first and the corpus second."""

    def __init__(self, index=None, corpus: str | os.PathLike | None = None,
                 errors: list[LoadError] | None = None, warnings: list[str] | None = None):
        self.index = index  # an IndexReader, or None
        self.corpus = Path(corpus) if corpus is not None else None
        self.errors = errors if errors is not None else []
        self.warnings = warnings if warnings is not None else []
        self._corpus_docs: list[Document] | None = None

    def _places(self) -> str:
        places = []
        if self.index is not None:
            places.append(_("the index in {dir}/").format(dir=self.index.location))
        if self.corpus is not None:
            places.append(f"{self.corpus}/")
        return either(places) or _("nowhere (no index or corpus given)")

    def corpus_documents(self) -> list[Document]:
        if self._corpus_docs is None:
            self._corpus_docs = load_corpus([self.corpus], errors=self.errors, warnings=self.warnings)
        return self._corpus_docs

    def find(self, ref: str) -> Document:
        ref = ref.strip()
        if not ref:
            raise PlansearchError(_("empty document name: give a document id (see `plansearch docs`) or a file"))
        path_part, hash_, number = ref.partition("#")
        path = Path(path_part)
        if path.is_dir():
            raise PlansearchError(_("{ref}: is a directory; name one document in it (a file, or an id from "
                                    "`plansearch docs {ref}`)").format(ref=ref))
        if path.is_file():
            return self._from_file(path, number if hash_ else None, ref)
        if self.index is not None:
            for row, d in enumerate(self.index.documents):
                if d.doc_id == ref:
                    return self.index.document_with_items(row)
        if self.corpus is not None and self.corpus.exists():
            docs = self.corpus_documents()
            for d in docs:
                if d.doc_id == ref:
                    return d
        known = [d.doc_id for d in self.index.documents] if self.index is not None else []
        if self.corpus is not None and self.corpus.exists():
            known += [d.doc_id for d in self.corpus_documents()]
        raise PlansearchError(_("unknown document {ref!r} in {places}").format(ref=ref, places=self._places()) + did_you_mean(ref, known))

    def _from_file(self, path: Path, number: str | None, ref: str) -> Document:
        errors: list[LoadError] = []
        docs = load_corpus([path], errors=errors, warnings=self.warnings)
        if errors:
            raise errors[0]
        if number is not None:
            wanted = f"{path.stem}#{number}"
            for d in docs:
                if d.doc_id == wanted or (len(docs) == 1 and number == "1"):
                    return d
            raise PlansearchError(_("{path}: has no plan #{number}; it holds {ids}").format(
                path=path, number=number, ids=", ".join(d.doc_id for d in docs) or _("no document")))
        if not docs:
            raise PlansearchError(_("{path}: holds no document (no text to read)").format(path=path))
        if len(docs) > 1:
            raise PlansearchError(_("{ref}: compiles {n} plans; name one as {path}#N (1–{n})").format(
                ref=ref, n=len(docs), path=path))
        return docs[0]


def did_you_mean(ref: str, known: list[str]) -> str:
    close = difflib.get_close_matches(ref, list(dict.fromkeys(known)), n=3, cutoff=0.3)
    return " " + _("(did you mean {ids}?)").format(ids=", ".join(close)) if close else ""
