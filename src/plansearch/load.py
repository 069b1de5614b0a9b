"""Reading input files into SourceText: the first stage of ingest.

    read_source(path) -> SourceText             (raises LoadError naming the file and the problem)
    iter_sources(root) -> SourceText | LoadError  (a file, or every supported file under a directory)

Formats:
- .txt/.text: any encoding people have. Detected, not assumed: BOMs, BOM-less UTF-16 by where the
  NUL bytes fall, strict UTF-8, then the Chinese legacy encodings (GB18030 ⊃ GBK ⊃ GB2312, Big5),
  choosing between them by which decoding yields more common Chinese characters. Detection looks at
  a prefix sample so a 20 MB file costs one decode.
- .docx: paragraph text plus the list labels Word generates from the numbering definitions
  (一、 / （一） / 1. / （1） / ①), which python-docx's `paragraph.text` leaves out; table rows too.
- .pdf: pypdf's text layer; no text layer (a scan) is an error, not an empty document.
- .html/.htm: text without markup, scripts, styles, navigation, headers and footers; block
  elements become line breaks.
"""
from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import html
import html.parser
import io
import logging
import os
import re
import stat
import threading
import unicodedata
import warnings
import zipfile
from pathlib import Path
from typing import Iterator

from .i18n import N_, _, ngettext
from .models import LoadError, PlansearchError, SourceText

FORMATS = {".txt": "txt", ".text": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
# Files a corpus directory holds that are not documents.
_NOT_DOCUMENTS = re.compile(r"^(manifest\.csv|readme(\..*)?)$", re.I)
# Formats people try that we cannot read, with what to do instead.
_UNSUPPORTED_HINTS = {
    ".doc": N_("Word 97-2003 .doc is not supported: save it as .docx"),
    ".wps": N_("WPS .wps is not supported: save it as .docx"),
    ".rtf": N_(".rtf is not supported: save it as .docx or .txt"),
}

SAMPLE_BYTES = 256 * 1024  # encoding detection reads at most this much of a file


# ---------------------------------------------------------------- walking a corpus

def iter_sources(root: str | os.PathLike) -> Iterator[SourceText | LoadError]:
    """A file: that file. A directory: every supported file under it, sorted, recursively.

    Hidden files, manifest.csv, README* and files of other types in a directory are skipped
    silently. A file that cannot be read comes back as a LoadError (the caller reports it and goes
    on), and so does what looks like a document but is not one: a folder named x.txt, a symbolic
    link that is broken or loops, a link to a folder (not followed, so a link cannot make the walk
    loop or read a folder twice), a pipe. A missing path raises PlansearchError."""
    root = Path(root)
    check_exists(root)
    if not root.is_dir():
        yield _try_read(root)
        return
    for _rel, entry in sorted(_walk(root), key=lambda found: found[0]):
        yield entry if isinstance(entry, LoadError) else _try_read(entry)


def check_exists(path: Path) -> None:
    """PlansearchError naming the path when there is nothing there to read."""
    if path.exists():
        return
    if path.is_symlink():
        raise PlansearchError(_("{path}: {problem}").format(path=shown_path(path), problem=_dead_link(path)))
    raise PlansearchError(_("{path}: no such file or directory").format(path=shown_path(path)))


def _dead_link(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return _("symbolic link loop")
    try:
        return _("broken symbolic link (to {target})").format(target=os.readlink(path))
    except OSError:
        return _("broken symbolic link")


def _walk(root: Path) -> list[tuple[str, Path | LoadError]]:
    """(path relative to root, the file to read or why an entry that looks like one is not read)."""
    found: list[tuple[str, Path | LoadError]] = []

    def add(p: Path, entry: Path | LoadError) -> None:
        found.append((p.relative_to(root).as_posix(), entry))

    def unreadable_folder(e: OSError) -> None:
        if e.filename and Path(e.filename) != root:
            add(Path(e.filename), LoadError(e.filename, _("cannot read folder ({error})").format(error=e.strerror or e)))
        else:
            raise PlansearchError(_("{path}: cannot read folder ({error})").format(path=root, error=e.strerror or e))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable_folder):
        here = Path(dirpath)
        kept = []
        for name in dirnames:
            p = here / name
            if name.startswith("."):
                continue
            if p.is_symlink():
                add(p, LoadError(p, _("symbolic link to a folder: not followed (name the folder itself to read it)")))
                continue
            if p.suffix.lower() in FORMATS:
                add(p, LoadError(p, _("is a directory (the files in it are read)")))
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            p = here / name
            suffix = p.suffix.lower()
            if name.startswith(".") or _NOT_DOCUMENTS.match(name):
                continue
            if p.is_symlink() and not p.exists():  # os.walk lists dead links and link loops as files
                if suffix in FORMATS or not suffix:
                    add(p, LoadError(p, _dead_link(p)))
            elif suffix in FORMATS:
                add(p, p)
    return found


def _try_read(path: Path) -> SourceText | LoadError:
    try:
        return read_source(path)
    except LoadError as e:
        return e


def shown_path(path: str | os.PathLike) -> str:
    """A path as it can be printed and stored: a file name that is not valid UTF-8 (bytes the
    file system keeps as surrogates, `bad-\\xff.txt`) gets its stray bytes escaped as \\xff."""
    text = os.fspath(path)
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def read_source(path: str | os.PathLike) -> SourceText:
    """One file decoded to text. Raises LoadError(path, problem) when it cannot be."""
    path = Path(path)
    ext = path.suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        hint = _UNSUPPORTED_HINTS.get(ext)
        raise LoadError(path, _(hint) if hint else _("unsupported file type {ext} (supported: {formats})").format(
            ext=ext or _("(no extension)"), formats=", ".join(sorted(FORMATS))))
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise LoadError(path, _("is a directory"))
        if not stat.S_ISREG(mode):  # reading a pipe would wait for a writer forever
            raise LoadError(path, _("not a regular file (a pipe, socket or device)"))
        size = path.stat().st_size
        if size > max_file_bytes():
            # A plan is rarely over 1 MB; reading a 3 GB file (a sparse or runaway one) would hang.
            raise LoadError(path, _("too large to be a plan ({size:,} MB; plansearch reads files up to {limit:,} MB, "
                                    "set PLANSEARCH_MAX_FILE_MB to raise it)").format(
                size=round(size / 2**20), limit=max_file_bytes() // 2**20))
        data = path.read_bytes()
        if not data:
            raise LoadError(path, _("empty file"))
    except OSError as e:
        if path.is_symlink() and not path.exists():
            raise LoadError(path, _dead_link(path)) from None
        raise LoadError(path, _("cannot read ({error})").format(error=e.strerror or e)) from None
    repaired: list[str] = []
    if fmt == "txt":
        text, encoding = decode_text(data, path, repaired=repaired)
    elif fmt == "html":
        raw, encoding = decode_text(data, path, declared=_declared_html_charset(data), repaired=repaired)
        text = html_to_text(raw)
    elif fmt == "docx":
        text, encoding = docx_to_text(data, path), None
    else:
        text, encoding = pdf_to_text(data, path), None
    if not text.strip():
        raise LoadError(path, _("empty file") if fmt in ("txt", "html") else _("no text in the file"))
    return SourceText(path=shown_path(path), text=text, fmt=fmt, encoding=encoding, warnings=repaired)


# ---------------------------------------------------------------- text encodings

@functools.lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """The characters everyday Chinese text is made of, in both scripts: GB2312 level 1 (the 3755
    most used Simplified characters) and Big5's frequently-used block (5401 Traditional ones).
    A wrong legacy decoding turns text into rare characters, a right one into these."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if lead == 0xC6 and trail > 0x7E:
                break
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    chars.update("，。、；：？！“”‘’（）《》【】—…·")
    return frozenset(chars)


def _common_score(text: str) -> int:
    common = _common_hanzi()
    return sum(1 for ch in text if ch in common)


_ALLOWED_CONTROLS = set("\t\n\r\x0b\x0c")


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ch < " " and ch not in _ALLOWED_CONTROLS) or ch == "\x7f")
    return bad / len(text)


def _cut_sample(data: bytes, limit: int = SAMPLE_BYTES) -> bytes:
    """A prefix of data ending at a line break, so no multi-byte character is cut in half
    (0x0A is never part of a GB18030/Big5/UTF-8 multi-byte sequence)."""
    if len(data) <= limit:
        return data
    cut = data.rfind(b"\n", 0, limit)
    return data[: cut + 1] if cut > limit // 2 else data[:limit]


def _utf16_shape(sample: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when NUL-bearing bytes read as UTF-16 text, None otherwise.
    Not by NUL parity alone: ASCII puts NULs on one side ('a' is 61 00 in LE), but so common a
    character as 一 (U+4E00) puts one on the other. The byte order whose decoding is ordinary
    text (ASCII or common Chinese characters, no controls) wins."""
    best = None
    for enc in ("utf-16-le", "utf-16-be"):
        text = sample.decode(enc, errors="replace")
        if not text:
            continue
        bad = text.count("\ufffd")
        if bad > 0.01 * len(text) or _control_ratio(text) > 0.01:
            continue
        good = _common_score(text) + sum(1 for ch in text if " " <= ch <= "~" or ch in "\r\n\t")
        if good >= 0.6 * len(text) and (best is None or good > best[0]):
            best = (good, enc)
    return best[1] if best else None


def _not_text(path, why: str) -> LoadError:
    return LoadError(path, _("not a text file ({why})").format(why=_(why)))


# What a file saved under a text name usually is, told by its first bytes, and what to do about it.
_MAGIC = (
    (b"%PDF-", N_("a PDF document: name it .pdf")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", N_("a Word 97-2003 or WPS document: save it as .docx")),
    (b"{\\rtf", N_("an RTF document: save it as .docx or .txt")),
    (b"\x89PNG\r\n\x1a\n", N_("a PNG image")),
    (b"\xff\xd8\xff", N_("a JPEG image")),
    (b"GIF87a", N_("a GIF image")),
    (b"GIF89a", N_("a GIF image")),
    (b"\x1f\x8b", N_("a gzip archive")),
    (b"7z\xbc\xaf\x27\x1c", N_("a 7-Zip archive")),
    (b"Rar!\x1a\x07", N_("a RAR archive")),
    (b"\x7fELF", N_("a program")),
)


def _known_binary(data: bytes) -> str | None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    if data.startswith(b"PK\x03\x04"):
        # a .docx is a zip holding word/document.xml; its name is in the first local header
        return (N_("a Word .docx document: name it .docx") if b"word/" in data[:64 * 1024]
                else N_("a ZIP archive"))
    return None


def max_file_bytes() -> int:
    """The largest file plansearch reads: 64 MB, or $PLANSEARCH_MAX_FILE_MB."""
    try:
        return max(1, int(os.environ.get("PLANSEARCH_MAX_FILE_MB", "64"))) * 2**20
    except ValueError:
        return 64 * 2**20


def decode_text(data: bytes, path: str | os.PathLike = "<bytes>", declared: str | None = None,
                repaired: list[str] | None = None) -> tuple[str, str]:
    """(text, encoding name) for the bytes of a text file. Raises LoadError for an empty or
    binary file. `declared` is an encoding the file names itself (HTML meta charset): used when
    it decodes the sample cleanly. A few undecodable bytes in an otherwise good file are read as
    U+FFFD, and `repaired` is told where (file and byte offsets)."""
    if not data.strip(b" \t\r\n\x00"):
        raise LoadError(path, _("empty file"))
    what = _known_binary(data)
    if what:
        raise _not_text(path, what)
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                     (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return _decode_whole(data, enc, path, repaired), enc

    sample = _cut_sample(data)
    if b"\x00" in sample:
        enc = _utf16_shape(sample[: len(sample) // 2 * 2])
        if enc is None:
            raise _not_text(path, N_("binary data: NUL bytes"))
        return _decode_whole(data, enc, path, repaired), enc

    if declared:
        try:
            sample.decode(declared)
            return _decode_whole(data, declared, path, repaired), declared
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong declaration is common on scraped pages: detect instead

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _mostly_utf8(data, sample, path, repaired)
        if text is not None:
            return text, "utf-8"
    else:
        if _control_ratio(text[:SAMPLE_BYTES]) > 0.01:
            raise _not_text(path, N_("control characters"))
        if not _foreign_letters_only(text[:SAMPLE_BYTES]):
            return text, "utf-8"
        # A short GB18030 text can be valid UTF-8 too (准 = D7 BC reads as Hebrew): a UTF-8 reading
        # with no CJK but other scripts' characters, whose legacy reading is common Chinese, is legacy.
        try:
            enc = _guess_legacy(sample, path)
        except LoadError:
            return text, "utf-8"
        legacy = sample.decode(enc, errors="replace")
        cjk = sum(1 for ch in legacy if "\u3400" <= ch <= "\u9fff")
        if cjk and _common_score(legacy) >= 0.6 * cjk:
            return _decode_whole(data, enc, path, repaired), enc
        return text, "utf-8"

    enc = _guess_legacy(sample, path)
    return _decode_whole(data, enc, path, repaired), enc


def _foreign_letters_only(text: str) -> bool:
    """No CJK character, and characters between Latin and CJK (U+0370–U+1FFF) that are not the
    letters of one script: what legacy Chinese bytes read as UTF-8 look like (准 = D7 BC is an
    unassigned Hebrew code point; a real Greek or Russian text is letters of its one block)."""
    if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text):
        return False
    foreign = [ch for ch in text if "\u0370" <= ch <= "\u1fff"]
    if not foreign:
        return False
    blocks = {ord(ch) >> 7 for ch in foreign}  # 128-code-point blocks: Greek, Cyrillic, Hebrew, …
    return len(blocks) > 1 or not all(ch.isalpha() for ch in foreign)


def _guess_legacy(sample: bytes, path) -> str:
    """The Chinese legacy encoding that reads the sample best. Candidates: GB18030 and Big5 always
    (Big5-HKSCS for the Hong Kong additions), plus charset-normalizer's best guess among them; each
    scored by common Chinese characters, with undecodable bytes as a heavy penalty."""
    candidates = ["gb18030", "big5", "big5hkscs"]
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=["gb18030", "gbk", "gb2312", "big5", "cp950", "big5hkscs",
                                                "utf_8"]).best()
        if best is not None and best.encoding not in candidates:
            candidates.append(best.encoding)
    except Exception:  # detection help is optional; the scoring below decides anyway
        pass
    scored = []
    for enc in candidates:
        try:
            text = sample.decode(enc, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        scored.append((_common_score(text) - 20 * bad, -candidates.index(enc), enc, text, bad))
    score, _order, enc, text, bad = max(scored)
    letters = sum(1 for ch in text if ch.isalnum() or ch.isspace() or unicodedata.category(ch).startswith("P"))
    if bad > 0.01 * len(text) or _control_ratio(text) > 0.01 or letters < 0.7 * len(text):
        raise _not_text(path, N_("no known text encoding fits"))
    return enc


_noted = threading.local()


def _note_bad_byte(e: UnicodeDecodeError):
    _noted.offsets.append(e.start)
    return "\ufffd", e.end


codecs.register_error("plansearch.note", _note_bad_byte)


def _bad_offsets(data: bytes, enc: str, limit: int = 4) -> tuple[list[int], int]:
    """The byte offsets of the first `limit` undecodable bytes, and how many there are in all."""
    _noted.offsets = []
    data.decode(enc, errors="plansearch.note")
    offsets = _noted.offsets
    return offsets[:limit], len(offsets)


def _repaired(path, enc: str, data: bytes, repaired: list[str] | None) -> None:
    if repaired is None:
        return
    offsets, n = _bad_offsets(data, enc)
    repaired.append(ngettext("{path}: {n} byte not valid {enc} at offset {offsets} read as \ufffd",
                             "{path}: {n} bytes not valid {enc} (at offsets {offsets}) read as \ufffd", n).format(
        path=shown_path(path), n=n, enc=enc, offsets=", ".join(f"{o:,}" for o in offsets) + (", …" if n > len(offsets) else "")))


def _mostly_utf8(data: bytes, sample: bytes, path, repaired: list[str] | None) -> str | None:
    """A UTF-8 file with a few stray bytes (a bad copy, a truncated scrape), read with U+FFFD for
    them; None when the bytes read better as a legacy Chinese encoding."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad > max(10, len(text) // 1000) or _control_ratio(text[:SAMPLE_BYTES]) > 0.01:
        return None
    head = sample.decode("utf-8", errors="replace")
    try:
        enc = _guess_legacy(sample, path)
        legacy = sample.decode(enc, errors="replace")
        if _common_score(legacy) - 20 * legacy.count("\ufffd") > _common_score(head) - 20 * head.count("\ufffd"):
            return None
    except LoadError:
        pass
    _repaired(path, "utf-8", data, repaired)
    return text


def _decode_whole(data: bytes, enc: str, path, repaired: list[str] | None = None) -> str:
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        # A few bad bytes deep in a long file (a truncated scrape) should not cost the file.
        text = data.decode(enc, errors="replace")
        if text.count("\ufffd") > max(10, len(text) // 1000):
            raise _not_text(path, _("undecodable as {encoding}").format(encoding=enc)) from None
        _repaired(path, enc, data, repaired)
    if _control_ratio(text[:SAMPLE_BYTES]) > 0.01:
        raise _not_text(path, N_("control characters"))
    return text.lstrip("\ufeff")


# ---------------------------------------------------------------- HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def _declared_html_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii").lower()
    # Pages that say gb2312/gbk routinely contain characters only GB18030 has.
    return "gb18030" if name in ("gb2312", "gbk", "x-gbk") else name


_SKIPPED_TAGS = {"script", "style", "nav", "header", "footer", "head", "noscript", "template", "svg",
                 "iframe", "aside", "form", "button", "select"}
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "main", "blockquote", "pre", "hr", "dd", "dt", "dl", "title",
               "tbody", "thead", "center", "figure", "figcaption", "address"}
_CELL_TAGS = {"td", "th"}
_CELL_MARK = "\x1f"  # stands for a cell boundary until whitespace is folded


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0

    def _break(self):
        line = "".join(self.current)
        if not self.pre_depth:
            line = re.sub(r"[ \t\r\n\f]+", " ", line)
        line = re.sub(rf" ?{_CELL_MARK} ?", "  ", line)  # table cells: two spaces, as for .docx rows
        self.lines.append(line.strip(" "))
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            if tag not in ("br", "hr"):
                self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self._break()
        elif tag in _CELL_TAGS and self.current:
            self.current.append(_CELL_MARK)
        if tag == "pre":
            self.pre_depth += 1

    def handle_startendtag(self, tag, attrs):
        if not self.skip_depth and tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self._break()
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data):
        if not self.skip_depth:
            self.current.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML page, one block element per line."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    parser._break()
    out: list[str] = []
    for line in parser.lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


# ---------------------------------------------------------------- DOCX

# Far beyond any real plan's XML; a zip bomb declares gigabytes (zipfile reads no more than a
# part's declared size, so the declared sizes bound what unpacking costs).
MAX_DOCX_UNPACKED = 1024 * 2**20


def docx_to_text(data: bytes, path) -> str:
    """The document's paragraphs and table rows, one per line, with Word's list labels restored."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    what = None if data.startswith(b"PK") else _known_binary(data)
    if what:
        raise LoadError(path, _("not a .docx ({what})").format(what=_(what)))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise LoadError(path, _("not a valid .docx ({error})").format(error=type(e).__name__)) from None
    if unpacked > MAX_DOCX_UNPACKED:  # python-docx unpacks every part into memory
        raise LoadError(path, _("unpacks to {size} MB, more than the {limit} MB a .docx may take").format(
            size=unpacked // 2**20, limit=MAX_DOCX_UNPACKED // 2**20))
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise LoadError(path, _("not a valid .docx ({error})").format(error=type(e).__name__)) from None
    except Exception as e:  # lxml parse errors and friends inside a damaged package
        raise LoadError(path, _("not a valid .docx ({error})").format(error=f"{type(e).__name__}: {e}")) from None
    lines: list[str] = []
    try:
        _docx_block_lines(document.element.body, _DocxNumbering(document), lines)
    except Exception as e:  # a crafted part python-docx opened but we cannot walk: this file only
        raise LoadError(path, _("not a valid .docx ({error})").format(error=f"{type(e).__name__}: {e}")) from None
    return "\n".join(lines) + "\n"


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


def _docx_block_lines(container, numbering: "_DocxNumbering", lines: list[str]) -> None:
    for child in container.iterchildren():
        if child.tag == _w("p"):
            lines.append(numbering.label(child) + _paragraph_text(child))
        elif child.tag == _w("tbl"):
            for row in child.iter(_w("tr")):
                cells = []
                for tc in row.iterchildren(_w("tc")):
                    cell_lines: list[str] = []
                    _docx_block_lines(tc, numbering, cell_lines)
                    text = " ".join(s.strip() for s in cell_lines if s.strip())
                    if text:
                        cells.append(text)
                if cells:
                    lines.append("  ".join(cells))
        elif child.tag == _w("sdt"):  # content controls wrap ordinary paragraphs
            content = child.find(_w("sdtContent"))
            if content is not None:
                _docx_block_lines(content, numbering, lines)


def _paragraph_text(p) -> str:
    out = []
    for el in p.iter(_w("t"), _w("tab"), _w("br"), _w("cr")):
        if el.tag == _w("t"):
            out.append(el.text or "")
        elif el.tag == _w("tab"):
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _val(el, name: str) -> str | None:
    if el is None:
        return None
    child = el.find(_w(name))
    return None if child is None else child.get(_w("val"))


def _int(value: str | None, default: int) -> int:
    """A number attribute of Word XML (w:start, w:ilvl): what is not a number reads as the default,
    as Word and LibreOffice read a damaged file, instead of costing the file its text."""
    try:
        return int(value.strip()) if value is not None else default
    except ValueError:  # "abc", "1e3", and digit strings longer than Python converts
        return default


def _list_start(value: str | None) -> int:
    return min(max(_int(value, 1), 0), MAX_LIST_START)


_CN_DIGITS = "〇一二三四五六七八九"


def cn_counting(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五: Word's chineseCounting."""
    if n <= 0:
        return _CN_DIGITS[0]
    if n >= 10000:
        return str(n)
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, zero = "", False
    for size, name in units:
        d, n = divmod(n, size)
        if d:
            if zero:
                out += "零"
            out += ("" if (size == 10 and d == 1 and not out) else _CN_DIGITS[d]) + name
            zero = False
        elif out:
            zero = True
    if n:
        if zero:
            out += "零"
        out += _CN_DIGITS[n]
    return out


# Word's "Start at" takes 0..32767; a crafted file can say w:start="1000000000000", and a counter
# that large would make label generation run for hours (Roman numerals) or fill memory (letters).
MAX_LIST_START = 32767
_MAX_ROMAN = 3999  # Roman numerals have no standard form above MMMCMXCIX: Word writes decimal
_MAX_LETTER_REPEAT = 10  # lowerLetter goes a … z, aa … zz, aaa …: past ten letters, decimal


def _roman(n: int) -> str:
    if not 1 <= n <= _MAX_ROMAN:
        return str(n)
    out = ""
    for v, s in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                 (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out += s
            n -= v
    return out


def _letters(n: int) -> str:
    if not 1 <= n <= 26 * _MAX_LETTER_REPEAT:
        return str(n)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    """A counter value in one of Word's numFmt styles. A value a style has no form for (a
    negative; 0 or past 3999 in Roman numerals; 0 or past ten letters in letters; past ⑳ or ㈩ in
    the enclosed ones) is written in decimal."""
    if n < 0:
        return str(n)
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "chineseLegalSimplified", "taiwaneseCountingThousand", "ideographLegalTraditional"):
        return cn_counting(n)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(_CN_DIGITS[int(d)] for d in str(n))
    if fmt == "ideographTraditional":  # 甲乙丙丁
        return "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "ideographEnclosedCircle":  # Word prints ㈠ … ㈩ (parenthesised), then decimal
        return chr(0x3220 + n - 1) if 1 <= n <= 10 else str(n)
    if fmt == "decimalEnclosedParen":
        return chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}."
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt in ("none", "bullet"):
        return ""
    return str(n)  # decimal and anything exotic


class _DocxNumbering:
    """Word's list counters: the labels Word would print in front of numbered paragraphs.

    A paragraph's numPr (direct, or from its paragraph style) names a num instance and a level;
    the num points to an abstractNum whose levels give start, numFmt and lvlText ("%1、",
    "（%2）"). Counters are kept per abstractNum (instances of one list continue each other) unless
    the num restarts a level with a startOverride; a level's counter resets when a shallower level
    of the same list advances."""

    def __init__(self, document):
        self.abstract: dict[str, dict[int, dict]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.style_numpr: dict[str, tuple[str | None, str | None]] = {}
        self.style_based: dict[str, str] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            root = None
        if root is not None:
            for an in root.iterchildren(_w("abstractNum")):
                levels = {}
                for lvl in an.iterchildren(_w("lvl")):
                    ilvl = _int(lvl.get(_w("ilvl")), 0)
                    levels[ilvl] = {
                        "start": _list_start(_val(lvl, "start")),
                        "fmt": _val(lvl, "numFmt") or "decimal",
                        "text": _val(lvl, "lvlText"),
                        "legal": lvl.find(_w("isLgl")) is not None,
                    }
                self.abstract[an.get(_w("abstractNumId"))] = levels
            for num in root.iterchildren(_w("num")):
                overrides = {}
                for ov in num.iterchildren(_w("lvlOverride")):
                    start = _val(ov, "startOverride")
                    if start is not None:
                        overrides[_int(ov.get(_w("ilvl")), 0)] = _list_start(start)
                self.nums[num.get(_w("numId"))] = (_val(num, "abstractNumId"), overrides)
        try:
            for style in document.styles.element.iterchildren(_w("style")):
                sid = style.get(_w("styleId"))
                ppr = style.find(_w("pPr"))
                numpr = ppr.find(_w("numPr")) if ppr is not None else None
                if numpr is not None:
                    self.style_numpr[sid] = (_val(numpr, "numId"), _val(numpr, "ilvl"))
                based = _val(style, "basedOn")
                if based:
                    self.style_based[sid] = based
        except Exception:  # a document without a styles part numbers only directly
            pass

    def _numpr(self, p) -> tuple[str | None, int]:
        ppr = p.find(_w("pPr"))
        num_id = ilvl = None
        if ppr is not None:
            numpr = ppr.find(_w("numPr"))
            if numpr is not None:
                num_id, ilvl = _val(numpr, "numId"), _val(numpr, "ilvl")
            style = _val(ppr, "pStyle")
            seen = set()
            while num_id is None and style and style not in seen:
                seen.add(style)
                s_num, s_lvl = self.style_numpr.get(style, (None, None))
                num_id, ilvl = s_num, ilvl if ilvl is not None else s_lvl
                style = self.style_based.get(style)
        return num_id, _int(ilvl, 0)

    def label(self, p) -> str:
        num_id, ilvl = self._numpr(p)
        if not num_id or num_id == "0" or num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        if ilvl not in levels:
            return ""
        key = f"num:{num_id}" if overrides else f"abstract:{abstract_id}"
        counters = self.counters.setdefault(key, {})
        start = overrides.get(ilvl, levels[ilvl]["start"])
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else start
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        lvl = levels[ilvl]
        if lvl["fmt"] == "bullet" or lvl["text"] is None:
            return ""

        def level_value(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            if k not in levels:
                return ""
            n = counters.get(k, levels[k]["start"])
            return str(n) if lvl["legal"] else format_number(n, levels[k]["fmt"])

        return re.sub(r"%([1-9])", level_value, lvl["text"])


# ---------------------------------------------------------------- PDF

class _Collected(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(" ".join(record.getMessage().split()))


@contextlib.contextmanager
def _pypdf_quiet() -> Iterator[list[str]]:
    """pypdf logs what it repairs or gives up on ("EOF marker not found", "invalid pdf header") to
    stderr, between our own lines: collect it instead, for the LoadError's reason."""
    logger = logging.getLogger("pypdf")
    collected, propagate = _Collected(), logger.propagate
    logger.addHandler(collected)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield collected.messages
    finally:
        logger.removeHandler(collected)
        logger.propagate = propagate


def pdf_to_text(data: bytes, path) -> str:
    """The PDF's text layer, page by page. A scan (no text layer) is a LoadError."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    if b"%PDF-" not in data[:1024]:  # where the format puts its header
        raise LoadError(path, _("not a PDF ({what})").format(what=_(_known_binary(data) or N_("no %PDF- header"))))
    with _pypdf_quiet() as logged:
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                # an owner password alone (printing / copying restrictions) opens with ""
                try:
                    opened = reader.decrypt("")
                except DependencyError:
                    raise LoadError(path, _("encrypted PDF (AES: reading it needs the cryptography package, "
                                            "pip install cryptography)")) from None
                except Exception:
                    opened = 0
                if not opened:
                    raise LoadError(path, _("encrypted PDF (needs a password)"))
            pages = [page.extract_text() or "" for page in reader.pages]
        except LoadError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError) as e:
            raise LoadError(path, _("not a valid PDF ({error})").format(error=_pdf_reason(logged, e))) from None
        except Exception as e:  # pypdf raises a wide range of errors on damaged files
            raise LoadError(path, _("unreadable PDF ({error})").format(error=_pdf_reason(logged, e))) from None
    text = "\n".join(pages)
    if not text.strip():
        raise LoadError(path, _("no text layer (scanned PDF?)"))
    return text


def _pdf_reason(logged: list[str], error: Exception) -> str:
    """What pypdf said before it gave up (its first distinct messages), then the error itself."""
    said = list(dict.fromkeys(m for m in logged if m))[:2]
    return "; ".join(said + [f"{type(error).__name__}: {' '.join(str(error).split())}"])
