"""The keyword side of search: BM25 over character bigrams (and optionally jieba words).

Tokenisation, scoring and selection are separate steps (as in bm25s):
- `tokenize(norm)` turns normalised text into tokens. Character bigrams inside runs of CJK letters
  and digits need no dictionary, so policy coinages (控辍保学, 双减, 五项管理) match as well as words
  do; jieba's search mode adds whole words when asked ("bigram+jieba").
- `BM25Index.build` sorts every (token, item, term frequency) posting into compact, delta-coded
  arrays; a query decodes and weighs a few posting lists (the common ones stay decoded).
- `BM25Index.top_k` selects the best items with argpartition, optionally within a mask.
The arrays are saved as .npy files beside a vocabulary, so loading a large index is a memory map.
"""
from __future__ import annotations

import contextlib
import json
import re
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

# A "run" is what a token may not cross: punctuation and spaces end it.
_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff§]+")
SCHEMES = ("bigram", "bigram+jieba", "jieba")


def bigrams(norm: str) -> list[str]:
    out: list[str] = []
    for run in _RUN.findall(norm):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def _jieba_words(norm: str) -> list[str]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.cut_for_search(norm) if _RUN.fullmatch(w)]


def tokenize(norm: str, scheme: str = "bigram") -> list[str]:
    """Tokens of already-normalised text (see normalise.normalise)."""
    if scheme == "bigram":
        return bigrams(norm)
    if scheme == "jieba":
        return _jieba_words(norm)
    if scheme == "bigram+jieba":
        # jieba words that are not themselves bigrams add the whole-word signal.
        return bigrams(norm) + ["w:" + w for w in _jieba_words(norm) if len(w) != 2]
    raise ValueError(f"unknown tokenizer scheme {scheme!r} (one of {', '.join(SCHEMES)})")


class BM25Index:
    """BM25 (Lucene idf) over a fixed list of texts, its postings stored compactly.

    A token's postings are the rows holding it, ascending: the first row, then the gaps between
    rows in the narrowest of uint8 / uint16 / uint32 that holds its largest gap (a common bigram's
    gaps are small), and each row's term frequency in a uint8. A posting is ~2.5 bytes instead of
    the 8 of a row id and a float32 weight; the weight is computed when a query reads the list,
    from the token's idf, the term frequency and the text's length, in the same float32 steps as
    an eager build would (scores agree with bm25s, tests/comparison). Token ids are positions in
    the sorted token array, so the vocabulary on disk is one memory-mapped array."""

    def __init__(self, tokens, ptr: np.ndarray, first: np.ndarray, width: np.ndarray, start: np.ndarray,
                 gaps: dict[int, np.ndarray], tf: np.ndarray, lengths: np.ndarray, n_docs: int,
                 avgdl: float, scheme: str, k1: float = 1.2, b: float = 0.75):
        self.vocab = SortedVocab(tokens)
        self.ptr, self.first, self.width, self.start = ptr, first, width, start
        self.gaps, self.tf, self.lengths = gaps, tf, lengths
        self.n_docs, self.avgdl, self.scheme, self.k1, self.b = n_docs, avgdl, scheme, k1, b
        self._decoded: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # token -> (rows, weights)
        self._decoded_size = 0

    @classmethod
    def build(cls, norms: Sequence[str], scheme: str = "bigram", k1: float = 1.2, b: float = 0.75
              ) -> "BM25Index":
        """The index of `norms`, in memory (KeywordBuilder in a temporary folder)."""
        with tempfile.TemporaryDirectory(prefix="plansearch-bm25-") as tmp:
            builder = KeywordBuilder(Path(tmp), scheme, k1, b)
            builder.add(norms)
            return builder.finish(in_memory=True)

    @classmethod
    def from_postings(cls, tokens: np.ndarray, tok: np.ndarray, doc: np.ndarray, tf: np.ndarray,
                      lengths: np.ndarray, scheme: str, k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        """The index of postings (token id, row, term frequency) sorted by token, then row; every
        token of `tokens` has at least one."""
        ptr, first, width, start, gaps, tf8 = _encode(tok, doc, tf, len(tokens))
        return cls._assemble(tokens, ptr, first, width, start, gaps, tf8, lengths, scheme, k1, b)

    @classmethod
    def _assemble(cls, tokens, ptr, first, width, start, gaps, tf8, lengths, scheme, k1, b) -> "BM25Index":
        lengths = np.asarray(lengths, np.uint32)
        avgdl = float(lengths.astype(np.float32).mean()) if len(lengths) and lengths.sum() else 1.0
        offsets = np.uint32 if int(ptr[-1]) < 1 << 32 else np.int64  # 4 bytes a token up to 4·10^9 postings
        return cls(tokens, np.asarray(ptr).astype(offsets), first, width, np.asarray(start).astype(offsets), gaps,
                   tf8, lengths, len(lengths), avgdl, scheme, k1, b)

    # --- reading one token's postings ------------------------------------------------------------
    def df(self, t: int) -> int:
        """How many texts hold token id `t`."""
        return int(self.ptr[t + 1] - self.ptr[t])

    def postings(self, t: int) -> np.ndarray:
        """The rows holding token id `t`, ascending."""
        n = self.df(t)
        out = np.empty(n, np.int64)
        if n:
            out[0] = int(self.first[t])
            s = int(self.start[t])
            np.cumsum(self.gaps[int(self.width[t])][s:s + n - 1], dtype=np.int64, out=out[1:])
            out[1:] += out[0]
        return out

    def weighted(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25 weights) of token id `t`; the last few thousand tokens' are kept decoded."""
        hit = self._decoded.get(t)
        if hit is not None:
            return hit
        rows = self.postings(t)
        a = int(self.ptr[t])
        tf = np.asarray(self.tf[a:a + len(rows)], np.float32)
        df = np.float32(len(rows))
        idf = np.float32(np.log1p((self.n_docs - df + 0.5) / (df + 0.5)))
        norm_len = self.k1 * (1 - self.b + self.b * np.asarray(self.lengths[rows], np.float32) / self.avgdl)
        weight = (idf * tf * (self.k1 + 1) / (tf + norm_len)).astype(np.float32)
        if self._decoded_size + len(rows) > 20_000_000:  # ~240 MB of decoded lists at most
            self._decoded.clear()
            self._decoded_size = 0
        self._decoded[t] = (rows, weight)
        self._decoded_size += len(rows)
        return rows, weight

    def scores(self, query_norm: str) -> np.ndarray:
        """BM25 score of every text for the query (a query token counts once)."""
        out = np.zeros(self.n_docs, np.float32)
        for tok in dict.fromkeys(tokenize(query_norm, self.scheme)):
            t = self.vocab.get(tok)
            if t is None:
                continue
            rows, weight = self.weighted(t)
            out[rows] += weight  # a token's postings name each text once
        return out

    def rows_with_all(self, tokens: Sequence[str]) -> np.ndarray:
        """Sorted rows of the texts holding every one of `tokens` (intersected postings); all rows
        for no tokens, none when a token is unknown."""
        ids = []
        for tok in dict.fromkeys(tokens):
            t = self.vocab.get(tok)
            if t is None:
                return np.zeros(0, np.int64)
            ids.append(t)
        if not ids:
            return np.arange(self.n_docs)
        rows: np.ndarray | None = None
        for t in sorted(ids, key=self.df):  # the shortest list first: the others only narrow it
            docs = self.postings(t)
            rows = docs if rows is None else np.intersect1d(rows, docs, assume_unique=True)
            if not len(rows):
                break
        return rows

    def rows_bound(self, tokens: Sequence[str]) -> int:
        """An upper bound on how many texts hold every one of `tokens`: the shortest posting list
        (0 when a token is unknown). Constant time, unlike intersecting the postings, so a query
        can ask it of many words (search's thesaurus rewrite)."""
        bound = self.n_docs
        for tok in dict.fromkeys(tokens):
            t = self.vocab.get(tok)
            if t is None:
                return 0
            bound = min(bound, self.df(t))
        return bound

    def top_k(self, query_norm: str, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the k best texts with a positive score, best first."""
        return select_top_k(self.scores(query_norm), k, mask)

    # --- persistence ----------------------------------------------------------------------------
    _ARRAYS = ("tokens", "ptr", "first", "width", "start", "tf", "lengths")

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in self._ARRAYS:
            value = self.vocab.tokens if name == "tokens" else getattr(self, name)
            np.save(directory / f"bm25_{name}.npy", np.asarray(value))
        for w, g in self.gaps.items():
            np.save(directory / f"bm25_gaps{w}.npy", g)  # a memory map of a builder's stream is copied
        (directory / "bm25_vocab.json").write_text(json.dumps(
            {"scheme": self.scheme, "n_docs": self.n_docs, "avgdl": self.avgdl, "k1": self.k1, "b": self.b}),
            encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "BM25Index":
        meta = json.loads((directory / "bm25_vocab.json").read_text(encoding="utf-8"))
        arr = {name: np.load(directory / f"bm25_{name}.npy", mmap_mode="r", allow_pickle=False)
               for name in cls._ARRAYS}
        gaps = {w: np.load(directory / f"bm25_gaps{w}.npy", mmap_mode="r", allow_pickle=False) for w in (1, 2, 4)}
        n_tok = len(arr["tokens"])
        if any(len(arr[k]) != n_tok for k in ("first", "width", "start")) or len(arr["ptr"]) != n_tok + 1 \
                or len(arr["lengths"]) != int(meta["n_docs"]):
            raise ValueError("the keyword arrays disagree in length")
        return cls(arr["tokens"], arr["ptr"], arr["first"], arr["width"], arr["start"], gaps, arr["tf"],
                   arr["lengths"], int(meta["n_docs"]), float(meta["avgdl"]), meta["scheme"],
                   float(meta["k1"]), float(meta["b"]))


class SortedVocab:
    """Token -> id by binary search in the sorted, memory-mapped token array (the id is the
    position). A query looks up a few tokens; building a dict of the whole vocabulary cost every
    cold search 0.1 s at 10^5 items (462k tokens) and 0.2 s at 10^6."""

    def __init__(self, tokens: np.ndarray):
        self.tokens = tokens

    def get(self, token: str, default: int | None = None) -> int | None:
        i = int(np.searchsorted(self.tokens, token))
        if i < len(self.tokens) and self.tokens[i] == token:
            return i
        return default

    def __len__(self) -> int:
        return len(self.tokens)


def _encode(tok: np.ndarray, doc: np.ndarray, tf: np.ndarray, n_tok: int):
    """Postings sorted by (token, row) -> the compact arrays (see BM25Index): per token its
    offset among all postings, first row, gap width and offset in that width's gap stream; the
    three gap streams; the term frequencies (uint8)."""
    ptr = np.zeros(n_tok + 1, np.int64)
    np.cumsum(np.bincount(tok, minlength=n_tok), out=ptr[1:])
    heads = ptr[:-1]
    first = np.asarray(doc[heads], np.uint32) if n_tok else np.zeros(0, np.uint32)
    gap = np.zeros(len(doc), np.int64)
    gap[1:] = np.diff(np.asarray(doc, np.int64))
    gap[heads] = 0  # a token's first row is kept whole, not as a gap
    biggest = np.maximum.reduceat(gap, heads) if n_tok else np.zeros(0, np.int64)
    width = np.where(biggest < 1 << 8, 1, np.where(biggest < 1 << 16, 2, 4)).astype(np.uint8)
    rest = np.diff(ptr) - 1  # gaps a token stores
    start = np.zeros(n_tok, np.int64)
    gaps = {}
    not_head = np.ones(len(doc), bool)
    not_head[heads] = False
    width_of_posting = np.repeat(width, np.diff(ptr))
    for w, dtype in GAP_TYPES:
        mine = width == w
        counts = np.where(mine, rest, 0)
        start[mine] = (np.cumsum(counts) - counts)[mine]
        gaps[w] = gap[not_head & (width_of_posting == w)].astype(dtype)
    return ptr, first, width, start, gaps, np.minimum(tf, 255).astype(np.uint8)


GAP_TYPES = ((1, np.uint8), (2, np.uint16), (4, np.uint32))
_POSTING = np.dtype([("tok", np.uint32), ("row", np.uint32), ("tf", np.uint16)])


class KeywordBuilder:
    """A BM25Index built out of core, batch by batch: each batch's postings are appended to a
    spill file as they are tokenised; `finish` sorts them by token range (a bucket at a time, so
    memory holds 1/BUCKETS of the postings) into the compact arrays. A build of 10^7 items keeps
    in memory the vocabulary, one length per item and one bucket, not the postings."""

    BUCKETS = 16
    IN_MEMORY = 20_000_000  # postings below which one bucket does

    def __init__(self, directory: Path, scheme: str = "bigram", k1: float = 1.2, b: float = 0.75):
        self.directory, self.scheme, self.k1, self.b = directory, scheme, k1, b
        self.vocab: dict[str, int] = {}
        self._lengths: list[np.ndarray] = []
        self.n_docs = 0
        self.n_postings = 0
        self._spill_path = directory / ".bm25-postings.tmp"
        self._spill = open(self._spill_path, "wb")

    def add(self, norms: Sequence[str]) -> None:
        vocab = self.vocab
        toks_all, rows_all, tfs_all = [], [], []
        lengths = np.zeros(len(norms), np.uint32)
        for d, norm in enumerate(norms):
            toks = tokenize(norm, self.scheme)
            lengths[d] = len(toks)
            if not toks:
                continue
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in toks), np.int64, len(toks))
            uniq, cnt = np.unique(ids, return_counts=True)
            toks_all.append(uniq)
            tfs_all.append(cnt)
            rows_all.append(np.full(len(uniq), self.n_docs + d, np.int64))
        if toks_all:
            rec = np.empty(sum(len(t) for t in toks_all), _POSTING)
            rec["tok"] = np.concatenate(toks_all)
            rec["row"] = np.concatenate(rows_all)
            rec["tf"] = np.minimum(np.concatenate(tfs_all), 65535)
            rec.tofile(self._spill)
            self.n_postings += len(rec)
        self._lengths.append(lengths)
        self.n_docs += len(norms)

    def finish(self, in_memory: bool = False) -> BM25Index:
        """The index: its gap streams and term frequencies memory-mapped from `directory` until
        `save` copies them (or read into memory, the files removed, with `in_memory`)."""
        self._spill.close()
        tokens = np.array(sorted(self.vocab), dtype=str) if self.vocab else np.zeros(0, "U1")
        n_tok = len(tokens)
        renumber = np.empty(n_tok, np.int64)  # first-seen id -> position among the sorted tokens
        renumber[np.fromiter((self.vocab[t] for t in tokens.tolist()), np.int64, n_tok)] = np.arange(n_tok)
        self.vocab = {}  # the largest thing held: free it before the buckets are sorted
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.uint32)
        k = 1 if self.n_postings <= self.IN_MEMORY else self.BUCKETS
        bounds = np.linspace(0, n_tok, k + 1).astype(np.int64)
        buckets = [self.directory / f".bm25-bucket-{i}.tmp" for i in range(k)]
        if k > 1:  # one pass over the spill file deals each posting to its token range's bucket
            outs = [open(p, "wb") for p in buckets]
            # read, not memory-mapped: a mapping's pages stay in the process's resident set while
            # it lives, and the spill is 10 bytes a posting (3 GB at 3·10^6 items)
            with open(self._spill_path, "rb") as spill:
                while len(part := np.fromfile(spill, _POSTING, count=10_000_000)):
                    part["tok"] = renumber[part["tok"]]
                    which = np.searchsorted(bounds, part["tok"], side="right") - 1
                    for i in range(k):
                        part[which == i].tofile(outs[i])
            for f in outs:
                f.close()
        ptrs, firsts, widths, starts = [], [], [], []
        gap_files = {w: open(self.directory / f".bm25-gaps{w}.tmp", "wb") for w, _t in GAP_TYPES}
        posted, gap_len = 0, {w: 0 for w, _t in GAP_TYPES}
        tf_file = open(self.directory / ".bm25-tf.tmp", "wb")
        for i in range(k):
            if k > 1:
                part = np.fromfile(buckets[i], _POSTING)
                buckets[i].unlink()
            else:
                part = np.fromfile(self._spill_path, _POSTING) if self.n_postings else np.zeros(0, _POSTING)
                part["tok"] = renumber[part["tok"]]
            order = np.argsort(part["tok"], kind="stable")  # rows were spilled ascending
            part = part[order]
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            ptr, first, width, start, gaps, tf8 = _encode(part["tok"].astype(np.int64) - lo, part["row"],
                                                          part["tf"], hi - lo)
            ptrs.append(ptr[:-1] + posted)
            posted += len(part)
            firsts.append(first)
            widths.append(width)
            offset = np.zeros(len(width), np.int64)  # this bucket's gaps follow the earlier buckets'
            for w, _t in GAP_TYPES:
                offset[width == w] = gap_len[w]
                gaps[w].tofile(gap_files[w])
                gap_len[w] += len(gaps[w])
            starts.append(start + offset)
            tf8.tofile(tf_file)
            del part, order
        for f in (*gap_files.values(), tf_file):
            f.close()
        self._spill_path.unlink(missing_ok=True)
        ptr = np.concatenate(ptrs + [np.array([posted], np.int64)])
        def stream(name, dtype, n):
            path = self.directory / name
            if not n:
                return np.zeros(0, dtype)
            if not in_memory:
                return np.memmap(path, dtype, "r")
            out = np.fromfile(path, dtype)
            path.unlink()
            return out

        gaps = {w: stream(f".bm25-gaps{w}.tmp", t, gap_len[w]) for w, t in GAP_TYPES}
        tf8 = stream(".bm25-tf.tmp", np.uint8, posted)
        return BM25Index._assemble(tokens, ptr, np.concatenate(firsts) if firsts else np.zeros(0, np.uint32),
                                   np.concatenate(widths) if widths else np.zeros(0, np.uint8),
                                   np.concatenate(starts) if starts else np.zeros(0, np.int64), gaps, tf8,
                                   lengths, self.scheme, self.k1, self.b)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._spill.close()
        for p in self.directory.glob(".bm25-*.tmp"):
            p.unlink(missing_ok=True)


def select_top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest positive scores (within `mask`), best first."""
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    cand = np.flatnonzero(scores > 0)
    if len(cand) > k:
        part = np.argpartition(-scores[cand], k - 1)[:k]
        cand = cand[part]
    order = np.argsort(-scores[cand], kind="stable")
    ids = cand[order]
    return ids, scores[ids]


def matched_terms(query_norm: str, scheme: str = "bigram") -> list[str]:
    """The query's distinct tokens as plain strings (for highlighting them in results)."""
    return [t[2:] if t.startswith("w:") else t for t in dict.fromkeys(tokenize(query_norm, scheme))]

