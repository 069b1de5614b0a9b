"""The plain records that flow between the stages of plansearch.

load -> SourceText; clean/outline/metadata -> Document made of Heading and Item;
search -> Hit; compare -> Alignment; reuse -> ReuseCluster.
Everything is a frozen-ish dataclass so a notebook user can inspect and build them by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["plan", "summary", "report", "mixed", "unknown"]


class PlansearchError(Exception):
    """An error the user can act on: the CLI prints it as one line and exits non-zero."""


class BadParameter(PlansearchError):
    """A parameter value the library refuses. It names the parameter as the library does
    (`min_chars`); a front end names it as its users type it (the CLI: `--min-chars`)."""

    def __init__(self, param: str, problem: str):
        self.param = param
        self.problem = problem
        super().__init__(f"{param} {problem}")

    def named(self, name: str) -> str:
        """The message with the parameter called `name`."""
        return f"{name} {self.problem}"


class Notice(str):
    """A note for the user beside a result, as a catalogue message: `Notice(msgid, **params)`.

    It is a str — the message in the language current when it was made, which is what the CLI
    and the records print — and keeps its msgid and params, so a front end that serves several
    languages (the web app answers each request in its own, from results it may have cached)
    says it again in the language of the moment with `say()`. A param that is itself a Notice
    (or a list of them, joined by `list_sep`) is said in that language too."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        note = super().__new__(cls, _render(msgid, params))
        note.msgid = msgid
        note.params = params
        return note

    def say(self) -> str:
        """The note in the current language."""
        return _render(self.msgid, self.params)

    def __reduce__(self):  # pickles (the web app's caches) keep msgid and params
        return (_notice, (self.msgid, self.params))


def _notice(msgid: str, params: dict) -> "Notice":
    return Notice(msgid, **params)


def _render(msgid: str, params: dict) -> str:
    from .i18n import _, list_sep

    def said(value):
        if isinstance(value, Notice):
            return value.say()
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Notice) for v in value):
            return list_sep().join(v.say() for v in value)
        return value

    return _(msgid).format(**{k: said(v) for k, v in params.items()})


class LoadError(PlansearchError):
    """A file that cannot be read as a document. `path` names it, the message says why."""

    def __init__(self, path: str, problem: str):
        from .load import shown_path  # a name that is not UTF-8 is shown escaped, never raises on print

        from .i18n import _

        self.path = shown_path(path)
        self.problem = problem
        super().__init__(_("{path}: {problem}").format(path=self.path, problem=problem))


@dataclass
class SourceText:
    """One input file decoded to text, before any cleaning."""

    path: str  # as given / relative to the corpus root
    text: str
    fmt: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str | None = None  # detected encoding for .txt/.html
    warnings: list[str] = field(default_factory=list)  # what reading it had to repair (a stray byte)


@dataclass
class Span:
    """A half-open character range [start, end) in a Document's `text`."""

    start: int
    end: int
    what: str = ""  # e.g. "junk:breadcrumb", "junk:related-articles", "page-marker"


@dataclass
class Heading:
    """A numbered heading (一、指导思想 / ㈡进一步加强教师队伍建设) that items sit under."""

    label: str  # as printed: "四、", "㈡", "(一)"
    number: int | None
    level: int  # 1 = top
    title: str  # heading text without the label
    start: int
    end: int

    @property
    def display(self) -> str:
        return f"{self.label}{self.title}".strip()


@dataclass
class Item:
    """One numbered measure (or one paragraph of an un-numbered plan) in a Document."""

    doc_id: str
    ordinal: int  # 0-based position among the document's items
    label: str  # as printed: "⒈", "21.", "(1)", "" for an unnumbered paragraph
    number: int | None  # the label's number as an int
    level: int  # nesting depth of the numbering scheme, 1 = top
    path: tuple[str, ...]  # ancestor headings, outermost first, e.g. ("四、重点工作", "㈡进一步加强教师队伍建设")
    text: str  # the item's own text in its original script (label excluded)
    start: int  # character span of the item (label included) in Document.text
    end: int
    norm: str = ""  # normalised text for matching (NFKC, Simplified, canonical masks)
    subpoints: tuple[str, ...] = ()  # inline 一是…二是… enumerations, kept inside the item
    section: str = ""  # "plan" / "summary" when a document holds both parts
    flags: tuple[str, ...] = ()  # e.g. ("no-numbering",)

    @property
    def item_id(self) -> str:
        return f"{self.doc_id}:{self.ordinal}"

    @property
    def path_str(self) -> str:
        return " › ".join(self.path)


@dataclass
class Section:
    """A part of a document of one kind (001 reviews one year then plans the next)."""

    kind: Kind
    start: int
    end: int
    year: int | None = None


@dataclass
class Document:
    """One plan or summary. A compiled page (第一篇 … 第五篇) gives one Document per plan."""

    doc_id: str  # stable and typeable: file stem, or "stem#N" for the N-th plan of a compilation
    source: str  # the file it came from
    title: str
    text: str  # this document's slice of the source, verbatim; Item/Heading/junk spans index into it
    source_start: int = 0  # where `text` starts in the SourceText (compilations hold several documents)
    items: list[Item] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    junk: list[Span] = field(default_factory=list)  # what cleaning removed, for accounting
    year: int | None = None  # the year planned (plan) or reviewed (summary/report)
    year_mask: str | None = None  # "201X", "20**", "202_", "xxxx" when the year is masked
    plan_year: int | None = None  # for documents with both parts
    review_year: int | None = None
    region: str | None = None
    level: str | None = None  # national / province / city / county / district (metadata.LEVELS)
    issuer: str | None = None
    date: str | None = None  # when it was issued, as finely as it says: "2024-01-15" / "2024-01" (lineage orders by it)
    kind: Kind = "unknown"
    sections: list[Section] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # e.g. "no-numbering", "unparsed:…"
    overridden: tuple[str, ...] = ()  # metadata fields set by corpus/manifest.csv

    def item(self, ordinal: int) -> Item:
        return self.items[ordinal]


@dataclass
class Hit:
    """One search result: an item, its score and where the query matched inside it."""

    rank: int
    score: float
    item: Item
    doc: Document | None = None  # title/year/region live here; None if only item rows were loaded
    dense_score: float | None = None
    keyword_score: float | None = None
    match_span: tuple[int, int] | None = None  # best-matching sentence, offsets into item.text
    # the query's words, and the synonyms in `read_as`, in item.text: [start, end) each
    highlights: tuple[tuple[int, int], ...] = ()
    found: tuple[str, ...] = ()  # the query's words (normalised) that the item's text holds
    coverage: float = 0.0  # share of the query's characters inside `found` (1.0: all of it)
    # (the query's word, its synonym the item holds) for the words no document uses, which search
    # read as a synonym (Searcher.rewrite: 托儿所 -> 幼儿园)
    read_as: tuple[tuple[str, str], ...] = ()
    # the query's words that stand in the item's heading path but not in its own text: the match
    # rests (partly) on the heading, e.g. 新质生产力 for an item under "加快发展新质生产力"
    heading_found: tuple[str, ...] = ()
    # the corpus words near the query's meaning that the keyword side also read (the term bridge,
    # bridge.py) and that the item's text holds, each with the query it stood for: (融资难, 小企业借钱难)
    bridged: tuple[tuple[str, str], ...] = ()
    # share of the index's items with vectors: below 1.0 while a build is still embedding, and the
    # items without are found by their words only (store.IndexMeta.embedded_items)
    meaning_coverage: float = 1.0


AlignStatus = Literal["same", "edited", "rewritten", "related", "new", "dropped"]
SentenceStatus = Literal["same", "reworded", "new", "dropped"]


@dataclass
class DiffOp:
    """One step of a character diff from A's text to B's, as original-script slices."""

    tag: Literal["equal", "insert", "delete", "replace"]
    a_text: str  # "" for insert
    b_text: str  # "" for delete


@dataclass
class SentenceMatch:
    """A sentence of a B item that stands verbatim (after normalisation and masking) in A."""

    b_ordinal: int  # the B item holding the sentence
    start: int  # offsets into that B item's `text`
    end: int
    text: str
    a_ordinal: int  # the A item where it stands


@dataclass
class SentencePair:
    """One sentence window (chunk.windows: whole sentences, >= 20 characters) of an alignment's B
    side with its partner on A's side: `same` (equal after masking), `reworded` (a partner in other
    words), `new` (B's alone) or `dropped` (A's alone). Offsets are into the named item's text."""

    status: SentenceStatus
    b_ordinal: int | None  # None for a dropped A sentence
    b_start: int
    b_end: int
    a_ordinal: int | None  # None for a new B sentence
    a_start: int
    a_end: int
    char_similarity: float = 0.0  # of the two sentences' keys, when both sides exist
    semantic_similarity: float | None = None  # cosine of their window vectors, when embedded
    diff: tuple["DiffOp", ...] = ()  # reworded: A's sentence -> B's, character by character


@dataclass
class Alignment:
    """B's items matched to A's (many-to-one for splits/merges) with a status."""

    status: AlignStatus
    a_items: tuple[Item, ...]  # empty for "new"
    b_items: tuple[Item, ...]  # empty for "dropped"
    char_similarity: float = 0.0  # 0..1, character level after normalisation
    semantic_similarity: float | None = None  # embedding cosine, when computed
    containment: float = 0.0  # share of the shorter side standing verbatim in the longer (splits)
    diff: tuple[DiffOp, ...] = ()  # A -> B character diff (edited / rewritten)
    verbatim_sentences: tuple[SentenceMatch, ...] = ()  # B's sentences found verbatim in A
    sentences: tuple[SentencePair, ...] = ()  # rewritten / related: B's sentences and A's partners
    sentence_share: float | None = None  # share of B's sentence characters with a partner in A


@dataclass
class Passage:
    """Where a reused passage stands: document, item and character span in Document.text."""

    doc_id: str
    item_ordinal: int | None
    start: int
    end: int
    text: str
    item_ordinals: tuple[int, ...] = ()  # every item the span overlaps (a copied section spans several)
    sentence_start: int | None = None  # the whole sentences holding [start, end) (chunk.sentence_bounds)
    sentence_end: int | None = None


@dataclass
class ReuseCluster:
    """A passage that recurs (near-)verbatim in more than one document."""

    text: str  # a representative occurrence
    locations: list[Passage]
    n_docs: int
    score: float  # length x documents, weighted by rarity
    chars: int = 0  # length in matching characters (normalised, no spaces/punctuation), median location
    rep: int = 0  # which location `text` is (its whole sentences are shown around it)
