"""The Milvus store against the local one, on the same vectors (issue #17).

    .venv/bin/python bench/milvus_bench.py                       # 10^4 and 10^5 items + judged sets
    .venv/bin/python bench/milvus_bench.py --sizes 10000 --no-judged

For each size: a corpus from bench/gen_corpus.py, the embedding cache prefilled with "real + noise"
vectors (bench/run.py's prefill_cache: nothing is embedded for real) and copied to the Milvus
index, so both stores index the very same vectors. Measured: build time of each store, warm
latency (bench/run.py's warm_latencies: 40 queries, with and without query embedding), recall@10
of Milvus's dense windows against exact FAISS on the same vectors, overlap@10 of Milvus's hybrid
top 10 items with the local store's.

Judged sets (tests/data, bench/judge.py's relevance): R@10 / MRR@10 per mode through each store,
for Milvus with both keyword schemes (our bigrams spelled for the standard analyzer, Milvus's
jieba analyzer), and Milvus-side fusion (hybrid_search with RRFRanker / WeightedRanker over a
windows collection carrying each window's BM25 as well, best window per item) against ours.

Writes the raw figures to <work>/milvus-results.json and prints a markdown section for
bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.run import machine_line, pct, prefill_cache, queries, seed_vectors, warm_latencies  # noqa: E402


def lite_spec(index_dir: Path) -> str:
    return f"milvus-lite:{index_dir / 'plans.db'}"


def timed_build(docs_dir: Path, index_dir: Path, store: str | None = None, keyword_scheme: str = "bigram",
                force: bool = False) -> dict:
    from plansearch.store import build_index

    t = time.perf_counter()
    rep = build_index(docs_dir, index_dir, store=store, keyword_scheme=keyword_scheme, force=force)
    return {"seconds": time.perf_counter() - t, "items": rep.items, "windows": rep.windows,
            "embedded": rep.embedded, "up_to_date": rep.up_to_date, "vector_kind": rep.vector_kind}


def compare_stores(local, milvus, qs: list[str]) -> dict:
    """recall@10 of Milvus's dense windows vs exact search on the local store's vectors, and
    overlap@10 of the two stores' hybrid / dense / keyword top-10 items."""
    from plansearch.normalise import normalise
    from plansearch.vectors import exact_search

    out: dict = {}
    vecs = np.asarray(local.index.vectors)
    rec = []
    for q in qs:
        qv = local.query_vector(normalise(q))
        truth = set(exact_search(vecs, qv, 10)[1].tolist())
        got = set(milvus.index.dense_windows(qv, 10).windows.tolist())
        rec.append(len(truth & got) / 10)
    out["dense_window_recall_at_10"] = float(np.mean(rec))
    for mode in ("hybrid", "dense", "keyword"):
        ov = []
        for q in qs:
            a = [h.item.item_id for h in local.search(q, 10, mode)]
            b = [h.item.item_id for h in milvus.search(q, 10, mode)]
            ov.append(len(set(a) & set(b)) / max(1, len(a)))
        out[f"overlap_at_10_{mode}"] = float(np.mean(ov))
    return out


def bench_size(n: int, work: Path, mat, item_vecs, qs: list[str]) -> dict:
    """Both stores built from one corpus and one cache, then timed and compared on the queries."""
    from bench.gen_corpus import generate
    from plansearch.corpus import load_corpus
    from plansearch.search import Searcher

    r: dict = {}
    cdir = work / f"synth-{n}"
    if not (cdir / "summary.json").is_file():
        # as bench/run.py makes it (its provenance matches the parsed items only so)
        generate(n, cdir, seed=n % 9973, mat=mat, remove_chance_reuse=n < 1_000_000)
    docs = load_corpus(cdir / "docs")
    prov = json.loads((cdir / "provenance.json").read_text())
    local_dir, milvus_dir = work / f"local-{n}", work / f"milvus-{n}"
    for d in (local_dir, milvus_dir):
        shutil.rmtree(d, ignore_errors=True)  # a fresh build each run
    r["prefill"] = prefill_cache(docs, prov, item_vecs, local_dir)
    milvus_dir.mkdir(parents=True)
    shutil.copy(local_dir / "cache.sqlite", milvus_dir / "cache.sqlite")  # the very same vectors
    print(f"[{n}] local build …", flush=True)
    r["local_build"] = timed_build(cdir / "docs", local_dir)
    print(f"[{n}] milvus lite build …", flush=True)
    r["milvus_build"] = timed_build(cdir / "docs", milvus_dir, store=lite_spec(milvus_dir))
    t = time.perf_counter()
    r["milvus_reindex"] = timed_build(cdir / "docs", milvus_dir)
    local, milvus = Searcher(local_dir), Searcher(milvus_dir)
    t = time.perf_counter()
    milvus.search(qs[0], 10)
    r["milvus_first_query_s"] = time.perf_counter() - t
    milvus._embedder = local.embedder  # one model in memory
    print(f"[{n}] latency …", flush=True)
    r["local_latency"] = warm_latencies(local, qs)
    r["milvus_latency"] = warm_latencies(milvus, qs)
    print(f"[{n}] overlap …", flush=True)
    r["vs_local"] = compare_stores(local, milvus, qs)
    r["filtered_hybrid"] = {}
    from plansearch.search import Filters

    region = next(d.region for d in docs if d.region)
    for label, filters in (("region", Filters(region=region)), ("years", Filters(years=(2019, 2021)))):
        for name, s in (("local", local), ("milvus", milvus)):
            lat = []
            for q in qs[:20]:
                t = time.perf_counter()
                s.search(q, 10, "hybrid", filters)
                lat.append((time.perf_counter() - t) * 1000)
            r["filtered_hybrid"][f"{name}_{label}"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
    local.close()
    milvus.close()
    r["items"], r["windows"] = r["local_build"]["items"], r["local_build"]["windows"]
    return r


# --- judged sets ---------------------------------------------------------------------------------

def _judged_index(corpus: str, work: Path, store: str | None, scheme: str = "bigram") -> Path:
    """An index of a judged corpus in a store; every store reuses one embedding cache."""
    from bench.judge import CORPORA

    name = f"judged-{corpus}-{'local' if store is None else 'milvus-' + scheme}"
    ix = work / name
    shared = work / f"judged-{corpus}-cache.sqlite"
    ix.mkdir(parents=True, exist_ok=True)
    if shared.is_file() and not (ix / "cache.sqlite").is_file():
        shutil.copy(shared, ix / "cache.sqlite")
    spec = lite_spec(ix) if store == "milvus-lite" else None
    timed_build(CORPORA[corpus], ix, store=spec, keyword_scheme=scheme)
    if not shared.is_file():
        shutil.copy(ix / "cache.sqlite", shared)
    return ix


def _score(rows: list[list[str]], queries, judged, k: int = 10) -> dict:
    from bench.judge import score_query, summarise

    per = [{"id": q.id, "kind": q.kind, **score_query(r, judged[q.id], k)} for q, r in zip(queries, rows)]
    s = summarise(per)["all"]
    return {"recall": s["recall"], "mrr": s["mrr"]}


def milvus_side_fusion(ix: Path, searcher, queries) -> dict:
    """Milvus's own hybrid_search over one windows collection holding each window's vector and
    its text's BM25 (bigrams spelled for the standard analyzer): RRF(60) and weighted 0.6 / 0.4,
    each item ranked by its best window (the first time it appears)."""
    from pymilvus import AnnSearchRequest, DataType, Function, FunctionType, RRFRanker, WeightedRanker

    from plansearch.chunk import windows_of_items
    from plansearch.milvus_store import connect, disconnect, keyword_text, parse_spec
    from plansearch.normalise import normalise
    from plansearch.store import recorded_store

    index = searcher.index
    docs = index.all_documents()
    items = [it for d in docs for it in d.items]
    wins = windows_of_items(items)
    uri = parse_spec(recorded_store(ix)["store"], ix)
    client = connect(uri)
    name = "bench_fusion_windows"
    try:
        if client.has_collection(name):
            client.drop_collection(name)
        s = client.create_schema(auto_id=False)
        s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("item_row", DataType.INT64)
        s.add_field("vec", DataType.FLOAT_VECTOR, dim=index.meta.dim)
        s.add_field("kw", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                    analyzer_params={"tokenizer": "standard"})
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["kw"],
                                output_field_names=["sparse"]))
        ip = client.prepare_index_params()
        ip.add_index("vec", index_type="FLAT", metric_type="IP")
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"params": {"bm25_k1": 1.2, "bm25_b": 0.75}})
        client.create_collection(name, schema=s, index_params=ip)
        vecs = index.window_vectors(np.arange(len(wins.texts)))
        rows = [{"id": w, "item_row": wins.item_rows[w], "vec": vecs[w], "kw": keyword_text(wins.texts[w], "bigram")}
                for w in range(len(wins.texts))]
        for i in range(0, len(rows), 2000):
            client.insert(name, rows[i:i + 2000])
        client.flush(name)
        out = {}
        for label, ranker in (("milvus_rrf", RRFRanker(60)), ("milvus_weighted", WeightedRanker(0.6, 0.4))):
            ranked = []
            for q in queries:
                qn = normalise(q.query)
                qv = searcher.query_vector(qn)
                reqs = [AnnSearchRequest([qv.tolist()], "vec", {"metric_type": "IP"}, 100),
                        AnnSearchRequest([keyword_text(qn, "bigram")], "sparse", {"metric_type": "BM25"}, 100)]
                hits = client.hybrid_search(name, reqs, ranker, limit=100, output_fields=["item_row"])[0]
                seen: list[int] = []
                for h in hits:
                    r = int(h["entity"]["item_row"])
                    if r not in seen:
                        seen.append(r)
                ranked.append([items[r].item_id for r in seen[:10]])
            out[label] = ranked
        client.drop_collection(name)
        return out
    finally:
        disconnect(client, uri)


def judged(work: Path) -> dict:
    from bench.eval_search import run_queries
    from bench.judge import CORPORA, QUERY_SETS, judgements, load_documents, load_queries, summarise
    from plansearch.search import Searcher

    out: dict = {}
    for corpus in ("seeds", "gwr"):
        if not CORPORA[corpus].is_dir():
            continue
        print(f"[judged {corpus}] …", flush=True)
        queries = load_queries(QUERY_SETS[corpus])
        judged_ids = judgements(queries, load_documents(CORPORA[corpus]))
        res: dict = {}
        for label, store, scheme in (("local", None, "bigram"), ("milvus", "milvus-lite", "bigram"),
                                     ("milvus-jieba", "milvus-lite", "jieba")):
            ix = _judged_index(corpus, work, store, scheme)
            s = Searcher(ix)
            modes = ("hybrid", "dense", "keyword", "rrf") if label != "milvus-jieba" else ("hybrid", "keyword")
            for mode in modes:
                summary = summarise(run_queries(s, queries, judged_ids, mode, 10))["all"]
                res[f"{label}/{mode}"] = {"recall": summary["recall"], "mrr": summary["mrr"]}
            if label == "milvus":
                for name, ranked in milvus_side_fusion(ix, s, queries).items():
                    res[f"milvus/{name}"] = _score(ranked, queries, judged_ids)
            s.close()
        out[corpus] = res
    return out


# --- report ------------------------------------------------------------------------------------------

def render(res: dict) -> str:
    f = lambda x, nd=1: "–" if x is None else f"{x:,.{nd}f}"  # noqa: E731
    pp = lambda d: f"{f(d['p50'])} / {f(d['p95'])}"  # noqa: E731
    L = ["## The Milvus store (Milvus Lite) against the local store, on the same vectors", "",
         f"Machine: {res['machine']}; load average at the start {res['load']}. Command: `{res['command']}` "
         f"(wall {f(res['wall_s'], 0)} s). pymilvus {res['versions']['pymilvus']}, milvus-lite "
         f"{res['versions']['milvus_lite']}.", "",
         "Both stores index the same corpus from the same embedding cache (\"real + noise\" vectors, "
         "`prefill_cache`); Milvus with FLAT (exact) vectors and our bigram BM25 in Milvus's BM25 function. "
         f"Latency: {res.get('queries', 40)} queries of bench/run.py's set, warm, as in the table above (\"with "
         "embedding\" embeds the query); filtered: 20 hybrid queries with a region or a year range.", "",
         "| items | windows | build s local / Milvus Lite | re-index unchanged, Milvus s | hybrid search only p50/p95 "
         "local; Milvus | hybrid with query embedding p50 local / Milvus | dense search only, Milvus | keyword, Milvus "
         "| filtered hybrid p50 local / Milvus (region; years) | Milvus dense recall@10 vs exact | overlap@10 with "
         "local: hybrid / dense / keyword |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, r in res.get("sizes", {}).items():
        ml, ll, v, fh = r["milvus_latency"], r["local_latency"], r["vs_local"], r["filtered_hybrid"]
        L.append(f"| {r['items']:,} | {r['windows']:,} | {f(r['local_build']['seconds'])} / "
                 f"{f(r['milvus_build']['seconds'])} | {f(r['milvus_reindex']['seconds'], 2)} "
                 f"| {pp(ll['warm_hybrid_search'])}; {pp(ml['warm_hybrid_search'])} "
                 f"| {f(ll['warm_hybrid']['p50'])} / {f(ml['warm_hybrid']['p50'])} | {pp(ml['warm_dense_search'])} "
                 f"| {pp(ml['warm_keyword'])} | {f(fh['local_region']['p50'])} / {f(fh['milvus_region']['p50'])}; "
                 f"{f(fh['local_years']['p50'])} / {f(fh['milvus_years']['p50'])} "
                 f"| {f(v['dense_window_recall_at_10'], 3)} | {f(v['overlap_at_10_hybrid'], 3)} / "
                 f"{f(v['overlap_at_10_dense'], 3)} / {f(v['overlap_at_10_keyword'], 3)} |")
    j = res.get("judged")
    if j:
        L += ["", "Judged query sets (R@10 / MRR@10), real embeddings, through each store:", "",
              "| store / mode | sample corpus | work reports (gwr) |", "|---|---|---|"]
        keys = list(dict.fromkeys(k for c in j.values() for k in c))
        for k in keys:
            cells = [f"{j[c][k]['recall']:.3f} / {j[c][k]['mrr']:.3f}" if k in j[c] else "–" for c in ("seeds", "gwr")]
            L.append(f"| {k} | {' | '.join(cells)} |")
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "milvus")
    ap.add_argument("--no-judged", action="store_true")
    ap.add_argument("--queries", type=int, default=40, help="queries timed per size (bench/run.py's set)")
    args = ap.parse_args(argv)
    import os

    import milvus_lite
    import pymilvus

    from bench.gen_corpus import load_seed_material

    t0 = time.perf_counter()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine_line(), "load": f"{os.getloadavg()[0]:.1f}",
                 "command": "bench/milvus_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                 "versions": {"pymilvus": pymilvus.__version__, "milvus_lite": milvus_lite.__version__}, "sizes": {}}
    earlier = work / "milvus-results.json"
    if earlier.is_file():  # a run of other sizes (or without the judged sets) keeps what it does not redo
        before = json.loads(earlier.read_text(encoding="utf-8"))
        res["sizes"] = before.get("sizes", {})
        if "judged" in before:
            res["judged"] = before["judged"]
        res["earlier"] = {k: before.get(k) for k in ("machine", "load", "command", "wall_s")}

    def save():
        res["wall_s"] = time.perf_counter() - t0
        (work / "milvus-results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        (work / "milvus-results.md").write_text(render(res), encoding="utf-8")

    mat = load_seed_material()
    seed_file = work / "seed_vectors.npy"
    if seed_file.is_file():
        item_vecs = np.load(seed_file)
    else:
        item_vecs, _ = seed_vectors(mat, seed_file)
    qs = queries(mat)[:args.queries]
    res["queries"] = len(qs)
    if not args.no_judged:
        res["judged"] = judged(work)
        save()
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        res["sizes"][str(n)] = bench_size(n, work, mat, item_vecs, qs)
        save()
    save()
    print(render(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
