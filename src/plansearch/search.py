"""Search an index: dense (best sentence window per item), keyword (BM25), and their fusions.

Why sentence windows: an item's single vector is diluted when the item is long or compound; scoring
an item by its best window finds 留守儿童 inside a paragraph about five other things. The best
window is also what the user is shown highlighted.

Fusion modes (all exposed with --mode; DEFAULT_FUSION is the one chosen by `bench/eval_search.py`
on the judged query sets, see README):
- dense:      item score = cosine of its best window
- keyword:    BM25 over character bigrams of the item
- rrf:        reciprocal rank fusion of the two rankings, 1/(60+rank) each
- weighted:   DENSE_WEIGHT x dense + (1 - DENSE_WEIGHT) x keyword, each scaled to [0, 1] by the
              whole-corpus candidates of the query (dense min-max, keyword max; see Scale)
- adaptive:   weighted, with the dense weight set per query by how much of the query stands
              verbatim in the corpus (`adaptive_dense_weight`): a policy term that some item holds
              whole leans on the keyword side, a paraphrase whose words no item holds on the dense one
- tiebreak:   dense, with keyword only breaking near-ties (adds TIEBREAK x scaled keyword)

Every mode but keyword first bridges the reader's words to the documents': a noun of the query
that no document holds is replaced by its thesaurus synonym the documents use (茅房 -> 厕所,
托儿所 -> 幼儿园; `synonyms.rewrite_absent_words`). The dense side embeds the rewritten query, the
keyword side reads the synonyms beside the original words, and a notice says what was read as what.
When no item holds all of the query's words, the keyword side also reads the corpus's words nearest
the query's meaning (the term bridge, bridge.py: 小企业借钱难 also reads 融资难), and a hit says which
of them it holds.

A query may hold "quoted phrases" (also “…” and 「…」) and +words that every hit must contain, and
-words no hit may contain; the rest is ranked. Every hit says which of the query's words its text
holds (`Hit.found`, `Hit.coverage`), and the result list says when no item holds them all, so a
reader can tell a match from the nearest thing in meaning.

The Searcher reads the index only through `store.IndexReader`, so any store can serve it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from collections import Counter
from collections.abc import Iterable
from typing import Sequence

import numpy as np

from .embed import DEFAULT_MODEL, get_embedder
from .i18n import N_, TERMS, _, either, list_sep, term
from .keyword import bigrams, tokenize
from .metadata import YEAR_BASES, YearBasis, matches_years, parse_level, year_of
from .models import Document, Hit, Notice, PlansearchError
from .normalise import compact, compact_with_map, normalise, normalise_with_map, union_spans
from .store import IndexReader, Selection, open_index
from .synonyms import QueryRewrite, rewrite_absent_words
from . import bridge

MODES = ("hybrid", "dense", "keyword", "rrf", "weighted", "adaptive", "tiebreak")
DEFAULT_FUSION = "adaptive"  # what "hybrid" means; chosen by measurement (bench/eval_search.py)
RRF_K = 60
DENSE_WEIGHT = 0.6  # the one global weight of "weighted" (the default before "adaptive")
# "adaptive": the dense weight when some item holds every word of the query, when none holds any,
# and the power of the query's coverage between them (bench/tune_fusion.py, on seeds + gwr: a
# broad plateau; a high power means "only a whole match earns the keyword side"). bench/refit_live.py,
# through the live Searcher, preferred 0.25 / 0.75 by .012: kept here, as that lost the heading-only
# items the tuning sets' judge cannot see (test_search: 教师队伍建设's items under its heading)
ADAPTIVE_WEIGHTS = (0.35, 0.85)
ADAPTIVE_POWER = 4
# Headings as evidence (issue #29): a fused candidate gains HEADING_WEIGHT x the share of the
# query's characters its heading path holds and its own text does not (in these plans an item's
# topic often stands only in its heading: under "加强教师队伍建设" the items say 县管校聘).
# Applied to the [0, 1]-scaled fusions ("weighted", "adaptive"). The -word and "quoted"
# constraints still read the item's own text only: a heading is context, not the item's words.
HEADING_WEIGHT = 0.15
TIEBREAK = 0.05
CANDIDATES = 100  # items each side contributes to a fusion
MAX_QUERY_CHARS = 500  # a pasted page is cut here (whole documents: `plansearch check`)
GROUPINGS = ("year", "region", "level", "issuer", "kind", "doc")


@dataclass
class Filters:
    """Which documents a search may return. Strings match as substrings of the normalised field.
    A review→plan document matches a year filter on either of its years (`year_basis` "any"), or
    only on its plan or review year."""

    years: tuple[int, int] | None = None  # inclusive range; a single year is (y, y)
    region: str | None = None
    issuer: str | None = None
    kind: str | None = None
    level: str | None = None  # national / province / city / county / district (metadata.LEVELS)
    doc: str | None = None  # a document id, or a file stem for all plans of a compiled page
    doc_ids: tuple[str, ...] | None = None  # exactly these documents (search_by's groups)
    year_basis: YearBasis = "any"

    def __post_init__(self):
        if self.year_basis not in YEAR_BASES:
            raise PlansearchError(_("year basis must be one of {choices}, not {value!r}").format(choices=either(YEAR_BASES), value=self.year_basis))
        if self.kind is not None and self.kind not in ("plan", "summary", "report", "mixed"):
            raise PlansearchError(_("kind must be plan, summary, report or mixed, not {value!r}").format(value=self.kind))
        if self.level is not None:
            self.level = parse_level(self.level)  # 省 / province alike; an unknown level is one line
        # membership by set: a --by group's thousands of ids are tested against every document
        # (a tuple made `search --by year` quadratic in the documents: 15 of its 26 s at 10^6 items)
        self._doc_id_set = frozenset(self.doc_ids) if self.doc_ids is not None else None

    @classmethod
    def from_strings(cls, years: str | None = None, region: str | None = None, issuer: str | None = None,
                     kind: str | None = None, doc: str | None = None, year_of: str | None = None,
                     level: str | None = None) -> "Filters":
        """Filters from text as a form or a command line gives it: a blank value is no filter;
        `years` is "2021" or "2019-2022"; `year_of` is plan, review, or blank (either year)."""
        def given(v: str | None) -> str | None:
            return v.strip() if v is not None and v.strip() else None

        span = given(years)
        return cls(years=parse_years(span) if span else None, region=given(region), issuer=given(issuer),
                   kind=given(kind), doc=given(doc), year_basis=given(year_of) or "any", level=given(level))

    def active(self) -> bool:
        return any(v is not None for v in (self.years, self.region, self.issuer, self.kind, self.level,
                                           self.doc, self.doc_ids))

    def describe(self, speak: bool = False) -> str:
        """The filters in a line: English for the records ("years 2021-2024, region 华州"), or with
        `speak` in the reader's language for what is shown (2021–2024年，地区 华州)."""
        say = _ if speak else (lambda message: message)
        parts = []
        if self.years is not None:
            lo, hi = self.years
            parts.append(say(N_("year {year}")).format(year=lo) if lo == hi
                         else say(N_("years {first}-{last}")).format(first=lo, last=hi))
            if self.year_basis != "any":
                parts[-1] += say(N_(" (plan year)")) if self.year_basis == "plan" else say(N_(" (review year)"))
        for label, v in ((N_("region {value}"), self.region), (N_("issuer {value}"), self.issuer),
                         (N_("kind {value}"), self.kind), (N_("level {value}"), self.level),
                         (N_("doc {value}"), self.doc)):
            if v is not None:
                parts.append(say(label).format(value=term(v) if speak else v))
        return (list_sep() if speak else ", ").join(parts)

    def why_nothing(self, documents: Sequence[Document]) -> str:
        """For each filter that takes no document on its own, what the documents hold instead
        ("no document of kind summary; kinds here: report"): empty when each takes some."""
        def listed(values) -> str:
            values = sorted({v for v in values if v})
            shown = list_sep().join(term(v) for v in values[:8])
            if len(values) > 8:
                shown = _("{shown} and {n} more").format(shown=shown, n=len(values) - 8)
            return shown or _("none")

        hints = []
        for name, label, values in (
                ("years", N_("years here: {values}"), lambda: [_years_held(documents)]),
                ("region", N_("regions here: {values}"), lambda: [d.region for d in documents]),
                ("issuer", N_("issuers here: {values}"), lambda: [d.issuer for d in documents]),
                ("kind", N_("kinds here: {values}"), lambda: [d.kind for d in documents]),
                ("level", N_("levels here: {values}"), lambda: [d.level for d in documents])):
            alone = Filters(**{name: getattr(self, name)}, year_basis=self.year_basis)
            if getattr(self, name) is not None and not any(alone.accepts(d) for d in documents):
                hints.append(_("no document has {filter}; {held}").format(
                    filter=alone.describe(speak=True), held=_(label).format(values=listed(values()))))
        return _("; ").join(hints)

    def accepts(self, d: Document) -> bool:
        if self.years is not None and not matches_years(d, *self.years, basis=self.year_basis):
            return False
        if self.region is not None and normalise(self.region) not in normalise(d.region or ""):
            return False
        if self.issuer is not None and normalise(self.issuer) not in normalise(d.issuer or ""):
            return False
        if self.kind is not None and not (d.kind == self.kind or (d.kind == "mixed" and self.kind in
                                                                  ("plan", "summary"))):
            return False
        if self.level is not None and d.level != self.level:
            return False
        if self.doc is not None and not (d.doc_id == self.doc or d.doc_id.startswith(self.doc + "#")):
            return False
        if self._doc_id_set is not None and d.doc_id not in self._doc_id_set:
            return False
        return True


def _years_held(documents: Sequence[Document]) -> str:
    """The range of the documents' known years (review and plan years both), e.g. 2013-2025."""
    years = [y for d in documents for y in (d.review_year, d.plan_year, d.year) if y]
    return f"{min(years)}-{max(years)}" if years else ""


def parse_years(text: str) -> tuple[int, int]:
    """"2021" -> (2021, 2021); "2019-2022" -> (2019, 2022)."""
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(text)
    except ValueError:
        raise PlansearchError(_("years must look like 2021 or 2019-2022, not {value!r}").format(value=text)) from None
    if lo > hi:
        raise PlansearchError(_("empty year range {value!r}").format(value=text))
    return lo, hi


# --- queries ----------------------------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|『([^』]+)』')
_SIGNED = re.compile(r"(?:(?<=\s)|^)([+\-＋－])(\S+)")


@dataclass
class Query:
    """A query taken apart. `text` is what is ranked (phrases and +words included, -words not);
    `must` and `must_not` are normalised, compact strings an item's text must / must not hold."""

    raw: str
    text: str
    norm: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    truncated: bool = False


def parse_query(raw: str) -> Query:
    raw = raw or ""
    truncated = len(raw) > MAX_QUERY_CHARS
    text = raw[:MAX_QUERY_CHARS]
    must: list[str] = []
    for m in _QUOTED.finditer(text):
        must.append(next(g for g in m.groups() if g))
    text = _QUOTED.sub(lambda m: " " + next(g for g in m.groups() if g) + " ", text)
    must_not: list[str] = []
    kept = []
    last = 0
    for m in _SIGNED.finditer(text):
        kept.append(text[last:m.start()])
        sign, word = m.group(1), m.group(2)
        if sign in "+＋":
            must.append(word)
            kept.append(word)
        else:
            must_not.append(word)
        last = m.end()
    kept.append(text[last:])
    text = " ".join("".join(kept).split())
    norm = normalise(text)
    if not compact(norm) and not must:
        raise PlansearchError(_("empty query: say what to look for, e.g. plansearch search \"留守儿童关爱\""))
    key = lambda s: compact(normalise(s))  # noqa: E731
    return Query(raw, text, norm, tuple(k for k in map(key, must) if k),
                 tuple(k for k in map(key, must_not) if k), truncated)


def literal_query(text: str) -> str:
    """`text` as a query that ranks by all of it and requires nothing: the quotes and the +/- signs
    that parse_query reads as constraints are dropped (plans quote “两个新城” everywhere; a search
    for an item's neighbours must not demand its quoted phrases). Cut to MAX_QUERY_CHARS."""
    text = re.sub(r'["“”「」『』]', " ", text)
    text = _SIGNED.sub(lambda m: m.group(2), text)
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def found_pieces(query_key: str, text_key: str, min_len: int = 2) -> list[str]:
    """The query's words that stand in the text: from each position, the longest run of the
    query (of at least `min_len` characters) found in the text, greedily left to right.
    "留守儿童关爱" against a text with 留守儿童 and 关爱 apart gives ["留守儿童", "关爱"]. Both
    arguments are compact normalised strings; no dictionary is needed (控辍保学 is a word too)."""
    pieces: list[str] = []
    i = 0
    while i < len(query_key):
        best = 0
        lo, hi = min_len, len(query_key) - i
        while lo <= hi:  # the longest prefix of query_key[i:] in the text, by binary search
            mid = (lo + hi) // 2
            if query_key[i:i + mid] in text_key:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        if best:
            pieces.append(query_key[i:i + best])
            i += best
        else:
            i += 1
    return pieces


def highlight_spans(text: str, words: list[str]) -> tuple[tuple[int, int], ...]:
    """[start, end) spans in `text` (original script) of every occurrence of the normalised,
    compact `words`, found through the normalised text (so 留守儿童 lights up 留守兒童), merged."""
    if not words:
        return ()
    # compact drops spaces and punctuation: each kept character keeps its offset in `text`
    flat, offsets = compact_with_map(*normalise_with_map(text))
    spans = []
    for w in set(words):
        start = flat.find(w)
        while start >= 0:
            spans.append((offsets[start], offsets[start + len(w) - 1] + 1))
            start = flat.find(w, start + 1)
    return tuple(union_spans(spans))


class Hits(list):
    """The hits of one search (a list of Hit, best first), with what a reader needs to judge them:
    the query as parsed, whether any item in the searched documents holds all of its words, and
    notices (the query was cut, no item holds a required phrase, …). `probability` says whether the
    hits' scores are the estimated probability of relevance (the default mode) or a mode's raw
    score (dense: cosine, keyword: BM25, …)."""

    def __init__(self, hits=(), query: Query | None = None, all_words_somewhere: bool = True,
                 notices: list[str] | None = None, probability: bool = False):
        super().__init__(hits)
        self.query = query
        self.all_words_somewhere = all_words_somewhere
        self.notices = notices or []
        self.probability = probability


@dataclass
class HitGroup:
    """The best hits of one year / region / document, for `search --by`."""

    key: str
    hits: list[Hit] = field(default_factory=list)
    note: str = ""  # e.g. "no document for this year"
    levels: dict[str, int] = field(default_factory=dict)  # administrative level -> documents ("?": unknown)
    below: Hit | None = None  # the best hit, when it fell under RELEVANT_MIN (the group shows "no match")
    gap: bool = False  # no document in this group (years between the first and the last)


class Searcher:
    """An index opened once for many queries (the CLI opens one per command)."""

    modes = MODES

    def __init__(self, index: str | os.PathLike | IndexReader = "index", model: str | None = None):
        self.index: IndexReader = index if hasattr(index, "dense_windows") else open_index(index)
        self._model_name = model
        self._embedder = None
        self._query_vectors: dict[str, np.ndarray] = {}
        self._rewrites: dict[str, QueryRewrite] = {}
        self._bridges: dict[str, tuple[str, ...]] = {}
        self._bounds: dict[tuple[str, int], tuple[float, float]] = {}
        if model is not None:
            self._check_model(self.embedder)

    @property
    def embedder(self):
        if self._embedder is None:
            emb = get_embedder(self._model_name if self._model_name is not None
                               else _model_arg(self.index.meta.model, self.index.location))
            self._check_model(emb)
            self._embedder = emb
        return self._embedder

    def _check_model(self, emb) -> None:
        meta = self.index.meta
        if emb.name != meta.model or emb.dim != meta.dim:
            raise PlansearchError(
                f"index in {self.index.location}/ was built with model {meta.model} (dim {meta.dim}); "
                f"cannot search it with {emb.name} (dim {emb.dim}): rebuild with "
                f"`plansearch index --model {emb.name}` or drop --model")

    def close(self) -> None:
        self.index.close()

    @property
    def meaning_coverage(self) -> float:
        """Share of the items whose windows have vectors: 1.0 but while a build still embeds."""
        meta = self.index.meta
        held = getattr(meta, "embedded_items", None)
        return 1.0 if held is None or not meta.items else held / meta.items

    # --- what a query may return ---------------------------------------------------------------
    def doc_rows(self, filters: Filters | None) -> np.ndarray | None:
        """Rows of the documents `filters` accepts (None: every document)."""
        if filters is None or not filters.active():
            return None
        return np.array([i for i, d in enumerate(self.index.documents) if filters.accepts(d)], np.int64)

    def _selection(self, q: Query, filters: Filters | None) -> Selection | None:
        docs = self.doc_rows(filters)
        items = None
        if q.must or q.must_not:
            items = self._rows_satisfying(q, docs)
        if docs is None and items is None:
            return None
        return Selection(doc_rows=docs, item_rows=items, filters=filters if docs is not None else None)

    def _rows_satisfying(self, q: Query, doc_rows: np.ndarray | None) -> np.ndarray:
        """Item rows holding every required phrase and no excluded word (within `doc_rows`):
        candidates from the keyword index's postings, confirmed on the items' text."""
        cand = np.arange(len(self.index.item_doc))
        for phrase in q.must:
            cand = np.intersect1d(cand, self.index.items_with_phrase(phrase), assume_unique=True)
        if doc_rows is not None:
            cand = cand[np.isin(self.index.item_doc[cand], doc_rows)]
        keep = []
        for start in range(0, len(cand), 2000):
            rows = cand[start:start + 2000]
            for row, it in zip(rows.tolist(), self.index.items(rows)):
                key = compact(it.norm or normalise(it.text))
                if all(p in key for p in q.must) and not any(p in key for p in q.must_not):
                    keep.append(row)
        return np.array(keep, np.int64)

    # --- the two rankings --------------------------------------------------------------------
    def rewrite(self, query_norm: str) -> QueryRewrite:
        """The query with the nouns no document uses swapped for the thesaurus synonym they do
        use (synonyms.rewrite_absent_words); kept per query, as query vectors are."""
        if query_norm not in self._rewrites:
            if len(self._rewrites) > 256:
                self._rewrites.clear()
            if all(self.index.phrase_frequency(b) for b in bigrams(query_norm)):
                # every character pair of the query occurs: none of its words is missing from the
                # documents (how phrase_frequency bounds a word), so nothing to rewrite, and the
                # thesaurus need not load (0.16 s of a cold search)
                self._rewrites[query_norm] = QueryRewrite(query_norm)
            else:
                self._rewrites[query_norm] = rewrite_absent_words(query_norm, self.index.phrase_frequency)
        return self._rewrites[query_norm]

    def bridge(self, query_norm: str, qv: np.ndarray) -> tuple[str, ...]:
        """The corpus words the keyword side also reads for this query (bridge.py): the nearest
        to its vector that it does not hold already; kept per query."""
        if query_norm not in self._bridges:
            if len(self._bridges) > 256:
                self._bridges.clear()
            near = self.index.nearest_words(qv, bridge.BRIDGE_WORDS, bridge.BRIDGE_MIN)
            self._bridges[query_norm] = tuple(bridge.bridge_words(near, compact(query_norm)))
        return self._bridges[query_norm]

    def query_vector(self, query_norm: str) -> np.ndarray:
        # --by runs one filtered search per group: embed the query once, not once per group.
        if query_norm not in self._query_vectors:
            if len(self._query_vectors) > 256:
                self._query_vectors.clear()
            self._query_vectors[query_norm] = self.embedder.embed_queries([query_norm])[0]
        return self._query_vectors[query_norm]

    def query_vectors(self, query_norms: list[str]) -> np.ndarray:
        """query_vector of several queries, the ones not yet embedded in one batch (a 10-topic
        trend: one model call instead of ten)."""
        todo = list(dict.fromkeys(q for q in query_norms if q not in self._query_vectors))
        if todo:
            if len(self._query_vectors) + len(todo) > 256:
                self._query_vectors.clear()
            self._query_vectors.update(zip(todo, self.embedder.embed_queries(todo)))
        return np.stack([self._query_vectors[q] for q in query_norms])

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

    def dense_scores(self, qv: np.ndarray, selection: Selection | None, n: int
                     ) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
        """(item rows, best-window cosine, item row -> best window) for the n best items."""
        # Ask for more windows than items wanted: several windows of one item may rank together.
        found = self.index.dense_windows(qv, max(n * 4, 40), selection)
        best: dict[int, tuple[float, int]] = {}
        for s, w, row in zip(found.scores.tolist(), found.windows.tolist(), found.items.tolist()):
            if row not in best or s > best[row][0]:
                best[row] = (s, w)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:n]
        rows = np.array([r for r, _ in ranked], dtype=np.int64)
        vals = np.array([v[0] for _, v in ranked], dtype=np.float32)
        return rows, vals, {r: v[1] for r, v in ranked}

    # --- search --------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None,
               **filter_kwargs) -> Hits:
        if filter_kwargs:
            filters = Filters(**filter_kwargs)
        q = parse_query(query)
        if mode not in MODES:
            raise PlansearchError(_("unknown mode {mode!r}: one of {choices}").format(mode=mode, choices=either(MODES)))
        if k < 1:
            raise PlansearchError(_("k (how many hits) must be at least 1, not {value}").format(value=k))
        notices = [Notice(N_("the query was cut to its first {n} characters (to find where a whole passage or "
                             "document came from, use plansearch check)"), n=MAX_QUERY_CHARS)
                   ] if q.truncated else []
        fusion = DEFAULT_FUSION if mode == "hybrid" else mode
        selection = self._selection(q, filters)
        if selection is not None and selection.empty():
            if q.must or q.must_not:
                scoped = filters is not None and filters.active()
                notices.append(Notice(N_("no item in these documents {constraints}") if scoped
                                      else N_("no item {constraints}"), constraints=_constraint_phrase(q)))
            return Hits([], q, False, notices)
        n = max(k, CANDIDATES) if fusion not in ("dense", "keyword") else k
        d_rows = d_vals = kw_rows = kw_vals = None
        best_window: dict[int, int] = {}
        qv = None
        scale = Scale()
        # Keyword mode reads the query's own words only; every other ranks by the rewritten query
        # (embedded) and by its words and their synonyms (BM25), so 茅房 also finds 厕所.
        rewrite = self.rewrite(q.norm) if fusion != "keyword" else QueryRewrite(q.norm)
        kw_query = rewrite.keyword_query(q.norm)
        if fusion != "keyword":
            qv = self.query_vector(rewrite.text)
        # Keyword first, dense second: right after a query is embedded the model's worker thread
        # still holds the second core for a moment, which the single-threaded keyword side does
        # not need and the two-shard vector scan does.
        kw = self.index.keyword_top(kw_query, max(n, CANDIDATES), selection)
        kw_rows, kw_vals = kw.rows, kw.scores
        scale.keyword_max = kw.best
        if fusion != "keyword":
            d_rows, d_vals, best_window = self.dense_scores(qv, selection, n)
            # Scale by the unfiltered candidates, so a filtered (or per-year) search scores on the
            # same scale as the whole-corpus one and a weak best match stays weak.
            scale.dense_lo, scale.dense_hi = self._dense_bounds(q.norm, qv, n, d_vals, selection is None)
        key = compact(q.norm)
        query_coverage = self._best_coverage(key, kw_rows[:CANDIDATES])
        all_words = query_coverage >= 1.0
        bridged: tuple[str, ...] = ()
        if (qv is not None and fusion in ("weighted", "adaptive") and key and bridge.BRIDGE_WEIGHT
                and not (all_words and bridge.ONLY_UNHELD)):
            # No item holds every word: the reader's words may not be the plans'. The corpus's words
            # nearest the query's meaning (融资难 for 小企业借钱难) are read by BM25 as a second
            # keyword query; a query whose words all stand somewhere is read as typed.
            bridged = self.bridge(rewrite.text, qv)
        if fusion == "dense":
            kw_rows, kw_vals = kw_rows[:0], kw_vals[:0]
        else:
            kw_rows, kw_vals = kw_rows[:n], kw_vals[:n]
        rows, fused = fuse(fusion, d_rows, d_vals, kw_rows, kw_vals, scale,
                           dense_weight=adaptive_dense_weight(query_coverage))
        if bridged:
            rows, fused = self._bridge_evidence(" ".join(bridged), rows, fused, n, selection)
        heading_of: dict[int, tuple[str, ...]] = {}
        if fusion in ("weighted", "adaptive") and key and HEADING_WEIGHT:
            rows, fused, heading_of = self._heading_evidence(key, rows, fused, k)
        rows, fused = rows[:k], fused[:k]
        dense_of = dict(zip(d_rows.tolist(), d_vals.tolist())) if d_rows is not None else {}
        items = self.index.items(rows)
        bm25_of = self.index.keyword_scores_of(kw_query, rows) if len(rows) else np.zeros(0, np.float32)
        self.index.preload([r for r in rows.tolist() if r not in best_window])  # their best windows, next
        hits = []
        for rank, (row, score, item, bm25) in enumerate(zip(rows.tolist(), fused.tolist(), items,
                                                            bm25_of.tolist()), 1):
            span = self._match_span(row, best_window.get(row), q.norm, qv)
            item_key = compact(item.norm or normalise(item.text))
            pieces = found_pieces(key, item_key)
            read_as = tuple((old, new) for old, new in rewrite.swaps if new in item_key)
            held_bridged = tuple((w, q.text) for w in bridged if w in item_key)
            coverage = sum(map(len, pieces)) / len(key) if key else 0.0
            # The raw evidence of every hit, whichever side found it: its best window's cosine and
            # its BM25 score (0.0: it shares no bigram with the query).
            cosine = dense_of.get(row)
            if cosine is None and qv is not None:
                cosine = self._item_cosine(row, qv)
            if fusion == "adaptive":  # the default: the shown score is the estimated P(relevant)
                # words its heading holds count as held: the item's topic stands there; the model
                # reads the score as ranked, bridge and heading gains in it (bench/refit_live.py)
                held = min(1.0, coverage + sum(map(len, heading_of.get(row, ()))) / len(key)) if key else coverage
                score = RELEVANCE.probability(
                    fused=score, cosine=cosine, coverage=held, keyword=scale.keyword_share(bm25),
                    best_cosine=scale.dense_hi, query_coverage=query_coverage)
            hits.append(Hit(rank=rank, score=float(score), item=item, doc=self.index.document_of_item(row),
                            dense_score=cosine, keyword_score=bm25 if fusion != "dense" else None,
                            match_span=span,
                            highlights=highlight_spans(item.text, pieces + [new for _old, new in read_as]
                                                       + [w for w, _q in held_bridged]),
                            found=tuple(pieces), coverage=coverage, read_as=read_as,
                            heading_found=heading_of.get(row, ()), bridged=held_bridged,
                            meaning_coverage=self.meaning_coverage))
        if fusion != "keyword" and self.meaning_coverage < 1.0:
            notices.append(partial_notice(self.meaning_coverage))
        if rewrite.swaps:
            notices.append(Notice(N_("read {swaps} (no document uses {words})"),
                                  swaps=[Notice(N_("“{old}” as “{new}”"), old=old, new=new) for old, new in rewrite.swaps],
                                  words=[Notice(N_("“{word}”"), word=old) for old, _new in rewrite.swaps]))
        if key and not all_words:
            scoped = filters is not None and filters.active()
            notices.append(Notice(N_("no item in these documents holds all of “{query}”: the hits are the nearest "
                                     "in meaning and wording") if scoped
                                  else N_("no item holds all of “{query}”: the hits are the nearest in meaning and wording"),
                                  query=q.text))
        return Hits(hits, q, all_words, notices, probability=fusion == "adaptive")

    def _bridge_evidence(self, words: str, rows: np.ndarray, fused: np.ndarray, n: int,
                         selection: Selection | None) -> tuple[np.ndarray, np.ndarray]:
        """The fused candidates, and the bridged words' n best items, each gaining BRIDGE_WEIGHT x
        its BM25 for the bridged words over their best item's (a second keyword query beside the
        typed one, not inside it: the nearest words are often right and sometimes noise, 难能可贵
        beside 融资难, and must not outweigh the reader's own words). Re-ranked."""
        bw = self.index.keyword_top(words, n, selection)
        if not len(bw.rows) or bw.best <= 0:
            return rows, fused
        score = dict(zip(rows.tolist(), fused.tolist()))
        for r in bw.rows.tolist():
            score.setdefault(r, 0.0)
        cand = np.fromiter(score, np.int64, len(score))
        gain = bridge.BRIDGE_WEIGHT * self.index.keyword_scores_of(words, cand) / bw.best
        total = np.array([score[r] for r in cand.tolist()], np.float32) + gain
        order = np.argsort(-total, kind="stable")
        return cand[order], total[order].astype(np.float32)

    def _heading_evidence(self, key: str, rows: np.ndarray, fused: np.ndarray, k: int
                          ) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[str, ...]]]:
        """The fused candidates re-ranked with their headings as a second field: each gains
        HEADING_WEIGHT x the share of the query (compact `key`) that its heading path holds and its
        own text does not. Returns (rows, scores, {row: the heading's words}); the top `k` are as if
        every candidate were read, but only those the largest gain could lift into them are (each
        one read is an item fetched: at 10^6 items, reading all ~200 was a third of a query)."""
        if not len(rows):
            return rows, fused, {}
        kth = np.sort(fused)[::-1][min(k, len(fused)) - 1]
        may_rise = np.flatnonzero(fused >= kth - HEADING_WEIGHT)
        found: dict[int, tuple[str, ...]] = {}
        bonus = np.zeros(len(rows), np.float32)
        for i, row, item in zip(may_rise.tolist(), rows[may_rise].tolist(), self.index.items(rows[may_rise])):
            if not item.path:
                continue
            item_key = compact(item.norm or normalise(item.text))
            pieces = [p for p in found_pieces(key, compact(normalise("".join(item.path)))) if p not in item_key]
            if pieces:
                found[row] = tuple(pieces)
                bonus[i] = HEADING_WEIGHT * sum(map(len, pieces)) / len(key)
        if not found:
            return rows, fused, {}
        fused = fused + bonus
        order = np.argsort(-fused, kind="stable")
        return rows[order], fused[order], found

    def _best_coverage(self, key: str, rows: np.ndarray) -> float:
        """The largest share of the query's characters that one of the keyword side's best items
        holds as words of two or more characters (1.0: some item holds every word of the query;
        such an item, if any, is among them: it scores highest on the keyword side)."""
        best = 0.0
        if not key or not len(rows):
            return best
        # read in growing batches: an item holding every word is usually the keyword side's
        # first, and then the rest need not be read at all
        start, size = 0, 4
        while start < len(rows):
            for it in self.index.items(rows[start:start + size]):
                best = max(best, sum(map(len, found_pieces(key, compact(it.norm or normalise(it.text))))) / len(key))
                if best >= 1.0:
                    return best
            start, size = start + size, size * 4
        return best

    def _item_cosine(self, row: int, qv: np.ndarray) -> float | None:
        """The cosine of the item's best window (for a hit the dense candidates did not hold);
        None for an item not embedded yet (a version committed while the build embeds)."""
        wins, _spans = self.index.item_windows(row)
        return float(np.max(self.index.window_vectors(wins) @ qv)) if len(wins) else None

    def _match_span(self, row: int, window: int | None, query_norm: str,
                    qv: np.ndarray | None) -> tuple[int, int] | None:
        """The best-matching sentence window of the item: the dense one when the item came from the
        dense side; else, with a query vector at hand, the item's window nearest to it (a few dot
        products); in keyword mode, which embeds nothing, the window sharing most query bigrams."""
        if window is not None:
            a, b = self.index.window_spans(np.array([window]))[0]
            return int(a), int(b)
        wins, spans = self.index.item_windows(row)
        if len(wins) <= 1:
            return None
        if qv is not None:
            w = int(np.argmax(self.index.window_vectors(wins) @ qv))
        else:
            text = self.index.items([row])[0].text
            terms = set(tokenize(query_norm))
            overlap = [len(terms & set(tokenize(normalise(text[a:b])))) for a, b in spans]
            if not max(overlap):
                return None
            w = int(np.argmax(overlap))
        a, b = spans[w]
        return int(a), int(b)

    def search_by(self, query: str, by: str, per_group: int = 3, mode: str = "hybrid",
                  filters: Filters | None = None, year_basis: YearBasis = "plan") -> list[HitGroup]:
        """The best hits per year / region / issuer / kind / document: one search per group,
        restricted to the group's documents, so every group gets its own best matches (not what is
        left of a global top-k). Years run in order with the gaps shown; a review→plan document
        counts under its plan year (`year_basis="review"`: its review year); documents of unknown
        or masked year, and of unknown region, come last, grouped by their mask."""
        if by not in GROUPINGS:
            raise PlansearchError(_("grouping must be one of {choices}, not {value!r}").format(choices=either(GROUPINGS), value=by))
        base = filters or Filters()
        members: dict[str, list[str]] = {}
        docs = {d.doc_id: d for d in self.index.documents}
        for d in self.index.documents:
            if base.accepts(d):
                members.setdefault(group_key(d, by, year_basis), []).append(d.doc_id)
        known = sorted(int(key) for key in members if by == "year" and key.isdigit())
        keys = [str(y) for y in range(known[0], known[-1] + 1)] if known else []
        keys += sorted(key for key in members if key not in keys)
        groups: list[HitGroup] = []
        for key in keys:
            if key not in members:
                gap = groups[-1] if groups and groups[-1].gap else None
                if gap is not None:  # a run of missing years is one row: 2011–2020
                    gap.key = f"{gap.key.split('–')[0]}–{key}"
                    gap.note = N_("no document for these years")
                else:
                    groups.append(HitGroup(key, [], N_("no document for this year"), gap=True))
                continue
            hits = self.search(query, per_group, mode, replace(base, doc_ids=tuple(members[key])))
            levels = level_mix(docs[i] for i in members[key])
            if hits and hits.probability and hits[0].score < RELEVANT_MIN:
                # the group's best is more likely unrelated than not: say so, not show it as an answer
                groups.append(HitGroup(group_label(key, by), Hits([], hits.query, hits.all_words_somewhere, hits.notices,
                                                                   probability=True),
                                       Notice(N_("no match (the best item scores {score:.0%}, under {floor:.0%})"),
                                              score=hits[0].score, floor=RELEVANT_MIN), levels, below=hits[0]))
                continue
            groups.append(HitGroup(group_label(key, by), hits, "" if hits else N_("no matching item"), levels))
        return groups


def partial_notice(coverage: float) -> Notice:
    """The note beside the results of an index still being embedded (floored: 99.6 % is not 100)."""
    return Notice(N_("meaning side: {share:.0%} of items embedded; the rest found by words only"),
                  share=int(coverage * 100) / 100)


def level_mix(documents: Iterable[Document]) -> dict[str, int]:
    """How many of the documents are of each administrative level ("?" for unknown), largest first."""
    counts = Counter(d.level or "?" for d in documents)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


MIXED_LEVELS_CLI = N_("{group} mixes levels ({levels}): --level or --by level keeps them apart")
MIXED_LEVELS_PAGE = N_("{group} mixes levels ({levels}): the level filter, or grouping by level, keeps them apart")


def mixed_levels(groups: Iterable[tuple[str, dict[str, int]]], message: str = MIXED_LEVELS_CLI) -> list[Notice]:
    """A note for each group (label, level_mix) whose documents are of more than one level: a
    national report counted with six provincial ones is not one voice. `message` says how to keep
    them apart where it is read (the CLI's options, the web page's controls)."""
    return [Notice(message, group=label,
                   levels=[Notice(N_("{n} {level}"), n=n, level=Notice(TERMS.get(lv, N_("level unknown"))))
                           for lv, n in mix.items()])
            for label, mix in groups if len(mix) > 1]


def _constraint_phrase(q: Query) -> list[Notice]:
    """The query's quoted and -word constraints (holds “A”, is without “B”), as a Notice param."""
    return [Notice(N_("holds “{phrase}”"), phrase=p) for p in q.must] + \
           [Notice(N_("is without “{phrase}”"), phrase=p) for p in q.must_not]




def group_key(d: Document, by: str, year_basis: YearBasis = "plan") -> str:
    """The group a document falls in for `--by` (and trends): its plan year (or review year),
    mask or "?"; its region, issuer or kind, "?" when unknown; its id."""
    if by == "doc":
        return d.doc_id
    if by == "year":
        year = year_of(d, year_basis)
        return str(year) if year else (d.year_mask or "?")
    value = {"region": d.region, "level": d.level, "issuer": d.issuer, "kind": d.kind}[by]
    return value or "?"


def group_label(key: str, by: str) -> str:
    """A group key as a reader reads it: "201X (year unknown)", "region unknown"."""
    if key.isdigit() or by == "doc":
        return key
    if by == "year":
        return f"{key} (year unknown)" if key != "?" else "year unknown"
    return f"{by} unknown" if key == "?" else key



def _model_arg(recorded: str, location: str) -> str | None:
    """The model an index asks for, as get_embedder takes it. A local directory recorded in an
    index is loaded only when the user names it (--model or $PLANSEARCH_MODEL): an index
    directory from elsewhere must not choose which code-bearing model files are loaded."""
    if recorded == DEFAULT_MODEL:
        return None
    if os.path.isabs(recorded) or os.path.exists(recorded):
        if os.environ.get("PLANSEARCH_MODEL") == recorded:
            return recorded
        raise PlansearchError(_("index in {dir}/ was built with the local model {model}: pass --model {model} (or "
                                "set PLANSEARCH_MODEL) to load it").format(dir=location, model=recorded))
    return recorded


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

    def keyword_share(self, v: float) -> float:
        """One BM25 score over the query's best (0 when nothing matches)."""
        return v / self.keyword_max if self.keyword_max > 0 else 0.0


@dataclass(frozen=True)
class RelevanceModel:
    """The probability that a hit is relevant, from its evidence: a logistic model fitted on the
    judged hits of the tuning sets (bench/tune_fusion.py; seeds + gwr, top 20 of the default
    ranking, with each set's queries that the other corpus cannot answer, so that a query with no
    answer scores low) and checked for reliability on the held-out set (bench/eval_search.py). It reads
    what holds across queries, so 0.8 means about the same thing for any query: the fused score,
    the raw cosine of the item's best window, how much of the query it holds (and whether all of
    it), its BM25 over the query's best, the query's best cosine anywhere, and how much of the
    query any item holds. Ranking stays with the fused score (ordering by this estimate measured
    slightly worse), so an estimate may rise a little down the list."""

    intercept: float
    fused: float
    cosine: float
    coverage: float
    holds_all: float
    keyword: float
    best_cosine: float
    query_coverage: float

    def probability(self, fused: float, cosine: float | None, coverage: float, keyword: float,
                    best_cosine: float, query_coverage: float) -> float:
        z = (self.intercept + self.fused * fused + self.cosine * (cosine if cosine is not None else 0.0)
             + self.coverage * coverage + self.holds_all * float(coverage >= 1.0) + self.keyword * keyword
             + self.best_cosine * best_cosine + self.query_coverage * query_coverage)
        return float(1.0 / (1.0 + np.exp(-z)))


# Fitted by bench/refit_live.py on what Searcher hands it (the fused score with the term bridge's and
# the headings' gains); paste its "RELEVANCE = ..." line here when the fusion changes.
RELEVANCE = RelevanceModel(intercept=-11.967, fused=3.946, cosine=3.307, coverage=0.24, holds_all=2.597,
                           keyword=0.518, best_cosine=3.702, query_coverage=2.017)


# A hit is "relevant" when RELEVANCE says it more likely is than not: search --by shows "no match"
# for a group whose best is below. Measured by bench/group_floor.py (year groups' best hits of the
# judged queries): floors 0.35-0.5 tie on the tuning sets (precision 0.935-0.941); held out, 0.5 has
# precision 0.960 at accuracy 0.954, the best of them within 0.001 (bench/RESULTS.md).
RELEVANT_MIN = 0.5


def adaptive_dense_weight(query_coverage: float) -> float:
    """The dense side's weight in "adaptive" fusion for a query of which `query_coverage` (0..1)
    stands verbatim in the best-covering item: ADAPTIVE_WEIGHTS[0] when all of it does (trust the
    keyword side: the words are there), ADAPTIVE_WEIGHTS[1] when none of it does (only meaning can
    find it), between them by coverage ** ADAPTIVE_POWER."""
    w_all, w_none = ADAPTIVE_WEIGHTS
    return w_none + (w_all - w_none) * min(max(query_coverage, 0.0), 1.0) ** ADAPTIVE_POWER


def fuse(method: str, d_rows, d_vals, kw_rows, kw_vals, scale: Scale | None = None,
         dense_weight: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Combine the dense and keyword candidate lists into one ranking (rows, scores), best first.
    `dense_weight` is "adaptive"'s weight for this query (see adaptive_dense_weight)."""
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
    elif method in ("weighted", "adaptive", "tiebreak"):
        dense, kw = scale.dense(d_vals), scale.keyword(kw_vals)
        if method == "tiebreak":
            w_dense, w_kw = 1.0, TIEBREAK
        else:
            w = DENSE_WEIGHT if method == "weighted" or dense_weight is None else dense_weight
            w_dense, w_kw = w, 1 - w
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
           model: str | None = None, **filters) -> Hits:
    """One query against an index (opens it each call; use `Searcher` for many queries)."""
    s = Searcher(index_dir, model)
    try:
        return s.search(query, k, mode, Filters(**filters))
    finally:
        s.close()
