"""How long a 10-topic trend takes over a 10^5-item index, warm.

    .venv/bin/python bench/trend_speed.py                  # 10^5 items under bench/out/trend-speed
    .venv/bin/python bench/trend_speed.py --items 10000    # a smaller one
    .venv/bin/python bench/trend_speed.py --index DIR      # an index that exists already

The index is made as bench/run.py makes its scale indexes: a synthetic corpus from the seed items
(bench/gen_corpus.py), its embedding cache prefilled with "cached-real + noise" vectors (the real
vector of each window's seed item plus noise), then a real `build_index` that embeds nothing. Then
one Searcher is opened and kept (as the web app keeps its own), and `trend()` is timed:
- first: the first trend of the process (the headings are read and tokenised once);
- warm, repeated: the same ten topics again (the counting alone);
- warm, new topics: ten topics never asked before whose words the corpus holds (decided on words:
  no embedding, no pass over the vectors);
- warm, paraphrases: ten never-asked paraphrases whose words no item holds (decided by meaning: the
  queries embedded in one batch, every item's best window in one pass over the vectors).
Each warm figure is the median of --repeats runs. The load average is printed: on a shared
machine the model's share varies most.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TOPICS = ["留守儿童", "控辍保学", "双减", "课后服务", "校园安全", "师德师风", "学前教育", "教师培训",
          "营养改善计划", "教育信息化"]
PARAPHRASES = ["新老师招不进来", "孩子作业太多", "父母不在身边的孩子", "学校食堂吃得放心", "城里老师去农村学校教书",
               "老师的奖金怎么分", "孩子心理出问题", "一个班学生太多", "职校学生去工厂实习", "孩子中途不上学了"]


def make_index(n: int, work: Path) -> Path:
    from bench.gen_corpus import generate, load_seed_material
    from bench.run import prefill_cache, seed_vectors
    from plansearch.corpus import load_corpus
    from plansearch.store import build_index, live_generation

    cdir, index_dir = work / f"synth-{n}", work / f"index-{n}"
    if live_generation(index_dir) is not None:
        return index_dir
    mat = load_seed_material()
    if not (cdir / "summary.json").is_file():
        print(f"generating {n} items …", file=sys.stderr, flush=True)
        generate(n, cdir, seed=n % 9973, mat=mat, remove_chance_reuse=False)
    vec_file = work / "seed_vectors.npy"
    if vec_file.is_file():
        import numpy as np

        item_vecs = np.load(vec_file)
    else:
        print("embedding the seed items …", file=sys.stderr, flush=True)
        item_vecs, _ = seed_vectors(mat, vec_file)
    docs = load_corpus(cdir / "docs")
    prov = json.loads((cdir / "provenance.json").read_text())
    for d in docs:  # a generated line the outline reads as one more item (二、… inside an item's
        src = prov[d.doc_id]  # text): give it its neighbour's seed, so nothing is embedded for real
        src += [src[-1]] * (len(d.items) - len(src))
    print("prefilling the embedding cache …", file=sys.stderr, flush=True)
    prefill_cache(docs, prov, item_vecs, index_dir)
    print("building the index …", file=sys.stderr, flush=True)
    build_index(cdir / "docs", index_dir)
    return index_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--index", type=Path, help="time this index instead of making one")
    ap.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "trend-speed")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    index_dir = args.index or make_index(args.items, args.work)

    from plansearch.search import Searcher
    from plansearch.trend import trend

    s = Searcher(index_dir)
    ix = s.index
    t0 = time.perf_counter()
    first = trend(TOPICS, s)
    first_s = time.perf_counter() - t0

    def timed(make_queries) -> tuple[list[float], object]:
        times, table = [], None
        for r in range(args.repeats):
            qs = make_queries(r)
            t0 = time.perf_counter()
            table = trend(qs, s)
            times.append(time.perf_counter() - t0)
        return times, table

    rep_s, _ = timed(lambda r: TOPICS)
    new_s, new_t = timed(lambda r: [f"{t}{'工作' * (r + 1)}" for t in TOPICS])  # new: never asked
    par_s, par_t = timed(lambda r: [f"{p}{'呀' * (r + 1)}" for p in PARAPHRASES])
    t0 = time.perf_counter()
    s.query_vectors([f"{p}再问" for p in PARAPHRASES])
    embed_s = time.perf_counter() - t0

    def line(label: str, xs: list[float]) -> str:
        return f"{label}: {statistics.median(xs):.3f} s median of {len(xs)} ({', '.join(f'{x:.3f}' for x in xs)})"

    print(f"index {index_dir}: {len(ix.documents):,} documents, {len(ix.item_doc):,} items, "
          f"{len(ix.window_item):,} windows, {len(first.groups)} year rows; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"first trend of the process: {first_s:.2f} s")
    print(line("warm, the same 10 topics again", rep_s))
    print(line("warm, 10 new topics (decided by words: " +
               f"{sum(q.basis == 'words' for q in new_t.queries)} of 10)", new_s))
    print(line("warm, 10 new paraphrases (decided by meaning: " +
               f"{sum(q.basis == 'meaning' for q in par_t.queries)} of 10; embedded in one batch)", par_s))
    print(f"embedding 10 new queries alone (one batch): {embed_s:.3f} s")
    print("matches per topic: " + ", ".join(f"{q.text} {q.matches:,}" for q in first.queries))
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
