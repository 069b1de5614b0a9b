"""Latency of `plansearch serve`: warm search requests on the gwr index over real HTTP.

    .venv/bin/python bench/web_bench.py                          # builds bench/out/index-gwr if missing
    .venv/bin/python bench/web_bench.py --index gwr-index --requests 40

The app is served by uvicorn on a free port of 127.0.0.1, with the index, the model and the keyword
index loaded first (what `plansearch serve` does before it prints its address; the reuse report is
not started, so nothing else competes for the cores). Each timed request is a new query from the
judged gwr set (tests/data/queries_gwr.jsonl), so each one embeds its query as a user's new query
would; the same queries are also timed as bare `Searcher.search` calls, to show what HTTP, records
and templates add. Figures: p50 / p90 / max in ms. Target: search page p50 <= 100 ms.
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlparse

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGET_MS = 100.0


def percentiles(ms: list[float]) -> str:
    ordered = sorted(ms)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"{statistics.median(ordered):.1f} / {p90:.1f} / {ordered[-1]:.1f}"


def time_requests(url: str, paths: list[str]) -> list[float]:
    """Wall time of each GET over one keep-alive connection, body read, status checked."""
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    out = []
    try:
        for path in paths:
            t0 = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            out.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                raise SystemExit(f"GET {path}: {resp.status} {body[:200]!r}")
    finally:
        conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, default=None,
                    help="an index of ../shared/corpora/gwr (default: bench/out/index-gwr, built if missing)")
    ap.add_argument("--requests", type=int, default=40)
    args = ap.parse_args(argv)

    from bench.judge import QUERY_SETS, load_queries
    from plansearch.search import Filters
    from plansearch.web.app import create_app
    from plansearch.web.engine import Engine
    from plansearch.web.server import BackgroundServer

    index = args.index
    if index is None:
        from bench.eval_search import OUT, ensure_index

        index = OUT / "index-gwr"
        ensure_index("gwr", index, None, quiet=False)
    queries = [q.query for q in load_queries(QUERY_SETS["gwr"])]
    if len(queries) < args.requests + 8:
        raise SystemExit(f"only {len(queries)} judged gwr queries for {args.requests} requests + 8 warm-ups")
    warmup, timed = queries[:4] + queries[-4:], queries[4:4 + args.requests]

    load_avg = os.getloadavg()[0]  # other work on the machine shows in every figure: say how much
    t0 = time.perf_counter()
    engine = Engine(index)
    engine.warm()
    load_s = time.perf_counter() - t0
    with BackgroundServer(create_app(engine=engine)) as url:
        time_requests(url, [f"/search?q={quote(q)}" for q in warmup])
        search_ms = time_requests(url, [f"/search?q={quote(q)}" for q in timed])
        # The same queries again: their vectors are cached now, so this is search + page without embedding.
        again_ms = time_requests(url, [f"/search?q={quote(q)}" for q in timed])
        by_year_ms = time_requests(url, [f"/search?q={quote(q)}&view=year" for q in timed[:10]])
        library_ms = []
        for q in queries[4 + args.requests:] + [q + "工作" for q in timed]:  # new queries: each one embeds
            if len(library_ms) == args.requests:
                break
            t = time.perf_counter()
            engine.search(q, 10, "hybrid", Filters())
            library_ms.append((time.perf_counter() - t) * 1000)
        json_ms = time_requests(url, [f"/search?q={quote(q + '政策')}&format=json" for q in timed])
    n_items = len(engine.searcher.index.item_doc)
    engine.close()

    rows = [("search page (new query, embeds it)", search_ms),
            ("search page, query vector cached", again_ms),
            ("search JSON download (new query)", json_ms),
            ("Searcher.search alone (new query, no HTTP)", library_ms),
            ("per-year view + chart (10 queries)", by_year_ms)]
    print("## Web app: warm requests on the gwr index (`bench/web_bench.py`)\n")
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load_avg:.1f} at the start; "
          f"{time.strftime('%Y-%m-%d %H:%M')}. Index: {len(engine.documents)} documents, {n_items:,} items; "
          f"opened and warmed in {load_s:.1f} s. uvicorn on 127.0.0.1, one keep-alive connection, "
          f"{args.requests} requests per row, each a different judged gwr query.\n")
    print("| request | n | p50 / p90 / max ms |")
    print("|---|---|---|")
    for name, ms in rows:
        print(f"| {name} | {len(ms)} | {percentiles(ms)} |")
    p50 = statistics.median(search_ms)
    print(f"\nTarget: search page p50 <= {TARGET_MS:.0f} ms: {p50:.1f} ms, "
          f"{'met' if p50 <= TARGET_MS else 'NOT met'}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
