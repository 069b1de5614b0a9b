"""Word files for the loader tests, written part by part as Word writes them: a numbered paragraph
carries no label text, only a list (w:numId) and a level (w:ilvl); the label comes from the level's
definition in word/numbering.xml (w:start, w:numFmt, w:lvlText). Attribute values are given as raw
strings so a test can put anything there, hostile values included."""
from __future__ import annotations

import functools
import io
import zipfile
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def attr(value: str) -> str:
    """A string made safe to stand inside a double-quoted XML attribute."""
    return escape(value, {'"': "&quot;"})


def lvl(ilvl: str, fmt: str, text: str, start: str = "1") -> str:
    """One level of a list definition: <w:lvl> with its start value, number format and label text."""
    return (f'<w:lvl w:ilvl="{attr(ilvl)}"><w:start w:val="{attr(start)}"/><w:numFmt w:val="{attr(fmt)}"/>'
            f'<w:lvlText w:val="{attr(text)}"/></w:lvl>')


def numbering(levels: list[str], num_id: str = "1", abstract_id: str = "1") -> str:
    """word/numbering.xml holding one list definition and one list instance pointing at it."""
    return (f'<w:numbering xmlns:w="{W_NS}"><w:abstractNum w:abstractNumId="{attr(abstract_id)}">'
            + "".join(levels) + '</w:abstractNum>'
            f'<w:num w:numId="{attr(num_id)}"><w:abstractNumId w:val="{attr(abstract_id)}"/></w:num></w:numbering>')


def paragraph(text: str, ilvl: str | None = None, num_id: str = "1") -> str:
    """A paragraph; with `ilvl` it is a numbered paragraph of list `num_id` at that level."""
    num_pr = ("" if ilvl is None else
              f'<w:pPr><w:numPr><w:ilvl w:val="{attr(ilvl)}"/><w:numId w:val="{attr(num_id)}"/></w:numPr></w:pPr>')
    return f'<w:p>{num_pr}<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def document(paragraphs: list[str]) -> str:
    return f'<w:document xmlns:w="{W_NS}"><w:body>' + "".join(paragraphs) + "</w:body></w:document>"


@functools.lru_cache(maxsize=1)
def _blank_docx() -> bytes:
    """python-docx's blank document: the package parts (content types, relationships, styles) a
    .docx needs around document.xml and numbering.xml."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    return buf.getvalue()


def docx_bytes(document_xml: str, numbering_xml: str | None = None) -> bytes:
    """A .docx package with these word/document.xml and word/numbering.xml (XML text, used as given,
    so a test may also hand in XML that is not well-formed)."""
    parts = {"word/document.xml": document_xml}
    if numbering_xml is not None:
        parts["word/numbering.xml"] = numbering_xml
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_blank_docx())) as blank, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in blank.infolist():
            data = parts.get(item.filename)
            z.writestr(item, data.encode("utf-8") if data is not None else blank.read(item))
    return out.getvalue()


def list_docx(levels: list[str], paragraphs: list[tuple[str | None, str]]) -> bytes:
    """A .docx of (ilvl or None, text) paragraphs numbered by one list with these levels."""
    return docx_bytes(document([paragraph(text, ilvl) for ilvl, text in paragraphs]), numbering(levels))
