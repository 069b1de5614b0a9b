"""plansearch: search, compare and find copy-paste in Chinese government work plans.

The library API (the CLI in `plansearch.cli` is a thin layer over it):

    load_corpus(path) -> list[Document]           ingest: load, clean, outline, metadata
    build_index(paths, index_dir) -> IndexReport  embed + store (FAISS, keyword index, SQLite)
    search(query, index_dir, ...) -> list[Hit]    hybrid dense + keyword search
    compare(doc_a, doc_b) -> Comparison           item alignment between two plans
    find_reuse(docs) -> list[ReuseCluster]        verbatim / near-verbatim passages across documents
"""
import importlib

from .corpus import find_document, load_corpus
from .models import (
    Alignment,
    Document,
    Heading,
    Hit,
    Item,
    LoadError,
    Passage,
    PlansearchError,
    ReuseCluster,
    Section,
    SourceText,
    Span,
)

__all__ = [
    "load_corpus", "find_document",
    "Alignment", "Document", "Heading", "Hit", "Item", "LoadError", "Passage", "PlansearchError",
    "ReuseCluster", "Section", "SourceText", "Span",
]


def __getattr__(name: str):
    # The heavier stages (faiss, the embedding model) import only when used.
    lazy = {
        "build_index": ("plansearch.store", "build_index"),
        "search": ("plansearch.search", "search"),
        "compare": ("plansearch.compare", "compare"),
        "find_reuse": ("plansearch.reuse", "find_reuse"),
    }
    if name in lazy:
        mod, attr = lazy[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(name)
