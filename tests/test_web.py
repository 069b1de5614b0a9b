"""`plansearch serve`, page by page, through Starlette's TestClient (server side; the browser tests
are in test_web_browser.py). The index holds the sample corpus, the 2019, 2021 and 2022 work
reports (2020 is a gap) and a plan whose text holds <script> and rich's [/bold] (conftest)."""
from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from urllib.parse import parse_qs, quote, urlencode, urlparse

import pytest
from starlette.testclient import TestClient

from conftest import HOSTILE_PLAN, HOSTILE_TITLE, restored_003_text, seed_path
from plansearch import compare as compare_mod
from plansearch.check import check_document
from plansearch.corpus import load_corpus
from plansearch.i18n import term, use_lang
from plansearch.models import PlansearchError
from plansearch.records import (alignment_record, excerpt_bounds, compare_summary_record, doc_record,
                                doc_share_record, hit_record, outline_record, reuse_cluster_record, trend_records)
from plansearch.reuse import find_reuse
from plansearch.search import MODES, Filters, literal_query, parse_query
from plansearch.trend import trend
from plansearch.web import app as web_app
from plansearch.web.app import MAX_TOPICS, MAX_UPLOAD_BYTES, create_app, split_topics
from plansearch.web.views import EXCERPT_CHARS

PLAN_201X = "000_5ae896fcb747d54c#1"  # the same plan as 202_ below, years masked
PLAN_202_ = "000_5ae896fcb747d54c#4"
TRADITIONAL = "001_c0800182451e36bf"  # 东营, written in Traditional script


@pytest.fixture(scope="module")
def client(web_engine):
    return TestClient(create_app(engine=web_engine), base_url="http://localhost")


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
    # the page says it in Chinese: the library's notice carries both wordings
    assert "没有条目含有“留守儿童火星基地”的全部词语" in unescape(r.text)
    with use_lang("zh"):
        assert all(unescape(n.say()) in unescape(r.text) for n in hits.notices)
    with use_lang("en"):
        assert all(unescape(n.say()) not in unescape(r.text) for n in hits.notices)
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
    ({"q": "x", "doc": "national_gwr_2033"}, ["national_gwr_2033", "是不是"]),
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
    with use_lang("zh"):
        assert headings == [web_app.group_label(g.key) for g in groups]
    assert "2020" in headings and "该年无文件" in r.text  # the reports skip 2020
    assert headings.index("2019") < headings.index("2020") < headings.index("2021")
    downloaded = jsonl(get(client, "/search", q="减税降费", view="year", format="json"))
    assert [(x["group"], x["item_id"]) for x in downloaded] == \
        [(g.key, h.item.item_id) for g in groups for h in g.hits]


def chart_of(html: str, figure: str = "trend-chart") -> ET.Element:
    """The inline SVG chart of a page, parsed (it must be well-formed XML)."""
    svg = re.search(rf'<figure class="{figure}">\s*(<svg .*?</svg>)', html, re.S).group(1)
    return ET.fromstring(svg)


SVG = "{http://www.w3.org/2000/svg}"


def rects(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if r.get("class") == cls]


def test_the_per_year_charts_bars_are_the_calibrated_trend_of_the_query(client, web_engine):
    table = trend(["减税降费"], web_engine.searcher, by="year")
    r = get(client, "/search", q="减税降费", view="year")
    svg = chart_of(r.text)
    bars, gaps = rects(svg, "bar"), rects(svg, "gap")
    assert len(bars) == sum(not g.gap for g in table.groups) and len(gaps) == sum(g.gap for g in table.groups)
    assert [b.find(f"{SVG}title").text for b in gaps][:1] == ["2012：无文件"]  # 2011 (东营's plan year), then 2012–2018 and 2020
    tips = [b.find(f"{SVG}title").text for b in bars]
    # the reports of 2019, 2021 and 2022 hold 减税降费 in 2, 1 and 2 of their items; no other year does
    assert "2019 · 减税降费：92 条中 2 条匹配（2.2%），1 份文件中 1 份提及" in tips
    assert any(t.startswith("2021 · 减税降费：") and "中 1 条匹配" in t for t in tips)
    assert any(t.startswith("2022 · 减税降费：") and "中 2 条匹配" in t for t in tips)
    assert sum(" 0 条匹配" not in t for t in tips) == 3
    assert any(t.startswith("201X（年份不明） · ") for t in tips)  # a masked year is its own bar
    assert "未校准" not in r.text and "not calibrated" not in r.text
    assert "“匹配”不是取前几条结果" in r.text  # how a match is decided, said on the page
    link = unescape(re.search(r'<a href="(/trend\?[^"]+)">在趋势页', r.text).group(1))
    assert parse_qs(urlparse(link).query) == {"q": ["减税降费"], "year_of": ["plan"]}


def test_the_per_year_chart_follows_the_search_filters_and_keeps_a_query_with_spaces_one_topic(client):
    r = get(client, "/search", q="减税 降费", view="year", year_from="2019", year_to="2022")
    svg = chart_of(r.text)
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.text and t.text.isdigit() and len(t.text) == 4]
    assert labels == ["2019", "2020", "2021", "2022"]
    assert len(rects(svg, "bar")) == 3 and len(rects(svg, "gap")) == 1
    link = unescape(re.search(r'<a href="(/trend\?[^"]+)">在趋势页', r.text).group(1))
    q = parse_qs(urlparse(link).query)
    assert q["q"] == ["减税 降费，"] and split_topics(q["q"][0]) == ["减税 降费"]
    assert q["year_from"] == ["2019"] and q["year_to"] == ["2022"]


# --- trend -------------------------------------------------------------------------------------------

def trend_rows(html: str) -> dict[str, str]:
    """group key -> the row's HTML, in order."""
    body = html.split('<table class="grid trend-table">', 1)[1].split("</table>", 1)[0]
    return {unescape(m.group(1)): m.group(0) for m in re.finditer(r'<tr[^>]*data-group="([^"]*)".*?</tr>', body, re.S)}


def cell_numbers(row: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", x)).strip() for x in re.findall(r'<td class="num[^"]*">(.*?)</td>', row, re.S)]


def test_the_trend_page_counts_each_years_matching_items_with_gaps_and_masked_years(client, web_engine):
    r = get(client, "/trend", q="减税降费")
    assert r.status_code == 200
    rows = trend_rows(r.text)
    table = trend(["减税降费"], web_engine.searcher)
    assert list(rows) == [g.key for g in table.groups]
    keys = list(rows)
    # every year from the first to the last, gaps included, then masked and unknown years
    assert keys[:13] == [str(y) for y in range(2011, 2024)] and keys[13:] == ["201X", "202_", "?"]
    for year in ("2012", "2018", "2020"):
        assert 'class="gap"' in rows[year] and "无文件" in rows[year]
    # documents, items, then matches, share, documents mentioning it
    assert cell_numbers(rows["2019"])[2:] == ["2", "2.2%", "1"]
    assert cell_numbers(rows["2021"])[2] == "1" and cell_numbers(rows["2022"])[2] == "2"
    assert cell_numbers(rows["2023"])[2:] == ["0", "0.0%", "0"]
    assert 'class="masked"' in rows["201X"] and "201X（年份不明）" in rows["201X"] and "年份不明" in rows["?"]
    # the best example links to its item, the query's words marked
    example = re.search(r'<td class="example"><a href="([^"]+)">', rows["2019"]).group(1)
    q = parse_qs(urlparse(unescape(example)).query)
    assert q["id"] == ["national_gwr_2019"]
    assert "减税降费" in marks(rows["2019"])
    assert "共 5 条匹配，按词判定；最早见于条目：2019" in r.text
    assert "“匹配”不是取前几条结果" in r.text and "至少 50%" in r.text


def test_several_topics_give_one_column_each_and_the_chart_a_bar_per_topic_and_year_with_documents(client, web_engine):
    topics = ["减税降费", "双减", "课后服务"]
    r = get(client, "/trend", q="减税降费 双减 课后服务")
    assert [unescape(x) for x in re.findall(r'<th scope="colgroup" colspan="3" class="topic">(.*?)</th>', r.text)] == topics
    table = trend(topics, web_engine.searcher)
    with_docs = [g for g in table.groups if not g.gap]
    svg = chart_of(r.text)
    bars = rects(svg, "bar")
    assert len(bars) == len(with_docs) * 3 and len(rects(svg, "gap")) == len(table.groups) - len(with_docs)
    # bars are in row order, one per topic; each is as tall as its share (a zero a hairline)
    heights = [float(b.get("height")) for b in bars]
    shares = [c.share for g in with_docs for c in g.cells]
    tallest = max(range(len(shares)), key=shares.__getitem__)
    assert heights[tallest] == max(heights) and all((h > 1) == (s > 0) for h, s in zip(heights, shares))
    assert "2023 · 双减：3 条中 1 条匹配（33.3%），1 份文件中 1 份提及" in [b.find(f"{SVG}title").text for b in bars]
    row = trend_rows(r.text)["2023"]  # the hostile plan: 课后服务 and 双减 in one item
    assert cell_numbers(row)[2:] == ["0", "0.0%", "0", "1", "33.3%", "1", "1", "33.3%", "1"]
    # with several topics, each count links to its best example
    assert len(re.findall(r'<td class="num matches"><a href="/document\?id=hostile_plan', row)) == 2


def test_a_topic_the_reports_only_paraphrase_is_matched_by_meaning_and_the_page_says_so(client):
    r = get(client, "/trend", q="房住不炒")
    assert "按语义判定" in r.text
    rows = trend_rows(r.text)
    matched = [k for k, row in rows.items() if 'class="gap"' not in row and cell_numbers(row)[2] != "0"]
    assert matched == ["2021", "2022"]  # 房子是用来住的、不是用来炒的
    assert "（按语义）" in r.text  # in the chart's legend


@pytest.mark.parametrize("text, topics", [
    ("双减 课后服务 留守儿童", ["双减", "课后服务", "留守儿童"]),
    ("双减  课后服务\u3000留守儿童 ", ["双减", "课后服务", "留守儿童"]),
    ('"留守儿童" 心理健康 -城市', ['"留守儿童"', "心理健康 -城市"]),
    ("留守儿童 关爱，课后服务", ["留守儿童 关爱", "课后服务"]),
    ("双减、课后服务；留守儿童\n控辍保学", ["双减", "课后服务", "留守儿童", "控辍保学"]),
    ("“课后 服务” 双减", ["“课后 服务”", "双减"]),
])
def test_the_topic_box_splits_topics_as_the_page_says(text, topics):
    assert split_topics(text) == topics


def test_trend_groups_by_region_issuer_and_kind(client, web_engine):
    rows = trend_rows(get(client, "/trend", q="减税降费", by="region").text)
    assert list(rows) == [g.key for g in trend(["减税降费"], web_engine.searcher, by="region").groups]
    assert list(rows)[-1] == "?" and "地区不明" in rows["?"]
    assert cell_numbers(rows["全国"]) == ["3", "271", "5", "1.8%", "3"]
    kinds = trend_rows(get(client, "/trend", q="减税降费", by="kind").text)
    assert "报告" in kinds["report"] and "计划" in kinds["plan"]


def test_the_trend_filters_decide_the_rows_and_stay_in_the_url(client):
    r = get(client, "/trend", q="减税降费", year_from="2019", year_to="2022", kind="report")
    assert list(trend_rows(r.text)) == ["2019", "2020", "2021", "2022"]
    assert '<option value="report" selected>' in r.text and 'value="2019"' in r.text
    assert "没有符合这些筛选条件的文件" in get(client, "/trend", q="减税降费", region="火星").text


def test_trend_downloads_one_record_per_group_and_topic(client, web_engine):
    topics = ["减税降费", "双减"]
    records = jsonl(get(client, "/trend", q="减税降费 双减", format="json"))
    assert records == trend_records(trend(topics, web_engine.searcher))
    rows = csv_rows(get(client, "/trend", q="减税降费 双减", format="csv"))
    assert [(x["group"], x["query"]) for x in rows] == [(x["group"], x["query"]) for x in records]
    gap = next(x for x in rows if x["group"] == "2020")
    assert gap["gap"] == "True" and gap["matches"] == ""  # a gap, not a zero


@pytest.mark.parametrize("params, words", [
    ({"q": "  "}, ["话题为空"]),
    ({"q": " ".join(f"话题{n}" for n in range(MAX_TOPICS + 1))}, ["最多", str(MAX_TOPICS)]),
    ({"q": "双减", "by": "doc"}, ["by"]),
    ({"q": "双减", "year_of": "any"}, ["year_of"]),
    ({"q": "双减", "year_from": "1000", "year_to": "3000"}, ["年份范围太长"]),
    ({"q": "双减", "doc": "national_gwr_2033"}, ["national_gwr_2033"]),
    ({"format": "csv"}, ["话题"]),
])
def test_a_bad_trend_request_is_a_400_page(client, params, words):
    assert_error(get(client, "/trend", **params), 400, *words)


# --- scores ------------------------------------------------------------------------------------------

def scores(html: str) -> list[tuple[str, str]]:
    return [(unescape(t), v) for t, v in re.findall(r'<span class="score" title="([^"]*)">([^<]*)</span>', html)]


def test_every_score_shown_in_the_default_mode_is_a_probability_with_a_tooltip_saying_so(client, web_engine):
    hits = web_engine.search("留守儿童", 10, "hybrid", Filters())
    assert hits.probability
    shown = scores(get(client, "/search", q="留守儿童").text)
    assert [v for _, v in shown] == [f"{h.score * 100:.0f}%" for h in hits]
    assert all("估计这一条相关的概率" in t for t, _ in shown)
    page = get(client, "/search", q="留守儿童", view="year").text
    groups = web_engine.search_by_year("留守儿童", 3, "hybrid", Filters(), "plan")
    per_year = scores(page)
    # a year under the floor shows its closest item, with its probability too
    assert [v for _, v in per_year] == [f"{h.score * 100:.0f}%" for g in groups
                                        for h in (list(g.hits) or [g.below] * (g.below is not None))]
    assert per_year and all("估计这一条相关的概率" in t for t, _ in per_year)
    assert "右边的百分比：估计这一条相关的概率" in page


def test_a_raw_score_is_shown_as_a_number_and_said_not_to_be_a_probability(client, web_engine):
    hits = web_engine.search("留守儿童", 10, "dense", Filters())
    shown = scores(get(client, "/search", q="留守儿童", mode="dense").text)
    assert [v for _, v in shown] == [f"{h.score:.3f}" for h in hits]
    assert all("不是概率" in t for t, _ in shown)


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
    ({"id": "national_gwr_2033"}, 404, ["national_gwr_2033", "是不是"]),
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
    rows = re.findall(r'<tr class="row-(\w+)" data-status="\w+"[^>]*>', r.text)
    assert rows == [al.status for al in cmp.alignments]
    summary = compare_summary_record(cmp)
    assert f"{round(summary['verbatim_share'] * 100, 1)}%" in r.text
    with use_lang("zh"):
        for status, n in cmp.summary.counts.items():
            assert f"{term(status)} <b>{n}</b>" in r.text
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


# --- check ------------------------------------------------------------------------------------------

SEED_003 = "003_d3b064de2d82a876"


@pytest.fixture(scope="module")
def restored_003(tmp_path_factory):
    path = tmp_path_factory.mktemp("restored") / "草稿_003.txt"
    path.write_text(restored_003_text(), encoding="utf-8")
    return path


def upload(client, name: str, data: bytes, **form):
    return client.post("/check", files={"file": (name, data, "text/plain")}, data=form)


def source_rows(html: str) -> list[tuple[str, str]]:
    """(doc id, share shown) of each row of the sources table."""
    body = html.split('<table class="grid check-sources">', 1)[1].split("</table>", 1)[0]
    return [(unescape(d), sh) for d, sh in
            re.findall(r'<tr data-doc="([^"]+)">\s*<td class="num">\d+</td>\s*<td class="num"><b>([^<]+)</b>', body)]


def passage_rows(html: str) -> list[tuple[str, str, str]]:
    """(level, source doc id, inner HTML) of each passage row."""
    return [(m.group(1), unescape(m.group(2)), m.group(3)) for m in
            re.finditer(r'<tr class="passage lv-row-\w+" id="passage-\d+" data-level="(\w+)" data-source="([^"]+)">(.*?)</tr>',
                        html, re.S)]


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def test_the_check_page_offers_an_upload_with_its_size_limit_and_a_document_of_the_index(client):
    r = client.get("/check")
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in r.text and 'type="file" name="file"' in r.text
    assert f"不超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB" in r.text
    assert '<input name="doc" list="doc-list"' in r.text
    assert "TODO" not in r.text and "#13" not in r.text


def test_003_with_its_swaps_undone_is_found_copied_from_003_with_the_swapped_words_marked(client, web_engine,
                                                                                        restored_003):
    r = upload(client, restored_003.name, restored_003.read_bytes())
    assert r.status_code == 200 and r.url.path == "/check" and parse_qs(r.url.query.decode())["upload"]
    assert restored_003.name in r.text
    (doc,) = load_corpus(restored_003)
    expected = check_document(doc, web_engine.searcher.index)
    # the figures of the report: 总文字复制比, by level, 单篇最大文字复制比, the sources in order
    assert expected.share >= 0.95 and expected.by_level["disguised"] > 0.05
    assert f'总文字复制比 <span class="big">{pct(expected.share)}</span>' in r.text
    with use_lang("zh"):
        for level in expected.by_level:
            assert f"{term(level)} <b>{pct(expected.by_level[level])}</b>" in r.text
    assert f"单篇最大文字复制比 <b>{pct(expected.max_source_share)}</b>" in r.text
    sources = source_rows(r.text)
    assert sources == [(s.doc.doc_id, pct(s.share)) for s in expected.sources]
    assert sources[0][0] == SEED_003
    link = re.search(rf'<tr data-doc="{SEED_003}">.*?<a href="([^"]+)">', r.text, re.S).group(1)
    assert unescape(link) == f"/document?{urlencode({'id': SEED_003})}"
    # the passages, side by side: 教育 here, 教化 in the source, marked as a swap on both sides
    rows = passage_rows(r.text)
    assert [(lv, src) for lv, src, _ in rows] == [(p.level, p.source_doc_id) for p in expected.passages]
    disguised = [inner for lv, src, inner in rows if lv == "disguised" and src == SEED_003]
    assert disguised
    first = disguised[0]
    checked_side, source_side = re.findall(r'<td class="side"[^>]*>(.*?)</td>', first, re.S)
    assert re.search(r'<mark class="synonym" title="同义词替换：教化 → 教育">教育</mark>', checked_side)
    assert re.search(r'<mark class="synonym" title="同义词替换：教化 → 教育">教化</mark>', source_side)
    assert "替换：教化→教育" in first
    # the source side links to the passage marked in 003
    href = unescape(re.search(r'<a class="where" href="([^"]+)"', source_side).group(1))
    q = parse_qs(urlparse(href).query)
    assert q["id"] == [SEED_003] and re.fullmatch(r"\d+-\d+", q["mark"][0])
    marked = client.get(href)
    assert re.findall(r'<li class="item marked" id="item-(\d+)"', marked.text) == [urlparse(href).fragment.split("-")[1]]
    # per item: its copied share, the copied text marked by level
    for share in expected.items:
        if share.chars:
            row = re.search(rf'<tr id="c-item-{share.item.ordinal}" data-item="[^"]+"[^>]*>(.*?)</tr>', r.text, re.S).group(1)
            assert pct(share.share) in row
    assert '<span class="lv-disguised" title="伪装复制">' in r.text


def test_an_indexed_document_is_checked_from_its_page_against_all_the_others(client):
    page = get(client, "/document", id=PLAN_202_)
    href = unescape(re.search(r'<p class="check-link"><a href="([^"]+)">', page.text).group(1))
    assert parse_qs(urlparse(href).query) == {"doc": [PLAN_202_]}
    r = client.get(href)
    assert r.status_code == 200
    sources = source_rows(r.text)
    # 202_ is the 201X plan with its years changed: all verbatim from it, itself left out
    assert sources[0] == (PLAN_201X, sources[0][1]) and float(sources[0][1][:-1]) >= 99
    assert PLAN_202_ not in [d for d, _ in sources]
    assert {lv for lv, _, _ in passage_rows(r.text)} == {"verbatim"}
    assert "不与它自己比" in r.text
    compare = unescape(re.search(rf'<tr data-doc="{re.escape(PLAN_201X)}">.*?<a href="(/compare[^"]+)"', r.text, re.S).group(1))
    assert parse_qs(urlparse(compare).query) == {"a": [PLAN_201X], "b": [PLAN_202_]}
    # each item of the checked document links to it in its document
    assert f'<a href="/document?{urlencode({"id": PLAN_202_})}#item-0">' in r.text.replace("&amp;", "&")


def test_a_compiled_upload_lets_the_user_pick_which_plan_to_check(client):
    r = upload(client, "汇编.txt", seed_path("000").read_bytes())
    plans = re.search(r'<nav class="plans".*?</nav>', r.text, re.S).group(0)
    assert len(re.findall(r"<li>", plans)) == 5 and '<b aria-current="true">区教育局201X年工作要点</b>' in plans
    pick = [unescape(x) for x in re.findall(r'<a href="([^"]+)">', plans)]
    assert [parse_qs(urlparse(x).query)["plan"] for x in pick] == [["2"], ["3"], ["4"], ["5"]]
    fourth = client.get(pick[2])
    assert '<b aria-current="true">区教育局202_年工作要点</b>' in fourth.text
    assert source_rows(fourth.text)[0][0] == PLAN_202_  # it is in the index as it stands
    # leaving the indexed copy out, as one leaves out the same plan's earlier draft
    without = get(client, "/check", **{**parse_qs(urlparse(pick[2]).query), "exclude": PLAN_202_})
    assert source_rows(without.text)[0][0] == PLAN_201X and PLAN_202_ not in dict(source_rows(without.text))
    assert f'<input type="checkbox" name="exclude" value="{PLAN_202_}" checked>' in without.text


def test_the_options_decide_which_documents_count_as_sources(client):
    r = get(client, "/check", doc=PLAN_202_, year_from="2019", year_to="2022", paraphrase="0")
    assert PLAN_201X not in dict(source_rows(r.text))  # of a masked year: not in 2019-2022
    assert "这次没有查（不用模型）" in r.text
    by_region = get(client, "/check", doc=PLAN_202_, region="全国")
    assert {d for d, _ in source_rows(by_region.text)} <= {"national_gwr_2019", "national_gwr_2021", "national_gwr_2022"}


def test_check_downloads_the_report_as_the_cli_prints_it(client, web_index):
    from typer.testing import CliRunner

    from plansearch.cli import app as cli_app

    def without_time(records):
        return [{k: v for k, v in rec.items() if k != "seconds"} for rec in records]

    records = jsonl(get(client, "/check", doc=PLAN_202_, format="json"))
    cli = CliRunner().invoke(cli_app, ["check", "--doc", PLAN_202_, "--index", str(web_index), "--json"])
    assert cli.exit_code == 0, cli.output
    assert without_time(records) == without_time([json.loads(x) for x in cli.stdout.splitlines() if x.strip()])
    assert [x["type"] for x in records[:2]] == ["summary", "source"]
    by_type = {t: [x for x in records if x["type"] == t] for t in ("source", "passage", "item")}
    assert [x["doc_id"] for x in csv_rows(get(client, "/check", doc=PLAN_202_, format="csv", list="sources"))] == \
        [x["doc_id"] for x in by_type["source"]]
    passages = csv_rows(get(client, "/check", doc=PLAN_202_, format="csv"))  # the passages, as the CLI's csv
    assert [(x["checked_item_id"], x["source_doc_id"]) for x in passages] == \
        [(x["checked_item_id"], x["source_doc_id"]) for x in by_type["passage"]]
    items = csv_rows(get(client, "/check", doc=PLAN_202_, format="csv", list="items"))
    assert [x["item_id"] for x in items] == [x["item_id"] for x in by_type["item"]]
    html = get(client, "/check", doc=PLAN_202_, format="html")
    assert html.headers["content-disposition"].startswith("attachment")
    assert "查重报告" in html.text and PLAN_201X in html.text
    # an upload's report downloads too, with the options it was uploaded with
    up = upload(client, "x.txt", seed_path("002").read_bytes(), paraphrase="0")
    q = parse_qs(up.url.query.decode())
    assert q["paraphrase"] == ["0"] and "这次没有查（不用模型）" in up.text
    summary = jsonl(get(client, "/check", upload=q["upload"][0], paraphrase="0", format="json"))[0]
    assert summary["source"] == "x.txt" and summary["thresholds"]["paraphrase_min"] is None


def test_uploaded_text_holding_markup_is_shown_as_text_in_the_report(client):
    r = upload(client, "<img src=x onerror=alert(1)>[bold]草稿.txt", HOSTILE_PLAN.encode("utf-8"))
    assert r.status_code == 200
    assert source_rows(r.text)[0] == ("hostile_plan", "100.0%")  # the index holds the same plan
    body = r.text
    assert "<script>alert" not in body and "<b>防溺水" not in body and "<img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;[bold]草稿.txt" in body  # the file's name
    assert "&lt;script&gt;alert(" in body.split('<table class="cmp check-passages">', 1)[1]  # the passages
    assert "[/bold]双减[red]要求[/red]" in unescape(re.sub(r"<[^>]+>", "", body))


@pytest.mark.parametrize("params, status, words", [
    ({"doc": "national_gwr_2033"}, 404, ["national_gwr_2033", "是不是"]),
    ({"doc": PLAN_201X, "upload": "abcdefghij"}, 400, ["doc", "upload"]),
    ({"upload": "abcdefghijkl"}, 404, ["重新上传"]),
    ({"upload": "../../etc/passwd"}, 400, ["upload"]),
    ({"doc": PLAN_201X, "exclude": "nope"}, 404, ["nope"]),
    ({"doc": PLAN_201X, "min_chars": "1"}, 400, ["min_chars"]),
    ({"doc": PLAN_201X, "paraphrase": "maybe"}, 400, ["paraphrase"]),
    ({"doc": PLAN_201X, "year_from": "20x1"}, 400, ["20x1"]),
    ({"doc": PLAN_201X, "format": "pdf"}, 400, ["format"]),
    ({"doc": PLAN_201X, "format": "csv", "list": "everything"}, 400, ["list"]),
    ({"format": "json"}, 400, ["上传"]),
])
def test_a_bad_check_request_is_a_4xx_page(client, params, status, words):
    assert_error(get(client, "/check", **params), status, *words)


def test_a_plan_the_upload_does_not_have_is_a_400(client):
    r = upload(client, "一份.txt", seed_path("002").read_bytes())
    token = parse_qs(r.url.query.decode())["upload"][0]
    assert_error(get(client, "/check", upload=token, plan="2"), 400, "plan", "1")


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
    r = TestClient(create_app(engine=web_engine), raise_server_exceptions=False, base_url="http://localhost").get("/search?q=教育")
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
    monkeypatch.setattr(web_app, "create_app", lambda index_dir, warm, allowed_hosts: ("app", index_dir, warm))
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


def test_level_is_a_filter_and_a_grouping_and_a_year_with_no_relevant_hit_says_no_match(client, web_engine):
    page = get(client, "/search", q="减税降费").text
    assert '<select name="level">' in page and '<option value="national">国家级</option>' in page
    r = get(client, "/search", q="减税降费", level="national", format="json")
    assert {x["level"] for x in jsonl(r)} == {"national"}
    rows = trend_rows(get(client, "/trend", q="减税降费", by="level").text)
    assert list(rows) == [g.key for g in trend(["减税降费"], web_engine.searcher, by="level").groups]
    assert "国家级" in rows["national"] and "区级" in rows["district"]
    # the seed plans (2010-2024) hold no 减税降费: their years show 无匹配, not an unrelated "best";
    # the nearest item follows, set apart and dimmed under its own label
    groups = web_engine.search_by_year("减税降费", 3, "hybrid", Filters(), "plan")
    empty = next(g for g in groups if g.below is not None)
    text = unescape(get(client, "/search", q="减税降费", view="year").text)
    assert f"无匹配（最相关的条目仅 {empty.below.score:.0%}，低于 50%）" in text
    closest = text.split(f"无匹配（最相关的条目仅 {empty.below.score:.0%}，低于 50%）", 1)[1].split("</section>", 1)[0]
    assert '<div class="closest">' in closest and "最接近的条目（低于阈值）：" in closest
    assert empty.below.item.doc_id in closest
    assert get(client, "/search", q="减税降费", level="planet").status_code == 400


def test_a_reused_passage_is_shown_in_its_whole_sentences_with_the_copy_marked(client, web_engine):
    from markupsafe import escape  # as the templates escape

    view = web_engine.reuse()
    top = reuse_cluster_record(1, view.report.clusters[0], view.docs_by_id)
    text = get(client, "/reuse").text
    loc = top["locations"][0]
    a, b = loc["copied"]
    shown = f'{escape(loc["sentence"][:a])}<mark class="copied">{escape(loc["sentence"][a:b])}</mark>'
    assert shown in text


def test_on_a_large_index_the_reuse_page_waits_for_the_kept_report_and_document_pages_do_not(web_engine, fresh_home,
                                                                                           monkeypatch):
    import plansearch.reuse as reuse_mod
    import plansearch.web.engine as engine_mod
    from plansearch.reuse import reuse_in_index

    monkeypatch.setattr(reuse_mod, "WHOLE_REPORT_MAX_ITEMS", 0)  # every index is "large"
    engine = engine_mod.Engine(web_engine.index_dir)
    client = TestClient(create_app(engine=engine), base_url="http://localhost")
    r = get(client, "/reuse")
    assert r.status_code == 503
    assert f"plansearch reuse --index {web_engine.index_dir} --min-chars 30 --across any" in unescape(r.text)
    # a document page compares its document alone: the same passages the whole report gives it
    page = get(client, "/document", id=PLAN_202_)
    assert page.status_code == 200 and 'class="relation' in page.text
    assert engine._reuse == {} and PLAN_202_ in engine._document_reuse
    # read one at a time: held afterwards are the page's document and those its passages stand in
    shown = {p.doc_id for c in engine._document_reuse[PLAN_202_].report.clusters for p in c.locations}
    held = {d.doc_id for d in engine.searcher.index.documents if d.items}
    assert held == shown | {PLAN_202_} and len(held) < len(engine.searcher.index.documents), (held, shown)
    # once the CLI has computed and kept it, the page reads it
    reuse_in_index(engine.searcher.index)
    r = get(client, "/reuse")
    assert r.status_code == 200 and "reused passages found in" not in r.text  # the page speaks Chinese
    assert len(hit_rows := re.findall(r'<span class="rank">', r.text)) >= 10, hit_rows
