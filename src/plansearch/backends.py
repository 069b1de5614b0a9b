"""The index stores (`--store`), named once: a spec's prefix → the module and class that open it.

store.py (the interface and the local store) asks this registry for any store that is not local
and never imports a backend itself, so a backend may import store.py without a circle. A backend
module is imported only when a spec names it: a missing optional dependency (pymilvus for the
`milvus` extra) fails then, in one line from the backend ("install plansearch[milvus]")."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Backend:
    prefix: str  # what a --store value starts with: "milvus://", "milvus-lite:"
    target: str  # "module:Class"; the class has for_index(index_dir, spec, recorded) -> IndexStore
    needs_path: bool = False  # the spec must go on after the prefix (a file path)


_REGISTRY: dict[str, Backend] = {}


def register(prefix: str, target: str, needs_path: bool = False) -> None:
    """Add (or replace) the store that --store values beginning with `prefix` open."""
    _REGISTRY[prefix] = Backend(prefix, target, needs_path)


def backend_for(spec: str) -> Backend | None:
    """The registered store whose prefix `spec` starts with (the longest), or None."""
    hits = [b for p, b in _REGISTRY.items() if spec.startswith(p)]
    return max(hits, key=lambda b: len(b.prefix)) if hits else None


def open_backend(backend: Backend, index_dir: Path, spec: str, recorded: dict | None):
    """The store object `spec` names for this index directory, importing its module now."""
    module, _sep, cls = backend.target.partition(":")
    return getattr(importlib.import_module(module), cls).for_index(index_dir, spec, recorded)


register("milvus://", "plansearch.milvus_store:MilvusStore")
register("milvus-lite:", "plansearch.milvus_store:MilvusStore", needs_path=True)
