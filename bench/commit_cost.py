"""What a version costs to commit at 10^5 items (issue 28): the first one (documents into SQLite,
the keyword index, the window arrays) and the next ones a progressive build makes while embedding
(documents and keyword index hard-linked from the previous version, only the window arrays, meta
and files.json written).

    nice python -m bench.commit_cost --items 100000 --out /tmp/commit-cost

The corpus is the sample corpus copied until it has --items items, each copy's lines marked with
its number so that no window repeats another copy's. Vectors come from a hash stand-in (the model
is not what is measured): the cache is filled first, then the build is stopped after --versions
versions, every=0 making one version per batch of 64 windows.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402


class HashEmbedder:
    name, dim = "bench/hash-384", 384

    def embed_passages(self, texts):
        raw = np.array([np.frombuffer(hashlib.shake_128(t.encode()).digest(self.dim), np.uint8) for t in texts],
                       np.float32) - 127.5
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)

    embed_queries = embed_passages


def make_corpus(out: Path, items: int) -> Path:
    from plansearch.corpus import load_corpus

    docs_dir = out / "docs"
    if docs_dir.is_dir():
        return docs_dir
    docs_dir.mkdir(parents=True)
    sample = load_corpus(REPO / "corpus")
    per_copy = sum(len(d.items) for d in sample)
    for c in range((items + per_copy - 1) // per_copy):
        for d in sample:
            # the copy's number in every line: its windows differ from every other copy's
            text = "\n".join(f"{line}（{c}）" if line.strip() else line for line in d.text.splitlines())
            (docs_dir / f"{c:04d}_{d.doc_id.replace('#', '_')}.txt").write_text(text, encoding="utf-8")
    return docs_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--versions", type=int, default=4)
    args = ap.parse_args()
    os.environ["PLANSEARCH_HOME"] = str(args.out / "home")
    import plansearch.store as store
    from plansearch.corpus import load_corpus

    store.get_embedder = lambda model=None: HashEmbedder()
    store.resolve_model = lambda model=None: None
    corpus = make_corpus(args.out, args.items)
    docs = load_corpus(corpus)
    ix = args.out / "index"
    # fill the cache with every window but the last 10 batches: the build then commits the
    # first version with nearly every vector, and one per batch after
    wins = store.windows_of_items([it for d in docs for it in d.items])
    keys = list(dict.fromkeys(store.text_key(t) for t in wins.texts))
    texts = {store.text_key(t): t for t in wins.texts}
    ix.mkdir(parents=True, exist_ok=True)
    cache = store.EmbeddingCache(ix / store.CACHE_FILE)
    held = cache.rows(HashEmbedder.name, keys)
    todo = [k for k in keys if k not in held][:-10 * store.EMBED_BATCH]
    for b in range(0, len(todo), 4096):
        batch = todo[b:b + 4096]
        cache.put_many(HashEmbedder.name, batch, HashEmbedder().embed_passages([texts[k] for k in batch]))
    cache.close()

    from bench.progressive import build

    run = build(corpus, ix, every=0, stop_after=args.versions, documents=docs, force=True)
    gen = store.live_generation(ix)
    sizes = {p.name: p.stat().st_size for p in gen.iterdir()}
    result = {"documents": len(docs), "items": sum(len(d.items) for d in docs), "windows": len(wins.texts),
              "versions": run["versions"], "generation_bytes": sizes}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
