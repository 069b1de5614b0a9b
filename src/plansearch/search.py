"""Search an index: dense (best sentence window per item), keyword (BM25), and their fusions.

Why sentence windows: an item's single vector is diluted when the item is long or compound; scoring
an item by its best window finds 留守儿童 inside a paragraph about five other things (issue #6
measured R@10 .41 -> .72 on long work-report paragraphs). The best window is also what the user is
shown highlighted.

Fusion modes (all exposed with --mode; DEFAULT_MODE is the one chosen by `bench/eval_search.py`
on both judged query sets, see README):
- dense:      item score = cosine of its best window
- keyword:    BM25 over character bigrams of the item
- rrf:        reciprocal rank fusion of the two rankings, 1/(60+rank) each
- weighted:   DENSE_WEIGHT x dense + (1 - DENSE_WEIGHT) x keyword, each scaled to [0, 1] by the
              whole-corpus candidates of the query (dense min-max, keyword max; see Scale)
- tiebreak:   dense, with keyword only breaking near-ties (adds TIEBREAK x scaled keyword)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .keyword import select_top_k
from .metadata import year_range
from .models import Document, Hit, PlansearchError
from .normalise import normalise
from .store import StoredIndex

MODES = ("hybrid", "dense", "keyword", "rrf", "weighted", "tiebreak")
DEFAULT_FUSION = "weighted"  # what "hybrid" means; chosen by measurement (bench/eval_search.py)
RRF_K = 60
DENSE_WEIGHT = 0.6  # bench/tune_fusion.py: best balance over both judged sets (0.5-0.8 all beat dense and keyword)
TIEBREAK = 0.05
CANDIDATES = 100  # items each side contributes to a fusion


@dataclass
class Filters:
    """Which documents a search may return. Strings match as substrings of the normalised field."""

    years: tuple[int, int] | None = None  # inclusive range; a single year is (y, y)
    region: str | None = None
    issuer: str | None = None
    kind: str | None = None
    doc: str | None = None  # a document id, or a file stem for all plans of a compiled page
    doc_ids: tuple[str, ...] | None = None  # exactly these documents (search_by's groups)

    def active(self) -> bool:
        return any(v is not None for v in (self.years, self.region, self.issuer, self.kind, self.doc,
                                           self.doc_ids))

    def describe(self) -> str:
        parts = []
        if self.years is not None:
            lo, hi = self.years
            parts.append(f"year {lo}" if lo == hi else f"years {lo}-{hi}")
        parts += [f"{name} {v}" for name, v in (("region", self.region), ("issuer", self.issuer),
                                                ("kind", self.kind), ("doc", self.doc)) if v is not None]
        return ", ".join(parts)

    def accepts(self, d: Document) -> bool:
        if self.years is not None:
            span = year_range(d)
            # A masked year (201X) only matches a range that contains all of its possible years.
            if span is None or not (self.years[0] <= span[0] and span[1] <= self.years[1]):
                return False
        if self.region is not None and normalise(self.region) not in normalise(d.region or ""):
            return False
        if self.issuer is not None and normalise(self.issuer) not in normalise(d.issuer or ""):
            return False
        if self.kind is not None and not (d.kind == self.kind or (d.kind == "mixed" and self.kind in
                                                                  ("plan", "summary"))):
            return False
        if self.doc is not None and not (d.doc_id == self.doc or d.doc_id.startswith(self.doc + "#")):
            return False
        if self.doc_ids is not None and d.doc_id not in self.doc_ids:
            return False
        return True


def parse_years(text: str) -> tuple[int, int]:
    """"2021" -> (2021, 2021); "2019-2022" -> (2019, 2022)."""
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(text)
    except ValueError:
        raise PlansearchError(f"years must look like 2021 or 2019-2022, not {text!r}") from None
    if lo > hi:
        raise PlansearchError(f"empty year range {text!r}")
    return lo, hi


@dataclass
class HitGroup:
    """The best hits of one year / region / document, for `search --by`."""

    key: str
    hits: list[Hit] = field(default_factory=list)
    note: str = ""  # e.g. "no document for this year"


class Searcher:
    """An index opened once for many queries (the CLI opens one per command)."""

    modes = MODES

    def __init__(self, index_dir: str | os.PathLike = "index", model: str | None = None):
        self.index = StoredIndex(index_dir)
        self._model_name = model
        self._embedder = None
        self._query_vectors: dict[str, np.ndarray] = {}
        self._bounds: dict[tuple[str, int], tuple[float, float]] = {}
        if model is not None:
            self._check_model(self.embedder)

    @property
    def embedder(self):
        if self._embedder is None:
            from .embed import get_embedder

            emb = get_embedder(self._model_name if self._model_name is not None else _model_arg(self.index.meta.model))
            self._check_model(emb)
            self._embedder = emb
        return self._embedder

    def _check_model(self, emb) -> None:
        meta = self.index.meta
        if emb.name != meta.model or emb.dim != meta.dim:
            raise PlansearchError(
                f"index in {self.index.index_dir}/ was built with model {meta.model} (dim {meta.dim}); "
                f"cannot search it with {emb.name} (dim {emb.dim}): rebuild with "
                f"`plansearch index --model {emb.name}` or drop --model")

    # --- the two rankings --------------------------------------------------------------------
    def _allowed_items(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or not filters.active():
            return None
        ok_docs = np.array([filters.accepts(d) for d in self.index.documents], dtype=bool)
        return ok_docs[self.index.item_doc]

    def query_vector(self, query_norm: str) -> np.ndarray:
        # --by runs one filtered search per group: embed the query once, not once per group.
        if query_norm not in self._query_vectors:
            if len(self._query_vectors) > 256:
                self._query_vectors.clear()
            self._query_vectors[query_norm] = self.embedder.embed_queries([query_norm])[0]
        return self._query_vectors[query_norm]

    def _dense_bounds(self, query_norm: str, qv: np.ndarray, n: int, d_vals: np.ndarray,
                      unfiltered: bool) -> tuple[float, float]:
        """(n-th best, best) unfiltered dense score of the query; kept per query, since --by runs
        one filtered search per group and each needs the same whole-corpus bounds."""
        key = (query_norm, n)
        if key not in self._bounds:
            ref = d_vals if unfiltered else self.dense_scores(qv, None, n)[1]
            if len(self._bounds) > 256:
                self._bounds.clear()
            self._bounds[key] = (float(ref[-1]), float(ref[0])) if len(ref) else (0.0, 1.0)
        return self._bounds[key]

    def dense_scores(self, qv: np.ndarray, allowed: np.ndarray | None, n: int
                     ) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
        """(item rows, best-window cosine, item row -> best window) for the n best items."""
        from .vectors import exact_search

        n_windows = len(self.index.window_item)
        # Ask for more windows than items wanted: several windows of one item may rank together.
        want = min(n_windows, max(n * 4, 40))
        if allowed is None:
            scores, wins = self.index.vector_index.search(qv[None, :], want)
            scores, wins = scores[0], wins[0]
            keep = wins >= 0
            scores, wins = scores[keep], wins[keep]
        else:
            subset = np.flatnonzero(allowed[self.index.window_item])
            scores, wins = exact_search(self.index.vectors, qv, want, subset)
        best: dict[int, tuple[float, int]] = {}
        for s, w in zip(scores.tolist(), wins.tolist()):
            row = int(self.index.window_item[w])
            if row not in best or s > best[row][0]:
                best[row] = (s, w)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:n]
        rows = np.array([r for r, _ in ranked], dtype=np.int64)
        vals = np.array([v[0] for _, v in ranked], dtype=np.float32)
        return rows, vals, {r: v[1] for r, v in ranked}

    # --- search --------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None,
               **filter_kwargs) -> list[Hit]:
        if filter_kwargs:
            filters = Filters(**filter_kwargs)
        query_norm = normalise(query or "")
        if not query_norm.strip():
            raise PlansearchError("empty query: say what to look for, e.g. plansearch search \"留守儿童关爱\"")
        if mode not in MODES:
            raise PlansearchError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        if k < 1:
            raise PlansearchError("-k must be at least 1")
        fusion = DEFAULT_FUSION if mode == "hybrid" else mode
        allowed = self._allowed_items(filters)
        if allowed is not None and not allowed.any():
            return []
        n = max(k, CANDIDATES) if fusion not in ("dense", "keyword") else k
        d_rows = d_vals = kw_rows = kw_vals = None
        best_window: dict[int, int] = {}
        qv = None
        scale = Scale()
        if fusion != "keyword":
            qv = self.query_vector(query_norm)
        # Keyword first, dense second: right after a query is embedded the model's worker thread
        # still holds the second core for a moment, which the single-threaded keyword side does
        # not need and the two-shard vector scan does.
        if fusion != "dense":
            all_kw = self.index.bm25.scores(query_norm)
            kw_rows, kw_vals = select_top_k(all_kw, n, allowed)
            scale.keyword_max = float(all_kw.max()) if len(all_kw) else 0.0
        if fusion != "keyword":
            d_rows, d_vals, best_window = self.dense_scores(qv, allowed, n)
            # Scale by the unfiltered candidates, so a filtered (or per-year) search scores on the
            # same scale as the whole-corpus one and a weak best match stays weak.
            scale.dense_lo, scale.dense_hi = self._dense_bounds(query_norm, qv, n, d_vals, allowed is None)
        rows, fused = fuse(fusion, d_rows, d_vals, kw_rows, kw_vals, scale)
        rows, fused = rows[:k], fused[:k]
        dense_of = dict(zip(d_rows.tolist(), d_vals.tolist())) if d_rows is not None else {}
        kw_of = dict(zip(kw_rows.tolist(), kw_vals.tolist())) if kw_rows is not None else {}
        items = self.index.items(rows)
        hits = []
        for rank, (row, score, item) in enumerate(zip(rows.tolist(), fused.tolist(), items), 1):
            span = self._match_span(row, best_window.get(row), query_norm, item.text, qv)
            hits.append(Hit(rank=rank, score=float(score), item=item, doc=self.index.document_of_item(row),
                            dense_score=dense_of.get(row), keyword_score=kw_of.get(row), match_span=span))
        return hits

    def _match_span(self, row: int, window: int | None, query_norm: str, text: str,
                    qv: np.ndarray | None) -> tuple[int, int] | None:
        """The best-matching sentence window of the item: the dense one when the item came from the
        dense side; else, with a query vector at hand, the item's window nearest to it (a few dot
        products); in keyword mode, which embeds nothing, the window sharing most query bigrams."""
        if window is not None:
            a, b = self.index.window_span[window]
            return int(a), int(b)
        # windows are stored in item order: the item's windows are one run (a scan of every
        # window's owner cost ~2 ms a hit at 2.7e6 windows). The keys take the owners' dtype: int
        # keys against the int32 owners made numpy cast all of them, 0.7 ms a hit at 2.7e6.
        owners = self.index.window_item
        lo, hi = (int(x) for x in np.searchsorted(owners, np.array([row, row + 1], owners.dtype)))
        if hi - lo <= 1:
            return None
        if qv is not None:
            w = lo + int(np.argmax(np.asarray(self.index.vectors[lo:hi]) @ qv))
        else:
            from .keyword import tokenize

            terms = set(tokenize(query_norm))
            overlap = [len(terms & set(tokenize(normalise(text[a:b])))) for a, b in self.index.window_span[lo:hi]]
            if not max(overlap):
                return None
            w = lo + int(np.argmax(overlap))
        a, b = self.index.window_span[w]
        return int(a), int(b)

    def search_by(self, query: str, by: str, per_group: int = 3, mode: str = "hybrid",
                  filters: Filters | None = None) -> list[HitGroup]:
        """The best hits per year / region / document: one search per group, restricted to the
        group's documents, so every group gets its own best matches (not what is left of a global
        top-k). Years run in order with the gaps shown; documents of unknown or masked year and of
        unknown region come last, grouped by their mask."""
        if by not in ("year", "region", "doc"):
            raise PlansearchError(f"--by takes year, region or doc, not {by!r}")
        base = filters or Filters()
        members: dict[str, list[str]] = {}
        for d in self.index.documents:
            if base.accepts(d):
                members.setdefault(_group_key(d, by), []).append(d.doc_id)
        known = sorted(int(key) for key in members if by == "year" and key.isdigit())
        keys = [str(y) for y in range(known[0], known[-1] + 1)] if known else []
        keys += sorted(key for key in members if key not in keys)
        groups: list[HitGroup] = []
        for key in keys:
            if key not in members:
                gap = groups[-1] if groups and not groups[-1].hits and groups[-1].note else None
                if gap is not None:  # a run of missing years is one row: 2011–2020
                    gap.key = f"{gap.key.split('–')[0]}–{key}"
                    gap.note = "no document for these years"
                else:
                    groups.append(HitGroup(key, [], "no document for this year"))
                continue
            hits = self.search(query, per_group, mode, _replace(base, doc_ids=tuple(members[key])))
            label = key if key.isdigit() or by == "doc" else (
                f"{key} (year unknown)" if by == "year" else key if key != "?" else "region unknown")
            groups.append(HitGroup(label, hits))
        return groups


def _group_key(d: Document, by: str) -> str:
    if by == "doc":
        return d.doc_id
    if by == "region":
        return d.region or "?"
    # The year a document speaks for: its own year, else the plan year of a review+plan document.
    year = d.year or d.plan_year or d.review_year
    return str(year) if year else (d.year_mask or "?")


def _replace(f: Filters, **kw) -> Filters:
    from dataclasses import replace

    return replace(f, **kw)


def _model_arg(recorded: str) -> str | None:
    from .embed import DEFAULT_MODEL

    return None if recorded == DEFAULT_MODEL else recorded


@dataclass
class Scale:
    """Bounds that put dense and keyword scores on [0, 1] for one query (whole-corpus candidates)."""

    dense_lo: float = 0.0
    dense_hi: float = 1.0
    keyword_max: float = 0.0

    def dense(self, v: np.ndarray) -> np.ndarray:
        span = self.dense_hi - self.dense_lo
        return np.clip((v - self.dense_lo) / span, 0, 1) if span > 0 else np.ones_like(v)

    def keyword(self, v: np.ndarray) -> np.ndarray:
        return v / self.keyword_max if self.keyword_max > 0 else v


def fuse(method: str, d_rows, d_vals, kw_rows, kw_vals, scale: Scale | None = None
         ) -> tuple[np.ndarray, np.ndarray]:
    """Combine the dense and keyword candidate lists into one ranking (rows, scores), best first."""
    scale = scale or Scale(float(d_vals[-1]) if d_vals is not None and len(d_vals) else 0.0,
                           float(d_vals[0]) if d_vals is not None and len(d_vals) else 1.0,
                           float(kw_vals[0]) if kw_vals is not None and len(kw_vals) else 0.0)
    if method == "dense":
        return d_rows, d_vals
    if method == "keyword":
        return kw_rows, kw_vals
    scores: dict[int, float] = {}
    if method == "rrf":
        for rows in (d_rows, kw_rows):
            for rank, r in enumerate(rows.tolist()):
                scores[r] = scores.get(r, 0.0) + 1.0 / (RRF_K + rank + 1)
    elif method in ("weighted", "tiebreak"):
        dense, kw = scale.dense(d_vals), scale.keyword(kw_vals)
        w_dense, w_kw = (DENSE_WEIGHT, 1 - DENSE_WEIGHT) if method == "weighted" else (1.0, TIEBREAK)
        for r, v in zip(d_rows.tolist(), dense.tolist()):
            scores[r] = w_dense * v
        for r, v in zip(kw_rows.tolist(), kw.tolist()):
            scores[r] = scores.get(r, 0.0) + w_kw * v
    else:
        raise PlansearchError(f"unknown fusion {method!r}")
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return (np.array([r for r, _ in ranked], dtype=np.int64),
            np.array([s for _, s in ranked], dtype=np.float32))


def search(query: str, index_dir: str | os.PathLike = "index", k: int = 10, mode: str = "hybrid",
           model: str | None = None, **filters) -> list[Hit]:
    """One query against an index (opens it each call; use `Searcher` for many queries)."""
    return Searcher(index_dir, model).search(query, k, mode, Filters(**filters))
