"""The ingest flow as one call: load -> clean/outline -> normalise -> metadata -> manifest overrides.

    >>> import plansearch
    >>> docs = plansearch.load_corpus("corpus/")
    >>> docs[0].items[0].path, docs[0].items[0].text
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

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
    from . import load, metadata, outline

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    roots = [Path(p) for p in paths]
    for r in roots:
        load.check_exists(r)
    man_path = Path(manifest) if manifest else _find_manifest(roots)
    overrides = metadata.load_manifest(man_path, warnings) if man_path else None

    docs: list[Document] = []
    for root in roots:
        for src in load.iter_sources(root):
            if isinstance(src, LoadError):
                if errors is None:
                    raise src
                errors.append(src)
                continue
            for doc in outline.parse_source(src):
                for it in doc.items:
                    if not it.norm:
                        it.norm = normalise(it.text)
                metadata.infer_metadata(doc)
                docs.append(doc)
    if overrides is not None:
        unmatched = metadata.apply_manifest(docs, overrides)
        # Rows for files that were not asked for are expected when loading single files.
        whole_dir = any(r.is_dir() and man_path.parent.resolve() == r.resolve() for r in roots)
        if warnings is not None and whole_dir:
            warnings.extend(f"{man_path}: {w}" for w in unmatched)
    return docs


def find_document(docs: list[Document], doc_id: str) -> Document:
    """The document with this id; an unknown id raises with the closest ids as suggestions."""
    for d in docs:
        if d.doc_id == doc_id:
            return d
    import difflib

    close = difflib.get_close_matches(doc_id, [d.doc_id for d in docs], n=3, cutoff=0.3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise PlansearchError(f"unknown document id {doc_id!r}{hint}")
