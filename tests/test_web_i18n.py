"""The web app in its reader's language (#25): every page in Chinese by default and in English
with ?lang=en, with nothing of the other language reaching the reader except content (the
documents' text, titles, ids and file names, numbers, "plansearch"); the language kept by every
link and form; a title typed where a document is asked for; the 查重 page's paste box."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from starlette.testclient import TestClient

from conftest import restored_003_text
from plansearch.normalise import compact, normalise
from plansearch.web.app import create_app

SEED_003 = "003_d3b064de2d82a876"
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Words a Chinese page may show in Latin letters that are not the documents': formats, units,
# the two sides of a comparison, the keys of the keyboard help, the app's name.
LATIN_OK = {"plansearch", "CSV", "JSON", "HTML", "KB", "MB", "RRF", "BM25", "A", "B", "XX", "X", "Enter",
            "j", "k", "txt", "docx", "pdf", "htm", "html", "manifest", "csv", "English", "Excel"}


@pytest.fixture(scope="module")
def client(web_engine):
    return TestClient(create_app(engine=web_engine), base_url="http://localhost")


def get(client, path: str, **params):
    return client.get(path + ("?" + urlencode(params, doseq=True) if params else ""))


def pages(web_engine) -> dict[str, tuple[str, dict]]:
    """Every page the app makes, with parameters that fill it (a check with its result, the error
    pages). The 404's unknown id is a number, so it is no word of either language."""
    gwr = sorted(d.doc_id for d in web_engine.documents if d.doc_id.startswith("national_gwr_"))
    return {
        "search": ("/search", dict(q="留守儿童")),
        "search-empty": ("/search", {}),
        "search-by-year": ("/search", dict(q="减税降费", view="year")),
        "trend": ("/trend", dict(q="双减 课后服务")),
        "trend-by-kind": ("/trend", dict(q="双减", by="kind")),
        "docs": ("/docs", {}),
        "document": ("/document", dict(id=gwr[-1])),
        "compare": ("/compare", dict(a=gwr[-2], b=gwr[-1])),
        "compare-empty": ("/compare", {}),
        "reuse": ("/reuse", {}),
        "check": ("/check", {}),
        "check-result": ("/check", dict(doc=SEED_003)),
        "error-400": ("/search", dict(q="x", k="ten")),
        "error-404": ("/document", dict(id="20251231")),
        "no-page": ("/nowhere", {}),
    }


def shown_text(html: str) -> str:
    """What a reader meets: the text outside tags and scripts, and the attributes a browser shows
    (title, placeholder, aria-label, alt, a button's value)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<datalist\b.*?</datalist>", " ", html, flags=re.S)  # document titles
    attrs = re.findall(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"', html)
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + " ".join(attrs))


def content_of(web_engine) -> str:
    """The documents' own words (what a page shows as content, in whatever language it is in)."""
    parts = [str(web_engine.location)]  # the footer names the index
    for d in web_engine.documents:
        full = web_engine.document(d.doc_id)
        parts += [d.doc_id, d.title or "", d.source or "", d.region or "", d.issuer or "", full.text]
        parts += [h.title for h in getattr(full, "headings", [])] + [it.text for it in full.items]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def content(web_engine):
    return content_of(web_engine)


@pytest.mark.parametrize("name", [
    "search", "search-empty", "search-by-year", "trend", "trend-by-kind", "docs", "document", "compare",
    "compare-empty", "reuse", "check", "check-result", "error-400", "error-404", "no-page"])
def test_a_chinese_page_shows_no_english_but_content(client, web_engine, content, name):
    path, params = pages(web_engine)[name]
    r = get(client, path, **params)
    text = shown_text(r.text)
    assert HAN.search(text), name
    latin = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))
    english = sorted(w for w in latin if w not in LATIN_OK and w not in content and w not in path + str(params))
    assert not english, f"{name}: English words on a Chinese page: {english}"
    assert '<html lang="zh-CN">' in r.text


@pytest.mark.parametrize("name", [
    "search", "search-empty", "search-by-year", "trend", "trend-by-kind", "docs", "document", "compare",
    "compare-empty", "reuse", "check", "check-result", "error-400", "error-404", "no-page"])
def test_an_english_page_shows_no_chinese_but_content(client, web_engine, content, name):
    path, params = pages(web_engine)[name]
    r = get(client, path, **params, lang="en")
    text = shown_text(r.text).replace("中文", "")  # the switch names the other language in it
    foreign = sorted({run for run in HAN.findall(text) if run not in content and run not in str(params)})
    assert not foreign, f"{name}: Chinese on an English page: {foreign}"
    assert '<html lang="en">' in r.text


def internal_links(html: str) -> list[str]:
    links = [unescape(h) for h in re.findall(r'\bhref="([^"#]+)', html)]
    return [h for h in links if h.startswith("/") and not h.startswith("/static/")]


@pytest.mark.parametrize("name", ["search", "search-by-year", "trend", "document", "compare", "reuse", "check-result"])
def test_an_english_page_keeps_english_in_every_link_and_form(client, web_engine, name):
    path, params = pages(web_engine)[name]
    r = get(client, path, **params, lang="en")
    links = internal_links(r.text)
    switch = [h for h in links if "lang=en" not in h]
    # only the switch to Chinese drops it (Chinese is the default)
    assert len(switch) == 1 and parse_qs(urlparse(switch[0]).query).get("lang") is None, switch
    for form in re.findall(r"<form\b.*?</form>", r.text, re.S):
        action = re.search(r'action="([^"]*)"', form).group(1)
        assert 'name="lang" value="en"' in form or "lang=en" in unescape(action), form[:200]
    # the Chinese page's links carry no lang at all
    zh = get(client, path, **params)
    assert not [h for h in internal_links(zh.text) if "lang=" in h and "lang=en" not in h]
    assert [h for h in internal_links(zh.text) if "lang=en" in h] == [
        unescape(re.search(r'<a lang="en" hreflang="en" href="([^"]+)"', zh.text).group(1))]


def test_the_language_switch_keeps_the_page_and_its_state(client, web_engine):
    r = get(client, "/search", q="留守儿童", k="5")
    to_en = unescape(re.search(r'<a lang="en" hreflang="en" href="([^"]+)"', r.text).group(1))
    assert parse_qs(urlparse(to_en).query) == {"q": ["留守儿童"], "k": ["5"], "lang": ["en"]}
    en = client.get(to_en)
    assert "Search results" in en.text and "搜索结果" not in en.text
    back = unescape(re.search(r'<a lang="zh-CN" hreflang="zh-CN" href="([^"]+)"', en.text).group(1))
    assert parse_qs(urlparse(back).query) == {"q": ["留守儿童"], "k": ["5"]}
    assert "搜索结果" in client.get(back).text


def test_compare_shows_every_status_in_the_pages_language(client, web_engine):
    """"related" (the most common status between two work reports) used to show untranslated."""
    gwr = sorted(d.doc_id for d in web_engine.documents if d.doc_id.startswith("national_gwr_"))
    cmp = web_engine.comparison(gwr[-2], gwr[-1], True)
    assert "related" in cmp.summary.counts
    zh = get(client, "/compare", a=gwr[-2], b=gwr[-1])
    assert f'<a class="count-related" href' in zh.text
    assert re.search(r'class="count-related"[^>]*>相关 <b>', zh.text)
    assert '<span class="status status-related">相关</span>' in zh.text
    en = get(client, "/compare", a=gwr[-2], b=gwr[-1], lang="en")
    assert '<span class="status status-related">related</span>' in en.text


def test_an_unknown_id_is_a_404_in_the_pages_language(client):
    zh = get(client, "/document", id="东营市教育局2010年度重点工作总结")
    assert zh.status_code == 404
    assert "索引中没有编号或标题为“东营市教育局2010年度重点工作总结”的文件" in unescape(zh.text)
    assert "unknown document id" not in zh.text
    en = get(client, "/document", id="东营市教育局2010年度重点工作总结", lang="en")
    assert "the index holds no document with the id or title" in unescape(en.text)


def test_a_server_error_page_follows_the_language_too(web_engine):
    app = create_app(engine=web_engine)
    failing = TestClient(app, raise_server_exceptions=False, base_url="http://localhost")
    original = web_engine.reuse
    web_engine.reuse = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    try:
        assert "服务器内部错误" in failing.get("/reuse").text
        assert "internal server error" in failing.get("/reuse?lang=en").text
    finally:
        web_engine.reuse = original


# --- a title where a document is asked for ----------------------------------------------------------

def titles(web_engine):
    keys = {}
    for d in web_engine.documents:
        keys.setdefault(compact(normalise(d.title or "")), []).append(d)
    unique = next(ds[0] for k, ds in keys.items()
                  if k and len(ds) == 1 and sum(k in other for other in keys) == 1)
    shared = next(k for k, ds in keys.items() if k and len(ds) > 1)
    return unique, shared, keys[shared]


def test_a_unique_title_typed_into_compare_or_check_resolves_to_its_document(client, web_engine):
    unique, _, _ = titles(web_engine)
    other = next(d for d in web_engine.documents if d.doc_id != unique.doc_id)
    r = get(client, "/compare", a=unique.title, b=other.doc_id)
    assert r.status_code == 200
    assert f"<code>{unique.doc_id}</code>" in r.text and 'class="cmp"' in r.text
    r = get(client, "/check", doc=unique.title, paraphrase="0")
    assert r.status_code == 200 and f"<code>{unique.doc_id}</code>" in r.text


def test_an_ambiguous_title_offers_the_documents_that_carry_it(client, web_engine):
    _, shared, docs = titles(web_engine)
    title = docs[0].title
    for path, param, extra in (("/compare", "b", {"a": docs[0].doc_id}), ("/check", "doc", {})):
        r = get(client, path, **{param: title}, **extra)
        assert r.status_code == 300
        choices = [unescape(h) for h in re.findall(r'<ul class="choices">(.*?)</ul>', r.text, re.S)[0]
                   .split('href="')[1:]]
        offered = [parse_qs(urlparse(c.split('"')[0]).query)[param][0] for c in choices]
        assert sorted(offered) == sorted(d.doc_id for d in docs)
        assert f"对应 {len(docs)} 份文件" in unescape(r.text)


# --- the paste box ----------------------------------------------------------------------------------

def test_a_pasted_draft_is_checked_like_an_uploaded_one(client):
    text = restored_003_text()
    r = client.post("/check", files={"text": (None, text)}, data={})
    assert r.status_code == 200 and r.url.path == "/check"
    assert "粘贴的文字" in r.text
    first_source = re.search(r'<tr data-doc="([^"]+)">', r.text.split('class="grid check-sources"')[1]).group(1)
    assert first_source == SEED_003
    uploaded = client.post("/check", files={"file": ("草稿.txt", text.encode("utf-8"), "text/plain")})
    share = re.compile(r'总文字复制比 <span class="big">([^<]+)</span>')
    assert share.search(r.text).group(1) == share.search(uploaded.text).group(1)


def test_an_empty_paste_is_a_400_saying_what_to_do(client):
    r = client.post("/check", files={"text": (None, "   ")})
    assert r.status_code == 400 and "或粘贴它的文字" in unescape(r.text)


def test_a_pasted_draft_keeps_the_pages_language(client):
    r = client.post("/check?lang=en", files={"text": (None, restored_003_text())}, follow_redirects=False)
    assert r.status_code == 303 and "lang=en" in r.headers["location"]
    assert "Share copied in all" in client.get(r.headers["location"]).text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_check_report_download_is_written_in_the_pages_language(client, monkeypatch, lang):
    from plansearch import check_html as report_module
    from plansearch.i18n import get_lang

    seen = []
    real = report_module.check_html
    monkeypatch.setattr(report_module, "check_html", lambda report, *a, **k: (seen.append(get_lang()), real(report, *a, **k))[1])
    params = dict(doc=SEED_003, paraphrase="0", format="html", **({"lang": lang} if lang != "zh" else {}))
    r = get(client, "/check", **params)
    assert r.status_code == 200 and seen == [lang]
