"""The terminal views: rich tables, trees and highlighted text over the records of `records`.

Every piece of user data (titles, item text, file names, ids) reaches rich as a `Text`, never as
markup, so a title holding "[/bold]" prints as written. In a terminal, item text wraps under its
indent and no line starts with a closing mark (，。、）…); piped into a file or `less`, lines are
not wrapped at all (a script or a reader with `less -S` gets whole lines and whole ids), and the
character diff is marked [-deleted-]{+inserted+} since there is no colour.
"""
from __future__ import annotations

import os
import sys
import time
import unicodedata

from rich.console import Console
from rich.measure import Measurement
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .metadata import year_label
from .i18n import N_, _, labelled, ngettext, say_group, term
from .models import Document
from .records import excerpt_bounds, filters_note, item_label, items_label, percent, sentence_fields, copied_line, when_said

_PIPED_WIDTH = 4000  # "unlimited": a pipe gets whole lines


class _Console(Console):
    """rich's Console, but a reader that closes the pipe (`plansearch search … | head`) is left to
    the CLI's one handler, which exits 0: rich's own handler exits 1, silently."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def _make_console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    width = None if tty or os.environ.get("COLUMNS") else _PIPED_WIDTH
    return _Console(file=stream, width=width, highlight=False, soft_wrap=not tty, emoji=False)


def _colour(c: Console) -> bool:
    return c.color_system is not None and c.is_terminal


def trim(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- wrapping CJK text -------------------------------------------------------------------------

# Marks that may not begin a line, and openers that may not end one (Chinese line-breaking rules).
_NO_LINE_START = set("，。、；：！？）」』”’》〉】〕…—·,.;:!?)]}%")
_NO_LINE_END = set("（「『“‘《〈【〔([{")


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def wrap_offsets(text: str, width: int) -> list[int]:
    """Where to break `text` (offsets of line starts after the first) to fit `width` cells, CJK
    style: anywhere between characters, but a closing mark hangs at the end of its line and an
    opening mark moves down with the character after it."""
    breaks: list[int] = []
    used = 0
    line_start = 0
    for i, ch in enumerate(text):
        w = _cells(ch)
        if used + w > width and i > line_start:
            cut = i
            # a closing mark may not begin the line: the character before it comes down with it
            # (hanging it past the margin would make the terminal wrap it to column 0)
            while cut > line_start + 1 and text[cut] in _NO_LINE_START:
                cut -= 1
            if text[cut] in _NO_LINE_START:
                cut = i  # a line of nothing but closing marks: break where it is full
            if text[cut - 1] in _NO_LINE_END and cut - 1 > line_start:
                cut -= 1
            breaks.append(cut)
            line_start = cut
            used = sum(_cells(c) for c in text[cut:i])
        used += w
    return [b for b in breaks if b < len(text)]


class CJKCell:
    """A table cell whose text lines wrap by `wrap_offsets` at the width the table gives the cell,
    so no line in it starts with a closing mark (rich folds a cell at the exact width). Lines
    given as `headers` keep rich's own wrapping, at spaces."""

    def __init__(self, lines: list[Text], headers: frozenset[int] = frozenset()):
        self.lines = lines
        self.headers = headers

    def __rich_measure__(self, console: Console, options) -> Measurement:
        widest = max((line.cell_len for line in self.lines), default=0)
        return Measurement(min(widest, 8), widest)

    def __rich_console__(self, console: Console, options):
        width = max(2, options.max_width)
        for n, line in enumerate(self.lines):
            if n in self.headers:
                yield line
            else:
                yield from line.divide(wrap_offsets(line.plain, width))


def print_hanging(c: Console, text: Text, indent: int = 4) -> None:
    """A header line; in a terminal, what does not fit continues under an indent (rich's own
    wrapping would restart at column 0), whole when piped."""
    if not c.is_terminal:
        c.print(text, soft_wrap=True)
        return
    lines = text.wrap(c, max(20, c.width - indent))
    for n, line in enumerate(lines):
        c.print(Text(" " * indent if n else "").append_text(line), soft_wrap=True, crop=False)


def print_indented(c: Console, text: Text, indent: int = 4) -> None:
    """`text` under an indent; wrapped to the terminal (continuation lines indented too), one
    line when piped."""
    text = text.copy()
    text.plain = text.plain.replace("\n", " ")
    pad = " " * indent
    if not c.is_terminal:
        c.print(Text(pad).append_text(text), soft_wrap=True)
        return
    width = max(20, c.width - indent)
    for line in text.divide(wrap_offsets(text.plain, width)):
        c.print(Text(pad).append_text(line), soft_wrap=True, crop=False)


# --- docs / outline -----------------------------------------------------------------------------

def print_docs(docs: list[Document]) -> None:
    c = _make_console()
    table = Table(title=_n(len(docs), "document"), show_lines=False)
    for col, head in (("id", N_("id")), ("title", N_("title")), ("year", N_("year")), ("region", N_("region")),
                      ("issuer", N_("issuer")), ("kind", N_("kind")), ("items", N_("items"))):
        table.add_column(_(head), overflow="fold", justify="right" if col == "items" else "left",
                         no_wrap=col == "id")
    for d in docs:
        marks = "*" if d.overridden else ""
        table.add_row(Text(d.doc_id), Text(trim(d.title, 40)), Text(year_label(d) + marks),
                      Text(d.region or "?"), Text(d.issuer or "?"), Text(term(d.kind)), Text(str(len(d.items))))
    c.print(table)
    if any(d.overridden for d in docs):
        c.print(Text(_("* metadata set in manifest.csv"), style="dim"))


def print_outline(doc: Document, width: int = 60) -> None:
    """The document as a tree: headings as branches, items as leaves (label + start of text)."""
    root = Tree(Text(f"{doc.doc_id}  {doc.title}  [{year_label(doc)}]", style="bold"))
    branches: dict[tuple[str, ...], Tree] = {(): root}
    for it in doc.items:
        for depth in range(1, len(it.path) + 1):
            key = it.path[:depth]
            if key not in branches:
                branches[key] = branches[key[:-1]].add(Text(key[-1], style="cyan"))
        leaf = Text()
        leaf.append(item_label(it) + " ", style="bold magenta" if it.label else "dim")
        leaf.append(trim(it.text, width))
        if it.subpoints:
            leaf.append("  " + ngettext("({n} sub-point)", "({n} sub-points)", len(it.subpoints)).format(
                n=len(it.subpoints)), style="dim")
        branches[it.path].add(leaf)
    _make_console().print(root)


# --- index / search ------------------------------------------------------------------------------

PROGRESS_EVERY_ENV = "PLANSEARCH_PROGRESS_EVERY"  # seconds between piped progress lines (default 10)


class _RateColumn(ProgressColumn):
    """Items per second of a stage (rich's own speed columns count bytes)."""

    def render(self, task) -> Text:
        return Text(_("{rate:,.1f}/s").format(rate=task.speed) if task.speed else "")


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return (_("{h} h {m} min").format(h=h, m=m) if h else _("{m} min {s} s").format(m=m, s=s) if m
            else _("{s} s").format(s=s))


class IndexProgress:
    """Progress fed by build_index's progress(stage, done, total) callback: a rich bar on a
    terminal (done / total, rate, time left); into a pipe or a log, one line every
    $PLANSEARCH_PROGRESS_EVERY seconds (10) with the same figures, so a long embedding run that
    is logged does not look hung."""

    _LABELS = {"read": N_("reading documents (items)"), "keyword": N_("building the keyword index"),
               "embed": N_("embedding new sentence windows"), "words": N_("reading and embedding the corpus's words"),
               "write": N_("writing the index"), "compare": N_("embedding items to compare")}

    def __init__(self, clock=time.monotonic, every: float | None = None):
        console = _make_console(stderr=True)
        self._console = console
        # only on a terminal: into a pipe or a log, rich would leave the bar's last frame (or, with
        # nothing to show, an empty line) behind
        self._on = console.is_terminal
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  _RateColumn(), TimeRemainingColumn(), console=console, transient=True)
        self._tasks: dict[str, int] = {}
        self._clock = clock
        if every is None:
            try:
                every = float(os.environ.get(PROGRESS_EVERY_ENV, "10"))
            except ValueError:
                every = 10.0
        self._every = every
        self._started: dict[str, tuple[float, int]] = {}  # stage: (when, done) at its first report
        self._last_line = 0.0
        self._began = clock()

    def __enter__(self):
        if self._on:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self._progress.__exit__(*exc) if self._on else None

    def update(self, stage: str, done: int, total: int) -> None:
        if not self._on:
            self._log(stage, done, total)
            return
        total_or_unknown = total or None  # "read": how many items the files hold is known at the end
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(_(self._LABELS.get(stage, stage)), total=total_or_unknown)
        self._progress.update(self._tasks[stage], completed=done, total=total_or_unknown)

    def committed(self, index_dir, meta) -> None:
        """A version committed while the build still embeds: say that the index answers already."""
        if meta.embedded_items is None:
            return  # the last one: the build's report says it
        if meta.embedded_items == meta.items:  # every window in; the term bridge's words follow
            self._console.print(_("{dir}/ is searchable now ({seconds:.0f} s) by words and meaning for every item; "
                                  "embedding the corpus's words for the term bridge").format(
                dir=index_dir, seconds=self._clock() - self._began), markup=False)
            return
        self._console.print(_("{dir}/ is searchable now ({seconds:.0f} s): by words for every item, by meaning for "
                              "{share:.0%} of them; embedding the rest").format(
            dir=index_dir, seconds=self._clock() - self._began,
            share=int(100 * meta.embedded_items / meta.items) / 100 if meta.items else 1.0), markup=False)

    def _log(self, stage: str, done: int, total: int) -> None:
        now = self._clock()
        if stage not in self._started:
            self._started[stage] = (now, done)
            self._last_line = now
            return
        if self._every <= 0 or now - self._last_line < self._every or not total:
            return
        self._last_line = now
        t0, d0 = self._started[stage]
        rate = (done - d0) / (now - t0) if now > t0 else 0.0
        left = _duration((total - done) / rate) if rate > 0 else "?"
        self._console.print(_("{what}: {done:,} / {total:,} ({pct:.0f} %), {rate:,.1f} per second, "
                              "about {left} left").format(what=_(self._LABELS.get(stage, stage)), done=done,
                                                          total=total, pct=100 * done / total, rate=rate,
                                                          left=left), markup=False)


# "3 documents": the words counted in the terminal's lines, singular and plural (the catalogue has
# them from _counted_words)
_COUNTED = {
    "document": ("{n} document", "{n} documents"), "item": ("{n} item", "{n} items"),
    "sentence window": ("{n} sentence window", "{n} sentence windows"),
    "reused passage": ("{n} reused passage", "{n} reused passages"), "passage": ("{n} passage", "{n} passages"),
}


def grouping_word(by: str) -> str:
    """A --by grouping as the reader's word: year, region, issuer, kind, document."""
    return term(by)


def padded(text: str, cells: int) -> str:
    """`text` padded to `cells` terminal cells (a CJK character takes two)."""
    return text + " " * max(0, cells - sum(_cells(ch) for ch in text))


def _n(count: int, word: str) -> str:
    one, many = _COUNTED[word]
    return ngettext(one, many, count).format(n=f"{count:,}")


def _counted_words() -> None:  # never called: the plural pairs above, for the catalogue
    ngettext("{n} document", "{n} documents", 1)
    ngettext("{n} item", "{n} items", 1)
    ngettext("{n} sentence window", "{n} sentence windows", 1)
    ngettext("{n} reused passage", "{n} reused passages", 1)
    ngettext("{n} passage", "{n} passages", 1)


def print_index_report(report) -> None:
    c = _make_console()
    if report.up_to_date:
        c.print(Text(_("index in {dir}/ is up to date: {documents}, {items}, {windows}; nothing to embed "
                       "({seconds:.1f}s)").format(dir=report.index_dir, documents=_n(report.documents, "document"),
                                                  items=_n(report.items, "item"),
                                                  windows=_n(report.windows, "sentence window"), seconds=report.seconds)))
        return
    if report.repaired:
        c.print(Text(_("the previous index was damaged ({what}): rebuilt").format(what=report.repaired), style="yellow"))
    c.print(Text(_("indexed {documents}, {items}, {windows} into {dir}/ in {seconds:.1f}s").format(
        documents=_n(report.documents, "document"), items=_n(report.items, "item"),
        windows=_n(report.windows, "sentence window"), dir=report.index_dir, seconds=report.seconds)))
    c.print(Text(_("embedded {embedded}, reused {reused} from the cache (model {model}, {kind} vectors)").format(
        embedded=report.embedded, reused=report.reused, model=report.model, kind=report.vector_kind)))


def highlighted(text: str, highlights, match_span: tuple[int, int] | None, width: int = 240) -> Text:
    """The item in its original script, trimmed to `width` characters around what matched: the
    best-matching sentence underlined, the query's words (`highlights`, offsets into `text`) in
    bold yellow."""
    lo, hi = excerpt_bounds(text, width, highlights, match_span)
    out = Text("…" if lo else "")
    body = Text(text[lo:hi].replace("\n", " "))
    if match_span:
        a, b = max(match_span[0], lo) - lo, min(match_span[1], hi) - lo
        if b > a:
            body.stylize("underline", a, b)
    for a, b in highlights:
        a, b = max(a, lo) - lo, min(b, hi) - lo
        if b > a:
            body.stylize("bold yellow", a, b)
    out.append_text(body)
    if hi < len(text):
        out.append("…")
    return out


def _evidence(hit) -> Text:
    """What the score rests on, in words: which of the query's words the item holds, and the
    semantic similarity of its best sentence."""
    t = Text(style="dim")
    if hit.coverage >= 0.999:
        t.append(_("all query words"))
    elif hit.found:
        t.append(_("words: {words}").format(words=" · ".join(hit.found)))
    elif not hit.read_as and not hit.bridged:
        t.append(_("no query word"))
    # a synonym the rewrite read, and a corpus word the term bridge read, are said alike: 融资难 for 小企业借钱难
    # several words for one query are said once: 家庭、子女、儿童 for 父母不在身边的孩子
    stood_for: dict[str, list[str]] = {}
    for old, new in list(hit.read_as) + [(query, word) for word, query in hit.bridged]:
        stood_for.setdefault(old, []).append(new)
    if stood_for:
        t.append((" · " if hit.found else "") + " · ".join(_("{new} for {old}").format(new="、".join(news), old=old)
                                                           for old, news in stood_for.items()))
    if hit.heading_found:
        t.append(" · " + _("words in its heading: {words}").format(words=" · ".join(hit.heading_found)))
    if hit.dense_score is not None:
        t.append(f" · cos {hit.dense_score:.2f}")
    return t


def score_text(hit, probability: bool) -> str:
    """A hit's score as a reader takes it: the estimated chance that it is relevant ("97%") in the
    default mode, a mode's raw score (cosine, BM25, …) otherwise."""
    return f"{hit.score:.0%}" if probability else f"{hit.score:.3f}"


def _hit_header(hit, probability: bool = False) -> Text:
    doc = hit.doc
    head = Text()
    head.append(f"{hit.rank:>2}. ", style="bold")
    head.append(f"{score_text(hit, probability):>5}  ", style="dim")
    if doc is not None:
        head.append(f"{year_label(doc)}  ", style="green")
        head.append(f"{doc.region or '?'}  ", style="green")
        title = doc.title or doc.doc_id
        head.append(f"{trim(title, 40)}  ", style="bold")
    head.append(f"[{hit.item.doc_id}]", style="dim")
    head.append("  ")
    head.append_text(_evidence(hit))
    return head


def print_notices(notices) -> None:
    c = _make_console(stderr=True)
    for n in notices:
        c.print(Text(_("note: {note}").format(note=n.say() if hasattr(n, "say") else n), style="yellow"))


def print_hits(query: str, hits) -> None:
    c = _make_console()
    print_notices(getattr(hits, "notices", ()))
    probability = getattr(hits, "probability", False)
    if probability and hits:
        c.print(Text(_("score: estimated chance that the item is relevant"), style="dim"))
    from .search import highlight_spans  # search imports the store; render is loaded without it

    for hit in hits:
        print_hanging(c, _hit_header(hit, probability))
        path = hit.item.path_str
        line = Text(f"    {path + ' › ' if path else ''}{item_label(hit.item)}", style="cyan")
        for a, b in highlight_spans(line.plain, list(hit.heading_found)):  # the heading's words the query holds
            line.stylize("bold yellow", a, b)
        print_hanging(c, line, 6)
        print_indented(c, highlighted(hit.item.text, hit.highlights, hit.match_span))


def print_hit_groups(query: str, by: str, groups: list) -> None:
    c = _make_console()
    table = Table(title=Text(_("{query}: best matches per {by}").format(query=query, by=grouping_word(by))),
                  show_lines=True)
    table.add_column(grouping_word(by), style="green", no_wrap=True)
    table.add_column(_("matches"))
    for g in groups:
        note = Text(_(g.note or "no matches"), style="dim italic")
        if not g.hits and g.below is None:
            table.add_row(Text(say_group(g.key)), note)
            continue
        lines: list[Text] = []
        headers: set[int] = set()
        if g.below is not None:
            # under the floor it is not an answer, but it is what the year has nearest: shown dimmed,
            # so a reader sees whether "no match" means nothing or a near miss (老百姓看病贵, 2023: 46 %)
            head, text = _group_hit_lines(g.below, True)
            head = Text(_("closest: ")).append_text(head)
            head.stylize("dim")
            text.stylize("dim")
            headers |= {0, 1}
            lines += [note, head, text]
        for hit in g.hits:
            headers.add(len(lines))
            lines += _group_hit_lines(hit, getattr(g.hits, "probability", False))
        table.add_row(Text(say_group(g.key)), CJKCell(lines, headers=frozenset(headers)))
    c.print(table)


def _group_hit_lines(hit, probability: bool) -> list[Text]:
    """A hit in a `search --by` table: its header line (score, title, label, evidence), its text."""
    head = Text()
    head.append(f"{score_text(hit, probability)} ", style="dim")
    head.append(f"{trim((hit.doc.title if hit.doc else '') or hit.item.doc_id, 30)} ", style="bold")
    head.append(item_label(hit.item), style="magenta")
    head.append("  ")
    head.append_text(_evidence(hit))
    return [head, highlighted(hit.item.text, hit.highlights, hit.match_span, width=120)]


# --- reuse ---------------------------------------------------------------------------------------

def _location_line(loc, doc: Document | None) -> Text:
    line = Text("    ")
    line.append(loc.doc_id, style="bold")
    if doc is not None:
        line.append(f" ({year_label(doc)}{', ' + doc.region if doc.region else ''})", style="green")
        items = [doc.items[o] for o in loc.item_ordinals]
        if items:
            first = items[0]
            line.append(f" · {item_label(first)}", style="magenta")
            if first.path:
                line.append(f" · {trim(first.path_str, 50)}", style="cyan")
            if len(items) > 1:
                more = len(items) - 1
                line.append(" " + ngettext("(+{n} item)", "(+{n} items)", more).format(n=more), style="dim")
    line.append(f"  [{loc.start}:{loc.end}]", style="dim")
    return line


def copied_in_sentence(fields: dict, width: int, colour: bool = True) -> Text:
    """A reused passage in its whole sentences (records.sentence_fields), the copied text in bold
    yellow (without colour: between [ and ]), trimmed to `width` characters around it."""
    sentence, (a, b) = fields["sentence"], fields["copied"]
    if not colour:
        sentence, (a, b) = f"{sentence[:a]}[{sentence[a:b]}]{sentence[b:]}", (a, b + 2)
    return highlighted(sentence, [(a, b)] if colour else [], None, width)


def print_reuse(report, docs_by_id: dict[str, Document], top: int, width: int = 100) -> None:
    c = _make_console()
    clusters = report.clusters[:top]
    from .reuse import ACROSS_LABELS

    across = "" if report.across == "any" else " " + _("({label})").format(label=_(ACROSS_LABELS[report.across]))
    if not clusters:
        c.print(Text(_("no passage of {n}+ characters recurs across the {documents}").format(
            n=report.min_chars, documents=_n(report.n_docs, "document")) + across))
    else:
        c.print(Text(_("{passages} found among {documents}{across}; top {top} by length × documents × rarity").format(
            passages=_n(len(report.clusters), "reused passage"), documents=_n(report.n_docs, "document"),
            across=across, top=len(clusters)), style="bold"))
    for rank, cl in enumerate(clusters, 1):
        head = Text()
        head.append(f"{rank:>2}. ", style="bold")
        head.append(_("score {score:.0f}").format(score=cl.score) + "  ", style="dim")
        head.append(_("{docs} docs  {chars} chars").format(docs=cl.n_docs, chars=cl.chars), style="yellow")
        c.print(head)
        print_indented(c, copied_in_sentence(sentence_fields(cl.locations[cl.rep], docs_by_id.get(
            cl.locations[cl.rep].doc_id)), width * 2, _colour(c)))
        for loc in cl.locations:
            c.print(_location_line(loc, docs_by_id.get(loc.doc_id)))
    if not report.doc_shares:
        return
    table = Table(title=_("share of each document found elsewhere (verbatim runs)"))
    for col, just in ((N_("document"), "left"), (N_("year"), "left"), (N_("chars"), "right"),
                      (N_("in earlier"), "right"), (N_("in any other"), "right"), (N_("top sources"), "left")):
        table.add_column(_(col), justify=just, overflow="fold", no_wrap=col == "document")
    for s in report.doc_shares:
        doc = docs_by_id.get(s.doc_id)
        sources = ", ".join(f"{x.doc_id} {x.share:.1%}" for x in s.sources) or "-"
        table.add_row(Text(s.doc_id), Text(year_label(doc) if doc else "?"), Text(str(s.chars)),
                      Text(f"{s.share_earlier:.1%}"), Text(f"{s.share_any:.1%}"), Text(sources))
    c.print(table)


# --- compare -------------------------------------------------------------------------------------

_STATUS_STYLE = {"same": "dim", "edited": "yellow", "rewritten": "magenta", "related": "blue",
                 "new": "green", "dropped": "red"}
# A sentence inside a rewritten / related alignment: its mark (shown with or without colour, four
# states are too many for colour alone) and style.
_SENTENCE_MARK = {"same": ("= ", "dim"), "reworded": ("~ ", ""), "new": ("+ ", "green"),
                  "dropped": ("- ", "red")}


def compare_summary_line(cmp, with_counts: bool = True) -> str:
    """One line a reader (and a report) can quote: counts (unless shown elsewhere), verbatim
    share, sentences, time."""
    s = cmp.summary
    counts = " · ".join(f"{term(k)} {v}" for k, v in s.counts.items()) + " | " if with_counts else ""
    sem = _("with semantics") if cmp.semantic else _("no semantics (rewritten and related not detected)")
    return counts + _("{share:.1%} of B verbatim in A | {kept}/{sentences} B sentences verbatim in A | "
                      "{seconds:.2f} s, {semantics}").format(share=s.verbatim_share, kept=s.sentences_verbatim,
                                                           sentences=s.sentences, seconds=cmp.seconds, semantics=sem)


def diff_text(ops, colour: bool = True) -> Text:
    """A character diff as one line: deletions red struck through, insertions green; without
    colour (a pipe, a file) marked as [-deleted-]{+inserted+}."""
    out = Text()
    for op in ops:
        if op.tag == "equal":
            out.append(op.b_text)
            continue
        if op.a_text:
            out.append(op.a_text, style="red strike") if colour else out.append(f"[-{op.a_text}-]")
        if op.b_text:
            out.append(op.b_text, style="bold green") if colour else out.append(f"{{+{op.b_text}+}}")
    return out


def _marked_sentences(text: str, spans, width: int) -> Text:
    """`text` (trimmed to `width`) with the given [start, end) spans underlined."""
    body = Text(text[:width].replace("\n", " "))
    for s, e in spans:
        if s < width:
            body.stylize("underline cyan", s, min(e, width))
    if len(text) > width:
        body.append("…")
    return body


def print_comparison(cmp, statuses, width: int = 240) -> None:
    c = _make_console()
    colour = _colour(c)
    s = cmp.summary
    c.print(Text(f"A  {cmp.a.doc_id}  {cmp.a.title}  [{year_label(cmp.a)}]", style="bold"))
    c.print(Text(f"B  {cmp.b.doc_id}  {cmp.b.title}  [{year_label(cmp.b)}]", style="bold"))
    line = Text()
    for k, v in s.counts.items():
        line.append(f"{term(k)} {v}  ", style=_STATUS_STYLE[k])
    c.print(line)
    c.print(Text(_("{share:.1%} of B's characters stand verbatim in A (runs ≥ {run_min}); {kept}/{sentences} "
                   "B sentences verbatim in A; {seconds:.2f} s").format(
        share=s.verbatim_share, run_min=cmp.thresholds.run_min, kept=s.sentences_verbatim, sentences=s.sentences,
        seconds=cmp.seconds) + ("" if cmp.semantic else _(", no semantics (rewritten and related not detected)"))))
    if s.longest_runs:
        table = Table(title=_("longest verbatim runs"), show_header=True, box=None)
        table.add_column(_("chars"), justify="right")
        table.add_column(_("B item"))
        table.add_column(_("text"), overflow="fold")
        for r in s.longest_runs:
            table.add_row(Text(str(r.chars)), Text(item_label(cmp.b.items[r.b_ordinal])), Text(trim(r.text, 60)))
        c.print(table)
    c.print()
    for al in cmp.alignments:
        if al.status not in statuses:
            continue
        head = Text()
        head.append(padded(term(al.status), 9), style="bold " + _STATUS_STYLE[al.status])
        head.append(f" A {items_label(al.a_items)}", style="cyan")
        head.append("  →  ")
        head.append(f"B {items_label(al.b_items)}", style="cyan")
        if al.a_items and al.b_items:
            head.append("  " + _("chars {similarity:.2f}").format(similarity=al.char_similarity), style="dim")
            if al.semantic_similarity is not None:
                head.append(f"  cos {al.semantic_similarity:.3f}", style="dim")
            if al.sentence_share is not None:
                head.append("  " + _("{share:.0%} of B's sentences kept or reworded").format(share=al.sentence_share),
                            style="dim")
        print_hanging(c, head, 10)
        b_text = "\n".join(it.text for it in al.b_items)
        if al.status == "same":
            print_indented(c, Text(trim(b_text, width), style="dim"))
        elif al.status == "edited":
            print_indented(c, diff_text(al.diff, colour))
        elif al.status in ("rewritten", "related"):
            print_sentences(c, cmp, al, colour)
        elif al.status == "new":
            spans = [(m.start, m.end) for m in al.verbatim_sentences]
            body = _marked_sentences(b_text, spans, width)
            body.stylize("green")
            print_indented(c, body if colour else Text("+ ").append_text(body))
        else:  # dropped
            a_text = trim("\n".join(it.text for it in al.a_items), width)
            print_indented(c, Text(a_text, style="red") if colour else Text("- " + a_text))


def print_sentences(c: Console, cmp, al, colour: bool) -> None:
    """A rewritten / related alignment sentence by sentence: `= ` kept, `~ ` reworded (with the
    character diff from A's sentence), `+ ` new in B, `- ` A's, gone."""
    for p in al.sentences:
        mark, style = _SENTENCE_MARK[p.status]
        if p.status == "reworded":
            body = diff_text(p.diff, colour)
        elif p.status == "dropped":
            body = Text(cmp.a.items[p.a_ordinal].text[p.a_start:p.a_end], style=style)
        else:
            body = Text(cmp.b.items[p.b_ordinal].text[p.b_start:p.b_end], style=style)
        print_indented(c, Text(mark, style=style).append_text(body))


# --- check ---------------------------------------------------------------------------------------

_LEVEL_STYLE = {"verbatim": "bold red", "disguised": "bold magenta", "paraphrased": "yellow"}
# How a changed piece is marked on each side without colour (a pipe, a file).
_PLAIN_MARK = {"synonym": ("{~", "~}"), "variable": ("{#", "#}"), "replace": ("[-", "-]"),
               "insert": ("{+", "+}"), "delete": ("[-", "-]")}
_OP_STYLE = {"synonym": "bold magenta underline", "variable": "bold cyan", "replace": "bold red",
             "insert": "bold green", "delete": "red strike"}


def passage_side(ops, side: str, colour: bool = True) -> Text:
    """One side of a passage ("source" or "checked") with what differs from the other side
    marked: synonyms swapped (magenta), years/numbers/places changed (cyan), other edits (red /
    green). Without colour: {~swapped~}, {#changed#}, [-edited-] / {+added+}."""
    out = Text()
    for op in ops:
        text = op.source_text if side == "source" else op.checked_text
        if not text:
            continue
        if op.tag == "equal":
            out.append(text.replace("\n", " "))
            continue
        if colour:
            out.append(text.replace("\n", " "), style=_OP_STYLE[op.tag])
        else:
            left, right = _PLAIN_MARK[op.tag]
            if op.tag in ("replace", "insert", "delete"):
                left, right = ("[-", "-]") if side == "source" else ("{+", "+}")
            out.append(f"{left}{text}{right}".replace("\n", " "))
    return out


def _pct(x: float) -> str:
    return percent(x)


def check_summary_lines(report) -> list[str]:
    """The figures a 查重 report leads with, as lines a reader (and the HTML report) can quote."""
    lv = report.by_level
    top = report.sources[0] if report.sources else None
    lines = [_("总文字复制比 (copied share): {share} of {chars:,} characters — verbatim {verbatim} · disguised "
               "{disguised} · paraphrased {paraphrased}").format(
        share=_pct(report.share), chars=report.chars, verbatim=_pct(lv["verbatim"]), disguised=_pct(lv["disguised"]),
        paraphrased=_pct(lv["paraphrased"]))]
    if top is not None:
        lines.append(_("单篇最大文字复制比 (largest single source): {share} — {doc}").format(
            share=_pct(top.share), doc=top.doc.doc_id + (" " + top.doc.title if top.doc.title else "")))
    else:
        lines.append(_("单篇最大文字复制比 (largest single source): 0.0% — nothing found in the index"))
    st = report.settings
    para = (_("paraphrased: window cosine ≥ {min}").format(min=st.paraphrase_min) if st.paraphrase
            else _("paraphrase level off"))
    lines.append(_("{passages} from {sources}; compared with {documents} of {index}").format(
        passages=_n(len(report.passages), "passage"), sources=_n(len(report.sources), "document"),
        documents=_n(report.compared_documents, "document"), index=report.index_location)
        + filters_note(report.filters)
        + (_(", excluding {ids}").format(ids=", ".join(report.excluded)) if report.excluded else ""))
    lines.append(_("levels: verbatim = a run of ≥ {min_chars} identical characters (CNKI's rule); disguised = "
                   "identical after synonyms, years/numbers/places masked, gaps ≤ {max_gap} bridged; {para}; "
                   "{seconds:.2f} s").format(min_chars=st.min_chars, max_gap=st.max_gap, para=para,
                                             seconds=report.seconds))
    return lines


def print_check(report, top: int = 30) -> None:
    """A 查重 report: a summary panel, the sources, the passages side by side, the items."""
    c = _make_console()
    colour = _colour(c)
    d = report.doc
    body = Text()
    for n, line in enumerate(check_summary_lines(report)):
        body.append(("\n" if n else "") + line, style="bold" if n < 2 else "dim")
    for note in report.notices:
        body.append("\n" + _("note: {note}").format(note=note.say() if hasattr(note, "say") else note),
                    style="yellow")
    title = Text(_("查重 {doc}").format(doc=d.doc_id) + f"  {trim(d.title or '', 40)}  [{year_label(d)}]")
    c.print(Panel(body, title=title, title_align="left", expand=False) if c.is_terminal else body)

    if report.sources:
        table = Table(title=_("sources (share of the checked document found in each)"))
        for col, just in (("#", "right"), (N_("share"), "right"), (N_("verbatim"), "right"), (N_("disguised"), "right"),
                          (N_("paraphrased"), "right"), (N_("year"), "left"), (N_("region"), "left"),
                          (N_("title"), "left"), (N_("document"), "left")):
            table.add_column(_(col), justify=just, overflow="fold", no_wrap=col == "document")
        for n, s in enumerate(report.sources[:max(top, 10)], 1):
            table.add_row(Text(str(n)), Text(_pct(s.share), style="bold"), Text(_pct(s.by_level["verbatim"])),
                          Text(_pct(s.by_level["disguised"])), Text(_pct(s.by_level["paraphrased"])),
                          Text(year_label(s.doc)), Text(s.doc.region or "?"), Text(trim(s.doc.title or "", 30)),
                          Text(s.doc.doc_id))
        c.print(table)
        if len(report.sources) > max(top, 10):
            c.print(Text(_("… {n} more sources (--format json lists all)").format(n=len(report.sources) - max(top, 10)),
                         style="dim"))

    shown = report.passages if top <= 0 else report.passages[:top]
    for n, p in enumerate(shown, 1):
        chk = d.items[p.checked_item]
        head = Text()
        head.append(f"{n:>3}. ", style="bold")
        head.append(padded(term(p.level), 11), style=_LEVEL_STYLE[p.level])
        head.append(" " + _("{n} chars").format(n=p.chars), style="dim")
        head.append(f"  {items_label([chk])}", style="cyan")
        head.append("  ←  ")
        head.append(p.source_doc_id, style="bold")
        head.append(f" {items_label([p.source_item])}", style="cyan")
        if p.level == "paraphrased":
            head.append(f"  cos {p.similarity:.3f}", style="dim")
        swapped = [f"{o.source_text}→{o.checked_text}" for o in p.ops if o.tag == "synonym"]
        if swapped:
            head.append("  " + _("swapped: {words}").format(words=", ".join(dict.fromkeys(swapped))), style="magenta")
        print_hanging(c, head, 16)
        print_indented(c, Text(padded(_("source"), 8), style="dim").append_text(passage_side(p.ops, "source", colour)), 6)
        print_indented(c, Text(padded(_("checked"), 8), style="dim").append_text(passage_side(p.ops, "checked", colour)), 6)
    if top > 0 and len(report.passages) > top:
        c.print(Text(_("… {n} more passages (--top 0 shows all; --html writes them all)").format(
            n=len(report.passages) - top), style="dim"))

    table = Table(title=_("items of the checked document (copied share)"))
    for col, just in ((N_("item"), "left"), (N_("chars"), "right"), (N_("copied"), "right"), (N_("verbatim"), "right"),
                      (N_("disguised"), "right"), (N_("paraphrased"), "right")):
        table.add_column(_(col), justify=just, overflow="fold")
    for it in report.items:
        if not it.chars:
            continue
        style = "bold" if it.share >= 0.5 else ("dim" if it.share == 0 else "")
        table.add_row(Text(trim(items_label([it.item]), 50)), Text(str(it.chars)), Text(_pct(it.share), style=style),
                      *[Text(str(it.by_level[lv])) for lv in ("verbatim", "disguised", "paraphrased")])
    c.print(table)


# --- trend ---------------------------------------------------------------------------------------

_EIGHTHS = " ▏▎▍▌▋▊▉"


def share_bar(share: float, top: float, width: int = 12) -> str:
    """A horizontal bar of `width` cells for `share`, full at `top`, in eighths of a cell; a share
    above zero always shows at least a sliver."""
    if top <= 0 or share <= 0:
        return ""
    eighths = max(1, round(min(share / top, 1.0) * width * 8))
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def print_trend(table) -> None:
    """One row per group (years in order, gaps shown as gaps), one column per query: matching
    items, their share of the group's items and a bar on one scale for the whole table; with a
    single query, also the documents mentioning it and the best example."""
    c = _make_console()
    print_notices(table.notices)
    single = len(table.queries) == 1
    cells = [cell for g in table.groups for cell in g.cells]
    top = max((cell.share for cell in cells), default=0.0)
    what = " · ".join(_("{query} (by {basis})").format(query=q.text, basis=term(q.basis)) for q in table.queries)
    title = Text(_("{what}: matching items per {by}").format(what=what, by=grouping_word(table.by))
                 + (f" · {table.filters.describe(speak=True)}" if table.filters else ""))
    t = Table(title=title, show_lines=False)
    t.add_column(grouping_word(table.by), style="green", no_wrap=True)
    t.add_column(_("docs"), justify="right")
    t.add_column(_("items"), justify="right")
    for q in table.queries:
        t.add_column(Text(_("matches") if single else q.text), no_wrap=True)
    if single:
        t.add_column(_("docs mentioning"), justify="right")
        t.add_column(_("example"), overflow="fold")
    for g in table.groups:
        row = [Text(say_group(g.label)), Text(str(g.documents)), Text(str(g.items))]
        if g.gap:
            row += [Text(_("no document"), style="dim italic")] + [Text("")] * (len(table.queries) - 1)
            row += [Text(""), Text("")] if single else []
            t.add_row(*row)
            continue
        for cell in g.cells:
            cell_text = Text(f"{cell.matches:>3} {cell.share:>6.1%} ")
            cell_text.append(share_bar(cell.share, top), style="cyan")
            if cell.headings and not single:
                cell_text.append(f" +{cell.headings}h", style="dim")
            row.append(cell_text)
        if single:
            cell = g.cells[0]
            mention = str(cell.documents) + (" " + ngettext("(+{n} heading)", "(+{n} headings)", cell.headings).format(
                n=cell.headings) if cell.headings else "")
            row.append(Text(mention))
            ex = cell.example
            row.append(CJKCell([highlighted(ex.item.text, ex.highlights, ex.match_span, width=60)]) if ex else Text(""))
        t.add_row(*row)
    c.print(t)
    if table.by == "year":  # the same line as the web page's
        for q in table.queries:
            c.print(Text(_("{query}: {first_seen}").format(query=q.text, first_seen=q.first_seen())))
    heads = "" if single or not any(cell.headings for cell in cells) else " " + _("+Nh: N headings name it.")
    c.print(Text(_("share = matching items / the {by}'s items; a full bar = {top:.1%}.{heads} An item matches when it "
                   "holds at least {words_min:.0%} of the query's words by weight (or, for a query no item has the "
                   "words of, by meaning); see README, trend.").format(
        by=grouping_word(table.by), top=top, heads=heads, words_min=table.rule.words_min), style="dim"))


# --- lineage -------------------------------------------------------------------------------------

_COPY_STYLE = {"verbatim": "red", "edited": "yellow", "disguised": "magenta", "reworded": "cyan"}


def _copy_line(o, width: int = 60, with_relation: bool = True) -> Text:
    t = Text()
    t.append(when_said(o), style="bold")
    t.append(f"  {o.doc_id}", style="bold")
    t.append(f" {o.label or '·'}", style="cyan")
    place = " · ".join(x for x in (o.region, o.issuer) if x)
    if place:
        t.append(f"  {place}", style="dim")
    if o.direct:
        t.append("  " + term(o.level), style=_COPY_STYLE.get(o.level, ""))
        t.append(f" {o.similarity:.2f}", style="dim")
    else:
        t.append("  " + _("through the chain"), style="dim")
    if with_relation and o.relation == "same-period":
        t.append("  " + _("same period: cannot be ordered"), style="yellow")
    t.append("  " + trim(o.text, width), style="dim")
    return t


def print_lineage(lin, show_all: bool = False, width: int = 60) -> None:
    """Each item's copies as a tree: the earliest in this corpus, the parent chain, the later copies."""
    c = _make_console()
    d = lin.doc
    head = Text(_("lineage of {doc}").format(doc=d.doc_id), style="bold")
    head.append(f"  {trim(d.title or '', 40)}  [{year_label(d)}{' · ' + d.date if d.date else ''}]", style="dim")
    c.print(head)
    c.print(Text(_("copies looked for in {n} documents{filters}; \"earliest in this corpus\" is not the origin: "
                   "the source may be outside the corpus").format(
        n=lin.compared_documents, filters=filters_note(lin.filters)), style="dim"))
    if lin.items:
        c.print(Text(copied_line(lin), style="bold"))
    lonely = 0
    for il in lin.items:
        if not il.occurrences and not show_all:
            lonely += 1
            continue
        label = Text()
        label.append(f"{il.label or '·'} ", style="cyan bold")
        label.append(trim(il.text, width))
        if il.boilerplate:
            label.append("  " + _("boilerplate: in {n} documents, no lineage drawn").format(n=il.documents), style="yellow")
        elif il.occurrences:
            label.append("  " + ngettext("in {n} document", "in {n} documents", il.documents).format(n=il.documents),
                         style="dim")
        else:
            label.append("  " + (_("no copy elsewhere") if il.traced else _("too short to trace")), style="dim")
        tree = Tree(label)
        if not il.boilerplate and il.occurrences:
            if il.earliest is not None:
                tree.add(Text(labelled(_("earliest in this corpus")), style="green").append_text(_copy_line(il.earliest, width)))
                for o in il.same_period_as_earliest:
                    tree.add(Text(labelled(_("same period as the earliest")), style="yellow").append_text(
                        _copy_line(o, width, with_relation=False)))
            else:
                tree.add(Text(_("nothing earlier in this corpus: this item is the earliest copy"), style="green"))
                for o in il.same_period_as_earliest:
                    tree.add(Text(labelled(_("same period")), style="yellow").append_text(_copy_line(o, width)))
            if il.chain:
                chain = Text(labelled(_("parent chain")), style="green")
                chain.append(" ← ".join([_("this")] + [f"{when_said(o)} {o.doc_id}" for o in il.chain]))
                tree.add(chain)
            others = [o for o in il.occurrences if o is not il.earliest and o not in il.same_period_as_earliest]
            for o in others:
                lead = {"earlier": _("earlier"), "same-period": _("same period"), "later": _("later")}[o.relation]
                tree.add(Text(labelled(lead), style="dim").append_text(_copy_line(o, width, with_relation=False)))
        c.print(tree)
    if lonely:
        c.print(Text(ngettext("{n} item has no copy in the other documents (--all shows it)",
                              "{n} items have no copy in the other documents (--all shows them)", lonely).format(n=lonely),
                     style="dim"))
    c.print(Text(_("{s:.1f} s").format(s=lin.seconds), style="dim"))


def print_diffusion(graph, top: int = 30) -> None:
    """The edge table (who copies whom) and the nodes' roles."""
    c = _make_console()
    c.print(Text(_("who copies whom, by {by}: {docs} documents{filters}; {n} boilerplate measures left out").format(
        by=term(graph.by), docs=graph.documents, filters=filters_note(graph.filters),
        n=graph.boilerplate_groups), style="bold"))
    table = Table(title=_("edges: A → B when items of B have their parent in A"))
    for col, just in ((N_("from"), "left"), (N_("to"), "left"), (N_("items"), "right"), (N_("chars"), "right"),
                      (N_("verbatim"), "right"), (N_("edited"), "right"), (N_("disguised"), "right"),
                      (N_("reworded"), "right"), (N_("median lag (years)"), "right")):
        table.add_column(_(col), justify=just, overflow="fold")
    for e in graph.edges[:top]:
        arrow_to = Text(e.target)
        if e.same_period and e.is_self:
            arrow_to.append("  " + _("(its own documents of the same period)"), style="dim")
        elif e.same_period:
            arrow_to.append("  " + _("(same period, undirected)"), style="yellow")
        elif e.is_self:
            arrow_to.append("  " + _("(its own earlier documents)"), style="dim")
        table.add_row(Text(e.source), arrow_to, Text(str(e.items), style="bold"), Text(str(e.chars)),
                      *[Text(str(e.by_level.get(lv, 0))) for lv in ("verbatim", "edited", "disguised", "reworded")],
                      Text("" if e.median_lag is None else f"{e.median_lag:g}"))
    c.print(table)
    if len(graph.edges) > top:
        c.print(Text(_("… {n} more edges (--top 0 shows all; --format json lists all)").format(n=len(graph.edges) - top),
                     style="dim"))
    roles = Table(title=_("each {by}: first seen here and copied, taken from others").format(by=term(graph.by)))
    for col, just in ((term(graph.by), "left"), (N_("first seen here, copied"), "right"), (N_("taken from others"), "right"),
                      (N_("carried from its own"), "right"), (N_("top sources"), "left"), (N_("top followers"), "left"),
                      (N_("median lag (years)"), "right")):
        roles.add_column(_(col), justify=just, overflow="fold")
    for r in graph.roles[:top]:
        if not (r.first_seen_copied or r.taken or r.carried):
            continue
        roles.add_row(Text(r.node), Text(str(r.first_seen_copied)), Text(str(r.taken)), Text(str(r.carried)),
                      Text(", ".join(f"{n} ({k})" for n, k in r.top_sources[:3])),
                      Text(", ".join(f"{n} ({k})" for n, k in r.top_followers[:3])),
                      Text("" if r.median_lag is None else f"{r.median_lag:g}"))
    c.print(roles)
    c.print(Text(_("{s:.1f} s").format(s=graph.seconds), style="dim"))
