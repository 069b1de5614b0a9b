"""Embedding on a Ray cluster: the sentence windows the embedding cache lacks, embedded by Ray
workers, written into the index's cache as they come back, so that `plansearch index` then builds
from the cache without embedding (for a local or a Milvus store alike: both keep the cache in the
index directory).

The windows are the ones `index` embeds (load_corpus → windows_of_items), keyed as it keys them
(text_key, the model's name). Each batch is one Ray task running the same embedder as `index`
(get_embedder, loaded once per worker process). Ray retries a task whose worker dies (max_retries),
so a lost worker costs only its batch; the driver writes each batch's vectors once, keyed by
content, so nothing is lost and no window is stored twice. A stopped run resumes from the cache.

Ray is an optional dependency (`plansearch[ray]`): it is imported only here, when asked for.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .chunk import windows_of_items
from .corpus import load_corpus
from .embed import embedder_name, get_embedder, resolve_model
from .i18n import _
from .models import LoadError, PlansearchError
from .store import CACHE_FILE, EmbeddingCache, text_key

RAY_BATCH = 64  # windows per task: what a lost worker costs, against Ray's per-task overhead (~ms)
RAY_RETRIES = 3  # a batch whose worker dies is run again, up to this many times


@dataclass
class RayEmbedReport:
    windows: int  # sentence windows in the documents
    distinct: int  # distinct texts among them
    cached: int  # distinct texts the cache already held
    embedded: int  # distinct texts embedded on the cluster and written to the cache
    batches: int
    workers: int  # CPUs (or GPUs) the cluster offered
    seconds: float  # the whole run: reading the corpus, joining the cluster, embedding
    embed_seconds: float = 0.0  # from the first batch sent to the last one written

    @property
    def per_second(self) -> float:
        """Windows embedded per second of the embedding phase (the cluster's throughput)."""
        return self.embedded / self.embed_seconds if self.embed_seconds > 0 else 0.0


def _ray():
    try:
        import ray
    except ImportError:
        raise PlansearchError(_("--ray needs Ray: pip install 'plansearch[ray]'")) from None
    return ray


def _embed_batch(model: str | None, texts: list[str]) -> np.ndarray:
    """One batch on a worker: the same embedder `index` uses (loaded once per worker process)."""
    return get_embedder(model).embed_passages(texts)


def connect(address: str, num_cpus: int | None = None):
    """Join the cluster at `address` (ray://HOST:PORT, or a GCS address HOST:PORT), or start a
    local one: "local" with `num_cpus` (default: every core). Returns the ray module."""
    ray = _ray()
    if ray.is_initialized():
        return ray
    quiet = dict(include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    try:
        if address == "local":  # on loopback: a local cluster is no service to the network
            ray.init(num_cpus=num_cpus, _node_ip_address="127.0.0.1", **quiet)
        else:
            ray.init(address=address, log_to_driver=False, logging_level="WARNING")
    except (ConnectionError, ValueError, RuntimeError) as e:
        raise PlansearchError(_("cannot reach the Ray cluster at {address}: {error}").format(
            address=address, error=str(e).splitlines()[0] if str(e) else type(e).__name__)) from None
    return ray


def missing_texts(texts: Sequence[str], model_name: str, cache: EmbeddingCache) -> tuple[list[bytes], list[str], int]:
    """(keys, texts) of the distinct texts the cache does not hold for `model_name`, in first-seen
    order, and the number of distinct texts."""
    first: dict[bytes, str] = {}
    for t in texts:
        first.setdefault(text_key(t), t)
    held = {k for k, _v in cache.iter_many(model_name, list(first))}
    keys = [k for k in first if k not in held]
    return keys, [first[k] for k in keys], len(first)


def embed_texts_on_ray(ray, texts: Sequence[str], model: str | None, batch: int = RAY_BATCH,
                       on_batch: Callable[[int, np.ndarray], None] | None = None,
                       use_gpu: bool = False) -> int:
    """Embed `texts` in batches of `batch` as Ray tasks, at most two per worker in flight (bounded
    memory on the driver however many texts there are). `on_batch(start, vectors)` gets each batch
    as it comes back, in completion order. Returns the number of batches."""
    task = ray.remote(num_cpus=0 if use_gpu else 1, num_gpus=1 if use_gpu else 0,
                      max_retries=RAY_RETRIES)(_embed_batch)
    resources = ray.cluster_resources()
    slots = max(1, int(resources.get("GPU" if use_gpu else "CPU", 1)))
    starts = list(range(0, len(texts), batch))
    pending: dict = {}
    nxt = 0
    while nxt < len(starts) or pending:
        while nxt < len(starts) and len(pending) < 2 * slots:
            s = starts[nxt]
            pending[task.remote(model, list(texts[s:s + batch]))] = s
            nxt += 1
        done, _rest = ray.wait(list(pending), num_returns=1)
        for ref in done:
            s = pending.pop(ref)
            try:
                vecs = ray.get(ref)
            except Exception as e:  # retries spent, or the model failed on the worker
                raise PlansearchError(_("a Ray batch failed after {n} retries: {error}").format(
                    n=RAY_RETRIES, error=str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__)) from None
            if on_batch:
                on_batch(s, vecs)
    return len(starts)


def embed_on_ray(paths: Iterable[str | os.PathLike], index_dir: str | os.PathLike, address: str,
                 model: str | None = None, num_cpus: int | None = None, batch: int = RAY_BATCH,
                 progress: Callable[[str, int, int], None] | None = None,
                 errors: list[LoadError] | None = None, warnings: list[str] | None = None,
                 use_gpu: bool = False) -> RayEmbedReport:
    """Fill the embedding cache of `index_dir` with the vectors of every sentence window of the
    documents under `paths` that it lacks, embedded on the Ray cluster at `address`."""
    t0 = time.perf_counter()
    paths = list(paths)
    resolve_model(model)  # a wrong name fails before the corpus is read or the cluster joined
    name = embedder_name(model)
    warnings = warnings if warnings is not None else []
    documents = load_corpus(paths, errors=errors, warnings=warnings)
    if not documents:
        raise PlansearchError(_("no documents found in {paths}").format(paths=", ".join(map(str, paths))))
    texts = windows_of_items([it for d in documents for it in d.items]).texts
    index_dir = Path(index_dir)
    cache = EmbeddingCache(index_dir / CACHE_FILE, on_warning=warnings.append)
    if cache.read_only:
        cache.close()
        raise PlansearchError(_("{dir}/ cannot be written (a read-only folder or file system): searching it works, "
                                "building needs another --index").format(dir=index_dir))
    try:
        keys, todo, distinct = missing_texts(texts, name, cache)
        workers, batches, t_embed = 0, 0, 0.0
        if todo:
            ray = connect(address, num_cpus)
            workers = int(ray.cluster_resources().get("GPU" if use_gpu else "CPU", 0))
            done = 0
            if progress:
                progress("embed", 0, len(todo))

            def store(start: int, vecs: np.ndarray) -> None:
                nonlocal done
                part = keys[start:start + batch]
                if len(vecs) != len(part):
                    raise PlansearchError(_("a Ray worker returned {got} vectors for {n} texts").format(
                        got=len(vecs), n=len(part)))
                cache.put_many(name, part, vecs)  # committed: a later crash keeps it
                done += len(vecs)
                if progress:
                    progress("embed", done, len(todo))

            t1 = time.perf_counter()
            batches = embed_texts_on_ray(ray, todo, model, batch, store, use_gpu)
            t_embed = time.perf_counter() - t1
    finally:
        cache.close()
    return RayEmbedReport(len(texts), distinct, distinct - len(todo), len(todo), batches, workers,
                          time.perf_counter() - t0, t_embed)
