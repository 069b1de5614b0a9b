"""How much each year's (region's, issuer's, kind's) documents say about a topic: `plansearch trend`.

A trend counts, per group of documents, the items that *match* a query. Matching is a decision
taken item by item over the whole index, not a top-k (a top-k always returns something, even in
years where the topic is absent). It rests on two kinds of evidence, with thresholds chosen by
measurement on the judged query sets (`bench/trend_calibration.py`, figures in bench/RESULTS.md):

- **words**: the share of the query's weight that the item's text holds. The query's weight is its
  distinct character pairs (the keyword index's tokens), each weighted by its rarity in the corpus
  (BM25's idf), so in 地方政府专项债券 the rare 专项债券 carries more than the common 地方政府, and the
  pairs that join two words (乡村振兴's 村振) make a contiguous mention count more than the words
  found apart. An item matches on words when it holds at least WORDS_MIN of the weight.
- **meaning**: how far the item's best sentence window stands above the corpus' own cosine
  distribution for this query, in robust standard deviations (median and MAD over every item).
  It decides only for a query whose words no item holds (a paraphrase such as 房住不炒 for
  房子是用来住的、不是用来炒的, or a coinage the corpus never uses): there, an item matches when its
  z reaches MEANING_MIN_Z. For a query the corpus does hold, items on the same theme without the
  words were mostly judged not to be about it, so meaning adds no matches there.

The decision is per item: an item whose several windows all match counts once. "Quoted phrases",
+words and -words of the query apply as in search. Groups that hold no document are gaps (no
count at all), not zeros; masked years (201X) are their own group.
"""
from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence
from xml.sax.saxutils import escape

import numpy as np

from .keyword import tokenize
from .metadata import YEAR_BASES, YearBasis
from .i18n import N_, _, either, say_group, term
from .models import Hit, Notice, PlansearchError
from .normalise import compact, normalise
from .search import (Filters, Query, Searcher, found_pieces, group_key, group_label, highlight_spans, level_mix,
                     mixed_levels, parse_query)

GROUPINGS = ("year", "region", "level", "issuer", "kind")
# Chosen by bench/trend_calibration.py on the seeds + gwr query sets (unseen held out):
WORDS_MIN = 0.5  # share of the query's idf weight an item must hold to match on words
MEANING_MIN_Z = 4.0  # robust z of the best window, for queries whose words no item holds
_MAD_TO_SD = 1.4826  # MAD of a normal distribution x this = its standard deviation
_MIN_SPREAD = 1e-3  # a corpus of a few near-identical items has no spread to speak of


@dataclass(frozen=True)
class MatchRule:
    """The thresholds of the match decision (defaults: the calibrated ones)."""

    words_min: float = WORDS_MIN
    meaning_min_z: float = MEANING_MIN_Z


@dataclass
class QueryEvidence:
    """What the index says about one query, for every item (arrays indexed by item row)."""

    query: Query
    weights: dict[str, float]  # the query's tokens and their idf
    coverage: np.ndarray  # share of the query's idf weight the item holds, 0..1
    dense: np.ndarray | None = None  # cosine of the item's best sentence window (None: not needed)
    allowed: np.ndarray | None = None  # items satisfying the query's phrases / -words (None: all)

    @property
    def z(self) -> np.ndarray | None:
        """How far each item's best window stands above the corpus, in robust SDs."""
        return robust_z(self.dense) if self.dense is not None else None

    def words_attested(self, rule: MatchRule) -> bool:
        """Whether some item of the index holds the query's words (then only words decide)."""
        return bool(np.any(self.coverage >= rule.words_min))

    def decide(self, rule: MatchRule | None = None) -> tuple[np.ndarray, str]:
        """(match mask over items, "words" or "meaning": which evidence decided)."""
        rule = rule or MatchRule()
        if self.words_attested(rule):
            mask, basis = self.coverage >= rule.words_min, "words"
        elif self.dense is None:
            raise ValueError(f"no cosines for “{self.query.text}”: get them with query_evidence(..., dense='all')")
        else:
            mask, basis = self.z >= rule.meaning_min_z, "meaning"
        if self.allowed is not None:
            mask = mask & self.allowed
        return mask, basis


def word_evidence(index, query_norm: str) -> tuple[dict[str, float], np.ndarray]:
    """(weights, coverage): the query's distinct tokens (character pairs) weighted by BM25's
    (Lucene's) idf over the index's items, so a pair no item holds weighs most; and per item the
    share of that weight the item holds. From the keyword index's postings alone (no item text is
    read: fast at any size)."""
    n = len(index.item_doc)
    cov = np.zeros(n, np.float64)
    weights: dict[str, float] = {}
    for tok in dict.fromkeys(tokenize(query_norm)):
        rows = index.items_with_phrase(tok)  # a single pair: its postings
        weights[tok] = w = math.log1p((n - len(rows) + 0.5) / (len(rows) + 0.5))
        cov[rows] += w
    total = sum(weights.values())
    return weights, (cov / total if total > 0 else cov).astype(np.float32)


class _HeadingTokens:
    """The index's headings as token postings, built once per index (trend counts headings that
    name a topic with the same rule as items' words)."""

    def __init__(self, index):
        titles = getattr(index, "heading_titles", None)
        self.doc_rows, texts = titles() if titles is not None else (np.zeros(0, np.int64), [])
        self.norms = [normalise(t) for t in texts]
        self.postings: dict[str, list[int]] = {}
        for i, norm in enumerate(self.norms):
            for tok in set(tokenize(norm)):
                self.postings.setdefault(tok, []).append(i)

    def matching(self, q: Query, weights: dict[str, float], rule: MatchRule) -> np.ndarray:
        """Rows of the headings holding the query's words (and its phrases, none of its -words)."""
        rows = np.flatnonzero(self.coverage(weights) >= rule.words_min)
        if q.must or q.must_not:
            keep = [r for r in rows.tolist() if all(p in compact(self.norms[r]) for p in q.must)
                    and not any(p in compact(self.norms[r]) for p in q.must_not)]
            rows = np.array(keep, np.int64)
        return rows

    def coverage(self, weights: dict[str, float]) -> np.ndarray:
        cov = np.zeros(len(self.doc_rows), np.float64)
        for tok, w in weights.items():
            cov[self.postings.get(tok, [])] += w
        total = sum(weights.values())
        return cov / total if total > 0 else cov


_HEADINGS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _heading_tokens(index) -> _HeadingTokens:
    try:
        if index not in _HEADINGS:
            _HEADINGS[index] = _HeadingTokens(index)
        return _HEADINGS[index]
    except TypeError:  # an index that cannot be weakly referenced: build it each time
        return _HeadingTokens(index)


def robust_z(dense: np.ndarray) -> np.ndarray:
    """How many robust standard deviations each item's cosine lies above the corpus median (items
    without a window, cosine -1, are left out of the median and spread)."""
    valid = dense[dense > -1.0]
    if not len(valid):
        return np.zeros_like(dense)
    med = float(np.median(valid))
    spread = max(_MAD_TO_SD * float(np.median(np.abs(valid - med))), _MIN_SPREAD)
    return ((dense - med) / spread).astype(np.float32)


def query_evidence(searcher: Searcher, queries: Sequence[str | Query], rule: MatchRule | None = None,
                   dense: str = "needed") -> list[QueryEvidence]:
    """Words and meaning evidence of each query over every item of the searcher's index. With
    dense="needed", cosines are computed only for the queries whose words no item holds under
    `rule` (the others are decided on words: no embedding, no pass over the vectors); "all": for
    every query (the calibration). The cosines of all queries come in one pass over the vectors,
    where the store can."""
    rule = rule or MatchRule()
    qs = [q if isinstance(q, Query) else parse_query(q) for q in queries]
    ix = searcher.index
    out = []
    for q in qs:
        weights, coverage = word_evidence(ix, q.norm)
        allowed = None
        if q.must or q.must_not:
            allowed = np.zeros(len(ix.item_doc), bool)
            allowed[searcher._rows_satisfying(q, None)] = True
        out.append(QueryEvidence(q, weights, coverage, None, allowed))
    todo = [ev for ev in out if dense == "all" or not ev.words_attested(rule)]
    if todo:
        qvs = searcher.query_vectors([ev.query.norm for ev in todo])
        many = getattr(ix, "dense_all_many", None)
        for ev, d in zip(todo, many(qvs) if many is not None else [ix.dense_all(v) for v in qvs]):
            ev.dense = d
    return out


# --- the table ---------------------------------------------------------------------------------

@dataclass
class TrendCell:
    """One query in one group: how many of the group's items match, and the best of them."""

    matches: int  # items whose own text matches
    share: float  # matches / the group's items
    documents: int  # documents of the group mentioning the topic: in a matching item or heading
    headings: int = 0  # headings naming the topic (2024's 加快发展新质生产力 is one), by its words
    example: Hit | None = None  # the matching item that says it most plainly (None: no match)


@dataclass
class TrendGroup:
    """One row: a year (or region, issuer, kind), its documents and items, one cell per query.
    A gap (no document in this group) has no cells: nothing was counted there."""

    key: str  # "2021", "201X", "?", "华州区"
    label: str  # as a reader reads it: "201X (year unknown)", "region unknown"
    documents: int
    items: int
    cells: list[TrendCell] = field(default_factory=list)
    masked: bool = False  # a masked or unknown year, listed after the known ones
    levels: dict[str, int] = field(default_factory=dict)  # administrative level -> documents (search.level_mix)

    @property
    def gap(self) -> bool:
        return self.documents == 0


@dataclass
class TrendQuery:
    """One query (one column) and how its matches were decided."""

    text: str  # as given
    basis: str  # "words" or "meaning": the evidence that decided for this query
    matches: int  # over every group
    first: str | None  # key of the first group (in row order) whose documents mention it
    first_item: str | None = None  # label of the first group with a matching item
    first_heading: str | None = None  # label of the first group with a heading naming it, if before first_item

    def first_seen(self) -> Notice:
        """Where the topic is first met, as the CLI and the web page both say it: a heading alone
        (2024's 加快发展新质生产力, no item yet) is told apart from an item that says it."""
        # the groups' labels in the reader's language (201X (year unknown) -> 201X（年份不明）)
        heading = say_group(self.first_heading) if self.first_heading is not None else None
        item = say_group(self.first_item) if self.first_item is not None else None
        if heading is not None and item is not None:
            return Notice(N_("first in a heading: {heading}; first in an item: {item}"), heading=heading, item=item)
        if heading is not None:
            return Notice(N_("first in a heading: {heading}; in no item"), heading=heading)
        if item is not None:
            return Notice(N_("first in an item: {item}"), item=item)
        return Notice(N_("no document mentions it"))


@dataclass
class TrendTable:
    by: str
    year_basis: YearBasis
    queries: list[TrendQuery]
    groups: list[TrendGroup]
    rule: MatchRule
    filters: Filters | None = None  # what the table was limited to (None: the whole index)
    notices: list[str] = field(default_factory=list)

    def group(self, key: str) -> TrendGroup:
        """The row of group `key` (its key or its label)."""
        for g in self.groups:
            if key in (g.key, g.label):
                return g
        raise KeyError(key)

    def cell(self, group: str, query: int = 0) -> TrendCell | None:
        """The cell of group `group` (key or label) for the query-th query; None for a gap."""
        g = self.group(group)
        return g.cells[query] if g.cells else None


def trend(queries: str | Sequence[str], index: "Searcher | str | os.PathLike" = "index", by: str = "year",
          filters: Filters | None = None, year_basis: YearBasis = "plan", rule: MatchRule | None = None,
          model: str | None = None) -> TrendTable:
    """For each group of documents (years in order, with gaps; or regions, issuers, kinds), and for
    each query: the items matching it (a calibrated decision, see the module's doc), their share of
    the group's items, the documents holding them and the best example. A review→plan document
    counts under its plan year (`year_basis="review"`: its review year); a year filter in `filters`
    is read the same way, so the rows are exactly the years asked for. `index` is a Searcher (the
    web app passes its warm one), an IndexReader or an index directory."""
    if isinstance(queries, str):
        queries = [queries]
    if not queries:
        raise PlansearchError(_("give at least one query"))
    if by not in GROUPINGS:
        raise PlansearchError(_("grouping must be one of {choices}, not {value!r}").format(choices=either(GROUPINGS), value=by))
    if year_basis not in YEAR_BASES[1:]:
        raise PlansearchError(_("year basis must be one of {choices}, not {value!r}").format(choices=either(["plan", "review"]), value=year_basis))
    parsed = [parse_query(q) for q in queries]
    rule = rule or MatchRule()
    searcher = index if isinstance(index, Searcher) else Searcher(index, model)
    try:
        return _trend(searcher, list(queries), parsed, by, filters, year_basis, rule)
    finally:
        if searcher is not index and not hasattr(index, "dense_windows"):  # opened here from a path
            searcher.close()


def _trend(searcher: Searcher, raw: list[str], parsed: list[Query], by: str, filters: Filters | None,
           year_basis: YearBasis, rule: MatchRule) -> TrendTable:
    ix = searcher.index
    base = replace(filters, year_basis=year_basis) if filters is not None else Filters(year_basis=year_basis)
    docs = ix.documents
    keys = [group_key(d, by, year_basis) if base.accepts(d) else None for d in docs]
    order = _group_order(keys, by, base)
    slot = {k: i for i, k in enumerate(order)}
    doc_group = np.array([slot[k] if k is not None else -1 for k in keys], np.int64)
    item_group = doc_group[np.asarray(ix.item_doc, np.int64)] if len(docs) else np.zeros(0, np.int64)
    n_groups = len(order)
    in_scope = item_group >= 0
    items_per = np.bincount(item_group[in_scope], minlength=n_groups)
    docs_per = np.bincount(doc_group[doc_group >= 0], minlength=n_groups)
    groups = [TrendGroup(k, group_label(k, by), int(docs_per[i]), int(items_per[i]),
                         masked=by == "year" and not k.isdigit(),
                         levels=level_mix(d for d, g in zip(docs, doc_group) if g == i)) for i, k in enumerate(order)]
    notices = [Notice(N_("“{start}…” was cut to its first {n} characters"), start=q.raw[:20], n=500)
               for q in parsed if q.truncated]
    if by != "level":
        notices += mixed_levels((g.label, g.levels) for g in groups)
    headings = _heading_tokens(ix)
    heading_group = doc_group[headings.doc_rows] if len(headings.doc_rows) else np.zeros(0, np.int64)
    tq: list[TrendQuery] = []
    for text, q, ev in zip(raw, parsed, query_evidence(searcher, parsed, rule)):
        mask, basis = ev.decide(rule)
        rows = np.flatnonzero(mask & in_scope)
        per = np.bincount(item_group[rows], minlength=n_groups)
        # headings count by words only (they are not embedded)
        h_rows = headings.matching(q, ev.weights, rule) if basis == "words" else np.zeros(0, np.int64)
        h_rows = h_rows[heading_group[h_rows] >= 0]
        h_per = np.bincount(heading_group[h_rows], minlength=n_groups)
        mentioning = np.union1d(np.asarray(ix.item_doc)[rows], headings.doc_rows[h_rows])
        docs_hit = np.bincount(doc_group[mentioning], minlength=n_groups)
        examples = _examples(searcher, q, ev, rows, item_group[rows])
        for i, g in enumerate(groups):
            if not g.gap:
                g.cells.append(TrendCell(int(per[i]), float(per[i] / g.items) if g.items else 0.0,
                                         int(docs_hit[i]), int(h_per[i]), examples.get(i)))
        first = next((g.key for i, g in enumerate(groups) if not g.gap and docs_hit[i]), None)
        i_item = next((i for i, g in enumerate(groups) if not g.gap and per[i]), None)
        i_head = next((i for i, g in enumerate(groups) if not g.gap and h_per[i]), None)
        if i_head is not None and i_item is not None and i_item <= i_head:
            i_head = None  # an item says it as early: the heading adds nothing to "first"
        tq.append(TrendQuery(text, basis, int(len(rows)), first, groups[i_item].label if i_item is not None else None,
                             groups[i_head].label if i_head is not None else None))
        if basis == "meaning":
            notices.append(Notice(N_("no item holds the words of “{query}”: matched by meaning (an item's best "
                                     "sentence at least {z:g} robust SD above the corpus)"), query=q.text, z=rule.meaning_min_z))
    return TrendTable(by, year_basis, tq, groups, rule, base if base.active() else None, notices)


def _group_order(keys: list[str | None], by: str, base: Filters) -> list[str]:
    """Rows in reading order: for years, every year from the first to the last (those of a year
    filter, if given), gaps included, then masked and unknown years; otherwise the groups sorted."""
    present = sorted({k for k in keys if k is not None})
    if by != "year":
        return sorted(present, key=lambda k: (k == "?", k))
    known = [int(k) for k in present if k.isdigit()]
    if base.years is not None:
        lo, hi = base.years
        if hi - lo > 200:
            raise PlansearchError(_("a year range of {n} years is too long for a trend").format(n=hi - lo + 1))
    elif known:
        lo, hi = known[0], known[-1]
    else:
        lo, hi = 1, 0
    years = [str(y) for y in range(lo, hi + 1)]
    rest = sorted((k for k in present if not k.isdigit()), key=lambda k: (k == "?", k))
    return years + rest


def _examples(searcher: Searcher, q: Query, ev: QueryEvidence, rows: np.ndarray, groups: np.ndarray
              ) -> dict[int, Hit]:
    """The best matching item of each group: one holding all the query's words first, then the one
    whose best sentence is nearest in meaning (matches by meaning) or whose BM25 score is highest
    (matches by words: the plainest, most concentrated mention)."""
    if not len(rows):
        return {}
    ix = searcher.index
    if ev.dense is not None:
        second = ev.dense[rows]
    else:
        kw = ix.keyword_scores(q.norm)[rows]
        second = kw / kw.max() if kw.max() > 0 else kw
    score = (ev.coverage[rows] >= 0.999) * 2.0 + second
    order = np.lexsort((-score, groups))
    first = np.ones(len(order), bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    best_rows, best_groups = rows[order][first], groups[order][first]
    key = compact(q.norm)
    qv = searcher.query_vector(q.norm) if ev.dense is not None else None  # words: no model needed
    out: dict[int, Hit] = {}
    for row, g, item in zip(best_rows.tolist(), best_groups.tolist(), ix.items(best_rows)):
        pieces = found_pieces(key, compact(item.norm or normalise(item.text)))
        out[g] = Hit(rank=1, score=float(ev.coverage[row]), item=item, doc=ix.document_of_item(row),
                     dense_score=float(ev.dense[row]) if ev.dense is not None else None, keyword_score=None,
                     match_span=searcher._match_span(row, None, q.norm, qv),
                     highlights=highlight_spans(item.text, pieces), found=tuple(pieces),
                     coverage=sum(map(len, pieces)) / len(key) if key else 0.0)
    return out


# --- the chart ---------------------------------------------------------------------------------

# Tableau's 10 colours: distinct in print and for the common colour-vision deficiencies.
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
            "#9c755f", "#bab0ac")
_FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above `value` (the y axis' top)."""
    if value <= 0:
        return 0.01
    k = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * 10 ** k >= value - 1e-12:
            return m * 10 ** k
    return 10 ** (k + 1)


@dataclass(frozen=True)
class ChartWords:
    """The chart's words, so that a front end can draw it in its reader's language (the defaults
    are the CLI's English). Format fields: `title` {by} (the grouping's name, from `groupings`) and
    {filters} (" · " and the filters, or nothing); `gap` {group}; `bar` {group}, {query},
    {matches}, {items}, {share} (a fraction), {documents}, {group_documents}."""

    title: str = "Share of items matching, per {by}{filters}"
    by_meaning: str = " (by meaning)"  # after a query matched by meaning, in the legend
    gap: str = "{group}: no document"
    bar: str = "{group} · {query}: {matches} of {items} items ({share:.1%}), {documents} of {group_documents} documents"
    groupings: Mapping[str, str] = field(default_factory=dict)  # "year" -> its name in the title
    group: Callable[["TrendGroup"], str] | None = None  # a group as labelled (default: its label)

    @classmethod
    def said(cls, **changes) -> "ChartWords":
        """The chart's words in the current language (the CLI's --lang, the web page's)."""
        words = cls(title=_("Share of items matching, per {by}{filters}"), by_meaning=_(" (by meaning)"),
                    gap=_("{group}: no document"),
                    bar=_("{group} · {query}: {matches} of {items} items ({share:.1%}), {documents} of "
                          "{group_documents} documents"),
                    groupings={by: term(by) for by in ("year", "region", "level", "issuer", "kind")},
                    group=lambda g: say_group(g.label))
        return replace(words, **changes)


def chart_svg(table: TrendTable, height: int = 320, words: ChartWords | None = None) -> str:
    """The trend as a self-contained SVG bar chart (no script, no external file, no network): per
    group one bar per query, its height the share of the group's items that match; a gap (no
    document) is a hatched column, not a zero; a zero is a hairline on the axis. Each bar carries a
    <title> (the count, share and documents), shown on hover in a browser. For the CLI's --chart,
    the HTML report and the web app (which passes its own `words`)."""
    words = words or ChartWords.said()
    label_of = words.group or (lambda g: g.label)
    m = max(1, len(table.queries))
    groups = table.groups
    bar_w = 14 if m > 1 else 22
    slot = m * bar_w + 10
    left, right, top_pad = 56, 16, 34 + 18 * ((m + 3) // 4)
    labels = [label_of(g) for g in groups]
    long_labels = any(len(x) > 6 for x in labels) or len(groups) * slot < 40 * len(groups)
    bottom = 110 if long_labels else 44
    plot_h = height
    width = left + max(1, len(groups)) * slot + right
    total_h = top_pad + plot_h + bottom
    y_top = _nice_top(max((c.share for g in groups for c in g.cells), default=0.0))
    base_y = top_pad + plot_h

    def y_of(share: float) -> float:
        return base_y - plot_h * min(share / y_top, 1.0)

    def t(s: str) -> str:
        return escape(s, {'"': "&quot;"})

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
           f'viewBox="0 0 {width} {total_h}" font-family="{t(_FONT)}" font-size="12">',
           '<defs><pattern id="gap" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#cccccc" stroke-width="2"/></pattern></defs>',
           '<rect width="100%" height="100%" fill="#ffffff"/>']
    title = words.title.format(by=words.groupings.get(table.by, table.by),
                               filters=f" · {table.filters.describe(speak=True)}" if table.filters else "")
    out.append(f'<text x="{left}" y="18" font-size="14" font-weight="bold">{t(title)}</text>')
    for i, q in enumerate(table.queries):  # legend, four to a line
        lx, ly = left + (i % 4) * 180, 34 + 18 * (i // 4)
        out.append(f'<rect class="legend" x="{lx}" y="{ly - 10}" width="12" height="12" '
                   f'fill="{_PALETTE[i % len(_PALETTE)]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}">{t(q.text + (words.by_meaning if q.basis == "meaning" else ""))}'
                   f'</text>')
    for k in range(6):  # y axis: gridlines and % labels at fifths of a 1/2/5 x 10^k top
        share = y_top * k / 5
        y = y_of(share)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        label = f"{round(share * 100, 6):g}%"
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555555">{label}</text>')
    for gi, (g, label) in enumerate(zip(groups, labels)):
        x0 = left + gi * slot + 5
        if g.gap:
            out.append(f'<rect class="gap" x="{x0}" y="{top_pad}" width="{slot - 10}" height="{plot_h}" '
                       f'fill="url(#gap)"><title>{t(words.gap.format(group=label))}</title></rect>')
        else:
            for qi, (q, cell) in enumerate(zip(table.queries, g.cells)):
                y = y_of(cell.share)
                h = max(base_y - y, 1.0)  # a zero is a hairline: counted, nothing found
                tip = words.bar.format(group=label, query=q.text, matches=cell.matches, items=g.items,
                                       share=cell.share, documents=cell.documents, group_documents=g.documents)
                out.append(f'<rect class="bar" x="{x0 + qi * bar_w}" y="{base_y - h:.1f}" width="{bar_w - 2}" '
                           f'height="{h:.1f}" fill="{_PALETTE[qi % len(_PALETTE)]}"><title>{t(tip)}</title></rect>')
        cx = x0 + (slot - 10) / 2
        if long_labels:
            out.append(f'<text x="{cx:.1f}" y="{base_y + 14}" text-anchor="end" '
                       f'transform="rotate(-45 {cx:.1f} {base_y + 14})">{t(label)}</text>')
        else:
            out.append(f'<text x="{cx:.1f}" y="{base_y + 16}" text-anchor="middle">{t(label)}</text>')
    out.append(f'<line x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" stroke="#333333"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
