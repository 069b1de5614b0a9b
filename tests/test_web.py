"""`plansearch serve`, page by page, through Starlette's TestClient (server side; the browser tests
are in test_web_browser.py). The index holds the sample corpus, the 2019, 2021 and 2022 work
reports (2020 is a gap) and a plan whose text holds <script> and rich's [/bold] (conftest)."""
from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from urllib.parse import parse_qs, quote, urlencode, urlparse

import pytest
from starlette.testclient import TestClient

from conftest import HOSTILE_TITLE, seed_path
from plansearch import compare as compare_mod
from plansearch.models import PlansearchError
from plansearch.records import (alignment_record, excerpt_bounds, compare_summary_record, doc_record, doc_share_record,
                                hit_record, outline_record, reuse_cluster_record)
from plansearch.reuse import find_reuse
from plansearch.search import MODES, Filters, group_key, group_label, literal_query, parse_query
from plansearch.web import app as web_app
from plansearch.web.app import CHART_TOP, MAX_UPLOAD_BYTES, create_app
from plansearch.web.views import EXCERPT_CHARS

PLAN_201X = "000_5ae896fcb747d54c#1"  # the same plan as 202_ below, years masked
PLAN_202_ = "000_5ae896fcb747d54c#4"
TRADITIONAL = "001_c0800182451e36bf"  # 东营, written in Traditional script


@pytest.fixture(scope="module")
def client(web_engine):
    return TestClient(create_app(engine=web_engine))


def get(client, path: str, **params):
    return client.get(path + ("?" + urlencode(params, doseq=True) if params else ""))


def hit_blocks(html: str) -> list[tuple[str, str, str]]:
    """(doc id, item id, inner HTML) of each hit on a search page, in order."""
    return [(unescape(m.group(1)), unescape(m.group(2)), m.group(3)) for m in
            re.finditer(r'<li class="hit" data-doc="([^"]*)" data-item="([^"]*)">(.*?)</li>\s*(?=<li class="hit"|</ol>)',
                        html, re.S)]


def marks(fragment: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r"<mark>(.*?)</mark>", fragment, re.S)]


def message(html: str) -> str:
    return unescape(re.search(r'<p class="message">(.*?)</p>', html, re.S).group(1))


def jsonl(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def csv_rows(response) -> list[dict]:
    assert response.text.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def assert_error(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text[:500]
    assert "Traceback" not in response.text and 'File "' not in response.text
    msg = message(response.text)
    assert "\n" not in msg.strip()
    for w in words:
        assert w in msg, msg
    return msg


# --- search ------------------------------------------------------------------------------------------

def test_the_search_page_offers_the_query_box_every_filter_and_every_mode(client):
    r = client.get("/")
    assert r.status_code == 200 and r.url.path == "/search"
    for name in ("q", "year_from", "year_to", "year_of", "region", "issuer", "kind", "doc", "mode", "k"):
        assert f'name="{name}"' in r.text, name
    for mode in MODES:
        assert f'<option value="{mode}"' in r.text
    assert '<option value="华州区">' in r.text and '<option value="国务院">' in r.text  # regions, issuers offered
    assert '<li class="hit"' not in r.text and "结果" not in r.text.split("</form>", 1)[1]


def test_a_hit_marks_its_best_sentence_and_the_query_words_where_search_found_them(client, web_engine):
    r = get(client, "/search", q="留守儿童")
    assert r.status_code == 200
    hits = web_engine.search("留守儿童", 10, "hybrid", Filters())
    assert sum(bool(h.highlights) for h in hits) >= 5
    blocks = hit_blocks(r.text)
    assert [item for _, item, _ in blocks] == [h.item.item_id for h in hits]
    for (doc_id, item_id, inner), hit in zip(blocks, hits):
        rec = hit_record(hit)
        assert unescape(re.search(r'class="hit-link" href="([^"]+)"', inner).group(1)) == \
            f"/document?{urlencode({'id': doc_id})}#item-{item_id.rsplit(':', 1)[1]}"
        # the query's words where search found them, inside the excerpt shown
        text = rec["text"]
        lo, hi = excerpt_bounds(text, EXCERPT_CHARS, rec["highlights"], rec["match"])
        words = [text[max(a, lo):min(b, hi)] for a, b in rec["highlights"] if a < hi and b > lo]
        assert "".join(marks(inner)) == "".join(words)
        assert all(any(piece in w for w in words) for piece in marks(inner))
        best = re.findall(r'<span class="best">(.*?)</span>(?!</mark>)', inner, re.S)
        if rec["match"]:
            a, b = rec["match"]
            assert "".join(unescape(re.sub(r"<[^>]+>", "", x)) for x in best) in rec["text"][a:b]
        if rec["found"]:
            assert f"覆盖 {round(rec['coverage'] * 100)}%" in inner
            assert ("含查询词：" + "".join(f'<span class="word">{w}</span>' for w in rec["found"])) in inner
        else:
            assert "不含查询词（按语义找到）" in inner


def test_the_traditional_text_lights_up_for_a_simplified_query(client):
    r = get(client, "/search", q="留守儿童", doc=TRADITIONAL)
    blocks = hit_blocks(r.text)
    assert blocks and all(doc == TRADITIONAL for doc, _, _ in blocks)
    assert "留守兒童" in marks(blocks[0][2])


def test_a_hit_says_which_query_words_it_holds_and_the_page_says_when_no_item_holds_them_all(client, web_engine):
    q = "留守儿童火星基地"
    hits = web_engine.search(q, 10, "hybrid", Filters())
    assert hits.notices and not hits.all_words_somewhere
    r = get(client, "/search", q=q)
    assert all(unescape(n) in unescape(r.text) for n in hits.notices)
    first = hit_blocks(r.text)[0][2]
    assert "留守儿童" in first and f"覆盖 {round(hits[0].coverage * 100)}%" in first


def test_filters_change_the_results_and_stay_in_the_url(client, web_engine):
    everything = jsonl(get(client, "/search", q="减税降费", format="json"))
    assert {r["year"] for r in everything} - {2021, 2022}
    r = get(client, "/search", q="减税降费", year_from="2021", year_to="2022", kind="report", format="json")
    filtered = jsonl(r)
    assert filtered and all(x["year"] in (2021, 2022) and x["kind"] == "report" for x in filtered)
    direct = web_engine.search("减税降费", 10, "hybrid", Filters(years=(2021, 2022), kind="report"))
    assert filtered == [hit_record(h, probability=direct.probability) for h in direct]
    page = get(client, "/search", q="减税降费", year_from="2021", kind="report")
    assert 'name="year_from" inputmode="numeric" pattern="[0-9]{4}" size="5" value="2021"' in page.text
    assert '<option value="report" selected>' in page.text
    # an open end runs to the index's last (or from its first) year
    assert {x["year"] for x in jsonl(get(client, "/search", q="减税降费", year_from="2022", format="json"))} == {2022}


def test_a_similar_measures_search_leaves_out_the_items_own_document(client, web_engine):
    doc = web_engine.document("national_gwr_2022")
    item = max(doc.items, key=lambda it: len(it.text))
    r = get(client, "/search", q=item.text[:500], exclude=doc.doc_id, format="json")
    assert r.status_code == 200
    assert jsonl(r) and all(x["doc_id"] != doc.doc_id for x in jsonl(r))
    page = get(client, "/search", q=item.text[:500], exclude=doc.doc_id)
    assert "不含本文件" in page.text


@pytest.mark.parametrize("params, words", [
    ({"q": "x", "kind": "poster"}, ["kind", "poster"]),
    ({"q": "x", "year_from": "20x1"}, ["20x1"]),
    ({"q": "x", "year_from": "2022", "year_to": "2019"}, ["2022", "2019"]),
    ({"q": "x", "mode": "fast"}, ["mode", "fast"]),
    ({"q": "x", "k": "0"}, ["k"]),
    ({"q": "x", "k": "ten"}, ["k", "ten"]),
    ({"q": "x", "view": "pie"}, ["view"]),
    ({"q": "x", "year_of": "later"}, ["year_of"]),
    ({"q": "x", "doc": "national_gwr_2033"}, ["national_gwr_2033", "did you mean"]),
    ({"q": "x", "format": "xml"}, ["format"]),
])
def test_a_bad_filter_is_a_400_page_saying_what_is_wrong(client, params, words):
    assert_error(get(client, "/search", **params), 400, *words)


@pytest.mark.parametrize("q", ["", "   ", "，。！"])
def test_an_empty_query_is_a_400_page(client, q):
    assert_error(get(client, "/search", q=q), 400, "查询为空")


def test_an_unknown_excluded_document_is_a_404(client):
    assert_error(get(client, "/search", q="教育", exclude="nope"), 404, "nope")


# --- the per-year view and its chart ----------------------------------------------------------------

def test_the_per_year_view_shows_each_years_best_hits_with_the_gaps(client, web_engine):
    groups = web_engine.search_by_year("减税降费", 3, "hybrid", Filters(), "plan")
    r = get(client, "/search", q="减税降费", view="year")
    headings = [unescape(h) for h in re.findall(r'<section class="year-group[^"]*">\s*<h3>(.*?)</h3>', r.text)]
    assert headings == [web_app.group_zh(g.key) for g in groups]
    assert "2020" in headings and "该年无文件" in r.text  # the reports skip 2020
    assert headings.index("2019") < headings.index("2020") < headings.index("2021")
    downloaded = jsonl(get(client, "/search", q="减税降费", view="year", format="json"))
    assert [(x["group"], x["item_id"]) for x in downloaded] == \
        [(g.key, h.item.item_id) for g in groups for h in g.hits]


def test_the_chart_has_one_bar_per_year_with_documents_counting_that_years_top_hits(client, web_engine):
    groups = web_engine.search_by_year("减税降费", 3, "hybrid", Filters(), "plan")
    top = web_engine.search("减税降费", CHART_TOP, "hybrid", Filters())
    r = get(client, "/search", q="减税降费", view="year")
    svg = re.search(r"<svg class=\"chart\".*?</svg>", r.text, re.S).group(0)
    bars = re.findall(r'<rect class="bar" data-count="(\d+)" data-label="([^"]*)"', svg)
    with_docs = [g for g in groups if not g.note.startswith("no document")]
    assert len(bars) == len(with_docs)
    assert len(re.findall(r'<rect class="gap"', svg)) == len(groups) - len(with_docs)
    counts = {}
    for h in top:
        key = group_label(group_key(h.doc, "year", "plan"), "year")
        counts[key] = counts.get(key, 0) + 1
    assert [int(n) for n, _ in bars] == [counts.get(g.key, 0) for g in with_docs]
    assert sum(int(n) for n, _ in bars) == len(top)
    assert dict((label, int(n)) for n, label in bars)["2022"] > 0
    assert "未校准" in r.text and "#15" in r.text


# --- documents ---------------------------------------------------------------------------------------

def test_the_document_list_links_every_document_and_downloads(client, web_engine):
    r = client.get("/docs")
    for d in web_engine.documents:
        assert f'href="/document?{urlencode({"id": d.doc_id})}"'.replace("&", "&amp;") in r.text
    assert jsonl(client.get("/docs?format=json")) == [doc_record(d) for d in web_engine.documents]
    assert [row["doc_id"] for row in csv_rows(client.get("/docs?format=csv"))] == \
        [d.doc_id for d in web_engine.documents]


def test_a_document_shows_its_metadata_and_outline_each_item_linking_to_similar_measures(client, web_engine):
    doc = web_engine.document("national_gwr_2021")
    r = get(client, "/document", id=doc.doc_id)
    assert r.status_code == 200
    assert f"<h1>{doc.title}</h1>" in r.text and "国务院" in r.text and "报告" in r.text
    for it in doc.items:
        assert f'id="item-{it.ordinal}"' in r.text
    for heading in {p for it in doc.items for p in it.path}:
        assert f'<span class="heading-title">{heading}</span>' in unescape(r.text)
    links = [unescape(x) for x in re.findall(r'<a class="similar" href="([^"]+)"', r.text)]
    assert len(links) == len(doc.items)
    q = parse_qs(urlparse(links[0]).query)
    assert q["exclude"] == [doc.doc_id] and q["q"][0] == literal_query(doc.items[0].text)
    assert jsonl(get(client, "/document", id=doc.doc_id, format="json")) == [outline_record(doc)]
    assert [row["item_id"] for row in csv_rows(get(client, "/document", id=doc.doc_id, format="csv"))] == \
        [it.item_id for it in doc.items]


def test_similar_measures_rank_by_the_whole_item_and_require_none_of_its_quoted_phrases(client, web_engine):
    doc = web_engine.document(PLAN_202_)
    item = next(it for it in doc.items if "“" in it.text)  # 围绕“两个新城”建设 …
    assert parse_query(item.text).must  # as typed, the quotes would be demands
    page = get(client, "/document", id=doc.doc_id).text
    block = re.search(rf'<li class="item" id="item-{item.ordinal}".*?</li>', page, re.S).group(0)
    q = parse_qs(urlparse(unescape(re.search(r'<a class="similar" href="([^"]+)"', block).group(1))).query)["q"][0]
    assert "“" not in q and not parse_query(q).must and not parse_query(q).must_not
    assert len(q) <= 500 and q.replace(" ", "") in item.text.replace("“", "").replace("”", "").replace(" ", "")
    hits = jsonl(get(client, "/search", q=q, exclude=doc.doc_id, format="json"))
    assert hits and hits[0]["doc_id"] == PLAN_201X  # the same plan of the other year


def test_a_copied_item_links_to_where_it_stands_in_the_other_plan_and_that_page_marks_it(client, web_engine):
    r = get(client, "/document", id=PLAN_202_)
    first = re.search(r'<li class="item" id="item-0".*?</li>', r.text, re.S).group(0)
    rel = re.search(r'<a class="relation rel-\w+" href="([^"]+)"[^>]*>(.*?)</a>', first, re.S)
    assert rel and "区教育局201X年工作要点" in unescape(rel.group(2))
    url = unescape(rel.group(1))
    q = parse_qs(urlparse(url).query)
    assert q["id"] == [PLAN_201X] and re.fullmatch(r"\d+-\d+", q["mark"][0])
    other = client.get(url)
    marked = re.findall(r'<li class="item marked" id="item-(\d+)"', other.text)
    assert marked and "<mark>" in other.text
    a, b = map(int, q["mark"][0].split("-"))
    doc = web_engine.document(PLAN_201X)
    assert all(a < doc.items[int(o)].end and doc.items[int(o)].start < b for o in marked)
    assert "100.0% 的文字也见于其他文件" in r.text  # 202_ is the 201X plan with its years changed


def test_an_items_copies_list_the_nearest_earlier_year_first(client):
    # 各位代表： opens every report: 2022's comes from 2021 and 2019, 2019's goes to 2021 and 2022
    def relations(doc_id):
        page = get(client, "/document", id=doc_id).text
        first = re.search(r'<li class="item" id="item-0".*?</li>', page, re.S).group(0)
        return [unescape(re.sub(r"<[^>]+>", "", x)) for x in
                re.findall(r'<a class="relation rel-\w+" href="[^"]+"[^>]*>(.*?)</a>', first, re.S)]

    assert [r.split("（")[1] for r in relations("national_gwr_2022")] == ["2020→2021）", "2018→2019）"]
    assert all(r.startswith("来源：") for r in relations("national_gwr_2022"))
    assert [r.split("（")[1] for r in relations("national_gwr_2019")] == ["2020→2021）", "2021→2022）"]
    assert all(r.startswith("去向：") for r in relations("national_gwr_2019"))


@pytest.mark.parametrize("params, status, words", [
    ({"id": "national_gwr_2033"}, 404, ["national_gwr_2033", "did you mean"]),
    ({}, 400, ["id"]),
    ({"id": PLAN_201X, "mark": "ten-twenty"}, 400, ["mark"]),
    ({"id": PLAN_201X, "mark": "30-10"}, 400, ["mark"]),
    ({"id": PLAN_201X, "format": "pdf"}, 400, ["format"]),
])
def test_a_bad_document_request_is_a_4xx_page(client, params, status, words):
    assert_error(get(client, "/document", **params), status, *words)


def test_a_url_cannot_make_the_server_read_a_file(client, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("一、秘密\n1. 这是服务器上的私人文件，不在索引里。\n", encoding="utf-8")
    for ref in (str(secret), str(seed_path("000")), "/etc/passwd", f"{seed_path('000')}#1"):
        r = get(client, "/document", id=ref)
        assert_error(r, 404)
        assert "私人文件" not in r.text
    assert_error(get(client, "/compare", a=str(secret), b=PLAN_201X), 404)


# --- compare -----------------------------------------------------------------------------------------

def test_compare_shows_the_aligned_items_side_by_side_with_the_diff_and_the_verbatim_share(client, web_engine):
    cmp = web_engine.comparison(PLAN_201X, PLAN_202_, True)
    r = get(client, "/compare", a=PLAN_201X, b=PLAN_202_)
    assert r.status_code == 200
    rows = re.findall(r'<tr class="row-(\w+)" data-status="\w+">', r.text)
    assert rows == [al.status for al in cmp.alignments]
    summary = compare_summary_record(cmp)
    assert f"{round(summary['verbatim_share'] * 100, 1)}%" in r.text
    for status, n in cmp.summary.counts.items():
        assert f"{web_app.status_zh(status)} <b>{n}</b>" in r.text
    edited = [al for al in cmp.alignments if al.status == "edited"]
    assert edited and "<del>" in r.text  # 201X's 校舍安全工程年度任务 lost 年度 in 202_
    deleted = [op.a_text for al in edited for op in al.diff if op.tag in ("delete", "replace")]
    assert any(f"<del>{t}</del>" in r.text for t in deleted)


def test_the_status_filters_are_compares_statuses_and_filter_the_rows(client):
    r = get(client, "/compare", a=PLAN_201X, b=PLAN_202_, only="edited")
    assert set(re.findall(r'data-status="(\w+)"', r.text)) == {"edited"}
    boxes = re.findall(r'<input type="checkbox" name="only" value="(\w+)"( checked)?>', r.text)
    assert boxes == [(s, " checked" if s == "edited" else "") for s in compare_mod.STATUSES]
    r = get(client, "/compare", a=PLAN_201X, b=PLAN_202_, only=["same", "edited"])
    assert set(re.findall(r'data-status="(\w+)"', r.text)) == {"same", "edited"}


def test_compare_downloads_the_summary_and_the_alignments(client, web_engine):
    cmp = web_engine.comparison(PLAN_201X, PLAN_202_, False)
    records = jsonl(get(client, "/compare", a=PLAN_201X, b=PLAN_202_, semantic="0", format="json"))
    assert records[0] == compare_summary_record(cmp)
    assert records[1:] == [alignment_record(al, PLAN_201X) for al in cmp.alignments]
    rows = csv_rows(get(client, "/compare", a=PLAN_201X, b=PLAN_202_, semantic="0", only="edited", format="csv"))
    assert [row["status"] for row in rows] == ["edited"] * sum(al.status == "edited" for al in cmp.alignments)


def test_compare_with_only_one_side_shows_the_form_with_it_filled(client):
    r = get(client, "/compare", a=PLAN_201X)
    assert r.status_code == 200 and f'name="a" list="doc-list" value="{PLAN_201X}"' in r.text
    assert "<table class=\"cmp\">" not in r.text


@pytest.mark.parametrize("params, status, words", [
    ({"a": PLAN_201X, "b": "000_5ae896fcb747d54c#9"}, 404, ["000_5ae896fcb747d54c#9"]),
    ({"a": PLAN_201X, "b": PLAN_202_, "only": "moved"}, 400, ["moved", "edited"]),
    ({"a": PLAN_201X, "b": PLAN_202_, "semantic": "maybe"}, 400, ["semantic"]),
    ({"a": "", "b": "", "format": "csv"}, 400, []),
])
def test_a_bad_compare_request_is_a_4xx_page(client, params, status, words):
    assert_error(get(client, "/compare", **params), status, *words)


# --- reuse -------------------------------------------------------------------------------------------

def test_reuse_ranks_the_clusters_and_each_opens_its_passages_in_their_documents(client, web_engine):
    view = web_engine.reuse()
    r = client.get("/reuse")
    ranks = [int(x) for x in re.findall(r'<li class="cluster" id="cluster-(\d+)">', r.text)]
    assert ranks == list(range(1, min(50, len(view.report.clusters)) + 1))
    top = view.report.clusters[0]
    block = re.search(r'<li class="cluster" id="cluster-1">.*?</li>\s*</ul>', r.text, re.S).group(0)
    links = [unescape(x) for x in re.findall(r'<ul class="locations">.*', block, re.S)[0].split('href="')[1:]]
    assert len(links) == len(top.locations)
    for link, loc in zip(links, top.locations):
        q = parse_qs(urlparse(link.split('"', 1)[0]).query)
        assert q["id"] == [loc.doc_id] and q["mark"] == [f"{loc.start}-{loc.end}"]
    records = jsonl(client.get("/reuse?format=json"))
    assert records == [reuse_cluster_record(i, c, view.docs_by_id) for i, c in enumerate(view.report.clusters[:50], 1)] \
        + [doc_share_record(s) for s in sorted(view.report.doc_shares, key=lambda s: (s.share_any, s.doc_id),
                                                 reverse=True)]


def test_the_shares_table_sorts_by_the_column_in_the_url(client):
    def doc_order(html):
        table = html.split('id="shares"', 1)[1]
        return [unescape(x) for x in re.findall(r'<tr data-doc="([^"]+)">', table)]

    by_chars = csv_rows(get(client, "/reuse", list="shares", sort="chars", order="asc", format="csv"))
    assert [int(r["chars"]) for r in by_chars] == sorted(int(r["chars"]) for r in by_chars)
    page = get(client, "/reuse", sort="chars", order="asc")
    assert doc_order(page.text) == [r["doc_id"] for r in by_chars]
    assert 'aria-sort="ascending"' in page.text
    # the column's link flips the order
    link = unescape(re.search(r'<a href="([^"]*sort=chars[^"]*)">字数', page.text).group(1))
    assert "order=desc" in link
    shares = csv_rows(get(client, "/reuse", list="shares", format="csv"))
    assert [float(r["share_any"]) for r in shares] == sorted((float(r["share_any"]) for r in shares), reverse=True)


def test_reuse_options_filter_the_clusters(client, web_engine):
    view = web_engine.reuse()
    only_pairs = jsonl(get(client, "/reuse", list="clusters", max_spread="2", top="1000", format="json"))
    assert [c["text"] for c in only_pairs] == [c.text for c in view.report.clusters if c.n_docs <= 2]
    across_years = jsonl(get(client, "/reuse", list="clusters", across="years", top="1000", format="json"))
    by_year = {d.doc_id: d.year for d in web_engine.documents}
    # documents of one known year share nothing "across years"
    assert all(len({by_year[loc["doc_id"]] for loc in c["locations"]}) > 1
               or None in {by_year[loc["doc_id"]] for loc in c["locations"]} for c in across_years)


@pytest.mark.parametrize("params", [{"across": "galaxies"}, {"min_chars": "3"}, {"top": "0"}, {"sort": "title"},
                                    {"order": "sideways"}, {"max_spread": "1"}])
def test_a_bad_reuse_option_is_a_400_page(client, params):
    assert_error(get(client, "/reuse", **params), 400, next(iter(params)))


# --- check (the page is ready; the report arrives with #13) -----------------------------------------

def test_the_check_page_offers_an_upload_with_its_size_limit(client):
    r = client.get("/check")
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in r.text and 'type="file" name="file"' in r.text
    assert f"不超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB" in r.text


def test_an_uploaded_plan_is_read_and_the_report_hook_is_called(client, monkeypatch):
    seen = []
    monkeypatch.setattr(web_app, "check_report", lambda engine, docs: seen.append(docs) or None)
    data = seed_path("003").read_bytes()
    r = client.post("/check", files={"file": ("草稿.txt", data, "text/plain")})
    assert r.status_code == 200
    assert "草稿.txt" in r.text and "教育局委员会关于2021年工作总结及来年工作思路报告" in r.text
    assert "TODO" not in r.text and "#13" in r.text  # says the report is not wired in yet
    assert len(seen) == 1 and seen[0][0].source == "草稿.txt" and seen[0][0].items


@pytest.mark.parametrize("name, data, status, words", [
    ("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1), 413, ["MB"]),
    ("plan.exe", b"MZ\x90\x00", 415, ["plan.exe"]),
    ("empty.txt", b"", 422, ["empty.txt"]),
    ("broken.pdf", b"%PDF-1.4 this is not a pdf at all", 422, ["broken.pdf"]),
    ("binary.docx", bytes(range(256)) * 40, 422, ["binary.docx"]),
])
def test_a_bad_upload_is_a_4xx_page(client, name, data, status, words):
    assert_error(client.post("/check", files={"file": (name, data, "application/octet-stream")}), status, *words)


def test_a_post_without_a_file_is_a_400(client):
    assert_error(client.post("/check", data={"note": "x"}), 400, "文件")


def test_a_declared_oversized_body_is_refused_before_it_is_read(client):
    r = client.post("/check", content=b"x" * 10, headers={"content-length": str(MAX_UPLOAD_BYTES * 2),
                                                           "content-type": "multipart/form-data; boundary=x"})
    assert_error(r, 413)


# --- escaping ----------------------------------------------------------------------------------------

def test_document_text_holding_markup_is_shown_as_text_on_every_page(client, web_engine):
    doc = web_engine.document("hostile_plan")
    assert doc.title == HOSTILE_TITLE
    pages = [get(client, "/search", q="课后服务全覆盖", doc="hostile_plan"), get(client, "/document", id="hostile_plan"),
             client.get("/docs"), get(client, "/compare", a="hostile_plan", b=PLAN_201X, semantic="0"),
             get(client, "/search", q="防溺水", view="year")]
    for r in pages:
        assert r.status_code == 200
        body = r.text
        assert "<script>alert" not in body and "<b>防溺水" not in body
        assert "&lt;script&gt;alert(" in body
        assert "[/bold]" in body  # rich markup is text here too, not styling
    assert 'alert(&#34;item&#34;)' in pages[1].text or "alert(&quot;item&quot;)" in pages[1].text
    assert "script-src 'self'" in pages[0].headers["content-security-policy"]


# --- errors, concurrency, the index stays as it was --------------------------------------------------

def test_an_unknown_page_is_a_404_page(client):
    assert_error(client.get("/nowhere"), 404, "没有这个页面")


def test_an_unexpected_failure_is_a_500_page_without_a_traceback(web_engine, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("secret internals /home/x/.cache")

    monkeypatch.setattr(web_engine, "search", broken)
    r = TestClient(create_app(engine=web_engine), raise_server_exceptions=False).get("/search?q=教育")
    msg = assert_error(r, 500, "RuntimeError")
    assert "secret internals" not in r.text and "服务器日志" in msg


def test_autocomplete_finds_documents_by_id_or_title_in_either_script(client):
    found = client.get("/api/docs", params={"q": "2022"}).json()
    assert "national_gwr_2022" in [d["doc_id"] for d in found]
    by_title = client.get("/api/docs", params={"q": "東營"}).json()  # Traditional for 东营
    assert [d["doc_id"] for d in by_title] == [TRADITIONAL]


def test_twenty_concurrent_searches_each_get_their_own_answer(web_engine):
    from plansearch.web.server import BackgroundServer

    queries = ["留守儿童", "减税降费", "课后服务", "控辍保学", "校园安全", "教师队伍建设", "乡村振兴", "就业",
               "学前教育", "双减", "营商环境", "防溺水", "职业教育", "特殊教育", "食品安全", "科技创新",
               "医疗保障", "养老服务", "生态环境", "高质量发展"]
    with BackgroundServer(create_app(engine=web_engine)) as url:
        def fetch(q):
            with urllib.request.urlopen(f"{url}/search?q={quote(q)}&format=json", timeout=120) as resp:
                return [json.loads(line) for line in resp.read().decode().splitlines()]

        expected = {q: fetch(q) for q in queries}
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(fetch, queries))
    for q, got in zip(queries, answers):
        assert got == expected[q], q
        hits = web_engine.search(q, 10, "hybrid", Filters())
        assert got == [hit_record(h, probability=hits.probability) for h in hits]
    assert len({tuple(r["item_id"] for r in a) for a in answers}) == len(queries)


def test_no_request_writes_into_the_index(client, web_index):
    def snapshot():
        return {str(p.relative_to(web_index)): (p.stat().st_size, p.stat().st_mtime_ns)
                for p in sorted(web_index.rglob("*")) if p.is_file()}

    before = snapshot()
    for path, params in [("/search", {"q": "留守儿童"}), ("/search", {"q": "减税降费", "view": "year"}),
                         ("/document", {"id": "national_gwr_2019"}), ("/docs", {}),
                         ("/compare", {"a": "national_gwr_2021", "b": "national_gwr_2022"}),
                         ("/reuse", {"across": "regions"}), ("/api/docs", {"q": "gwr"})]:
        assert get(client, path, **params).status_code == 200
    assert client.post("/check", files={"file": ("x.txt", seed_path("002").read_bytes(), "text/plain")}).status_code == 200
    assert snapshot() == before


# --- the command -------------------------------------------------------------------------------------

def test_serve_binds_this_machine_by_default_and_warns_for_0000(monkeypatch, web_index):
    from typer.testing import CliRunner

    from plansearch import cli
    from plansearch.web import server

    served = []
    monkeypatch.setattr(server, "serve", lambda app, host, port: served.append((host, port)))
    monkeypatch.setattr(server, "check_port", lambda host, port: None)
    monkeypatch.setattr(web_app, "create_app", lambda index_dir, warm: ("app", index_dir, warm))
    runner = CliRunner()
    r = runner.invoke(cli.app, ["serve", "--index", str(web_index)])
    assert r.exit_code == 0, r.output
    assert served[-1] == ("127.0.0.1", 8765) and "warning" not in r.output
    assert "http://127.0.0.1:8765/" in r.output
    r = runner.invoke(cli.app, ["serve", "--index", str(web_index), "--host", "0.0.0.0", "--port", "9000"])
    assert r.exit_code == 0 and served[-1] == ("0.0.0.0", 9000)
    assert "warning: --host 0.0.0.0 makes the app reachable from other machines" in r.output


def test_serve_says_in_one_line_when_it_cannot_start(tmp_path):
    import socket

    from typer.testing import CliRunner

    from plansearch import cli

    runner = CliRunner()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    r = runner.invoke(cli.app, ["serve", "--index", str(tmp_path / "none"), "--port", str(free)])
    assert r.exit_code == 1 and "no index in" in r.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = runner.invoke(cli.app, ["serve", "--index", str(tmp_path), "--port", str(port)])
    assert r.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(cli.app, ["serve", "--port", "70000"])
    assert r.exit_code == 1 and "--port must be between 1 and 65535" in r.output


# --- the library pieces the app added ----------------------------------------------------------------

def test_filters_from_form_text_treat_blank_as_no_filter():
    assert Filters.from_strings("", " ", "", "", "", "") == Filters()
    f = Filters.from_strings("2019-2022", "华州", " 教育局 ", "plan", "000_5ae896fcb747d54c", "review")
    assert f == Filters(years=(2019, 2022), region="华州", issuer="教育局", kind="plan", doc="000_5ae896fcb747d54c",
                        year_basis="review")
    assert Filters.from_strings("2021").years == (2021, 2021)
    for bad in ({"years": "2019-20x2"}, {"kind": "poster"}, {"year_of": "later"}):
        with pytest.raises(PlansearchError):
            Filters.from_strings(**bad)


def test_one_corpus_wide_reuse_report_answers_for_each_document_as_find_reuse_would(web_engine):
    view = web_engine.reuse()
    docs = list(view.docs_by_id.values())
    for doc_id in (PLAN_202_, "national_gwr_2022"):
        alone = find_reuse(docs, doc=doc_id)
        touching = view.report.touching(doc_id)
        assert [(c.text, c.n_docs) for c in touching.clusters] == [(c.text, c.n_docs) for c in alone.clusters]
        assert touching.doc_shares == alone.doc_shares
