"""The web app's lineage: an item's 来历 on its document's page and the 扩散 (diffusion) page, on the
diffusion corpus of tests/test_lineage.py (a 2019 → 2021 → 2023 chain, an undated same-period pair, a
dated pair, a disguised copy, boilerplate in every plan). App-level through Starlette's TestClient,
then in a real browser (Chromium), like the other pages."""
from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from test_lineage import write_plans
from test_web_browser import CHROMIUM, CHROMIUM_ARGS

from plansearch.store import build_index


@pytest.fixture(scope="module")
def lineage_engine(tmp_path_factory):
    from plansearch.web.engine import Engine

    index_dir = tmp_path_factory.mktemp("diffusion-web-index")
    build_index(write_plans(tmp_path_factory.mktemp("diffusion-web")), index_dir)
    engine = Engine(index_dir)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def client(lineage_engine):
    from plansearch.web.app import create_app

    return TestClient(create_app(engine=lineage_engine), base_url="http://localhost")



def test_an_item_s_lineage_on_its_document_page_shows_the_chain_back_and_links_to_compare(client):
    html = client.get("/document?id=bing_2023").text
    assert "来历：3 条中有 1 条在本库中有更早的相同条目；抄自：区乙教育局2021年工作要点 (1)" in html.replace("\n", "")
    at = html.index("持续关注弱势群体")
    block = html[html.index('<details class="lineage', at):]
    block = block[:block.index("</details>")]
    assert "见于 3 篇文件；本库最早：2019 区甲教育局2019年工作要点" in block
    assert "传承链：本条 ← 2021 yi_2021 ← 2019 jia_2019" in block
    assert "本库最早" in block and "上一份" in block
    assert "“本库最早”不等于出处" in block and block.count("出处") == 2  # only where the note says it is not one
    # each copy links to the compare view of the two documents at this item
    assert '/compare?a=yi_2021&amp;b=bing_2023#b-1' in block and '/document?id=jia_2019#item-1' in block


def test_the_compare_view_opens_at_the_item(client):
    html = client.get("/compare?a=yi_2021&b=bing_2023").text
    row = re.search(r'<tr class="row-(\w+)"[^>]*id="b-1"', html)
    assert row and row.group(1) == "edited"


def test_same_period_copies_say_their_order_cannot_be_told_and_boilerplate_says_it_is_boilerplate(client):
    html = client.get("/document?id=ding_2022").text
    safety = html[html.index("全面加强校园安全管理"):]
    safety = safety[:safety.index("</details>")]
    assert "本库中没有更早的" in safety and "同期：分不出先后" in safety
    assert "套话：8 篇文件都有，不追溯来历" in html


def test_an_item_without_copies_has_no_lineage_box(client):
    html = client.get("/document?id=bing_2023").text
    own = html[html.index("推动集团化办学"):]
    own = own[:own.index("</li>")]
    assert "来历" not in own


def test_the_diffusion_page_draws_who_copies_whom_and_lists_the_edges(client):
    html = client.get("/diffusion").text
    assert "<svg" in html and 'class="edge same-period"' in html and 'marker-end="url(#arrow)"' in html
    assert "<script" not in html[html.index("<svg"):html.index("</svg>")]  # self-contained, nothing run
    for issuer in ("区甲教育局", "区乙教育局", "区丙教育局", "区丁教育局", "区戊教育局"):
        assert issuer in html
    assert "（同期，无先后）" in html  # 丁 and 戊
    edges = html[html.index('id="edges"'):html.index("</table>", html.index('id="edges"'))]
    assert edges.count("<tr") == 1 + 5  # the header and five edges
    assert "套话" in html and "未计入 1 条" in html


def test_the_diffusion_page_filters_by_year_and_groups_by_document(client):
    html = client.get("/diffusion?by=doc&years=2021-2024").text
    edges = html[html.index('id="edges"'):html.index("</table>", html.index('id="edges"'))]
    assert "yi_2021" in edges and "bing_2023" in edges and "jia_2019" not in edges
    bad = client.get("/diffusion?years=abc")
    assert bad.status_code == 400


def test_the_graph_downloads_as_graphml_and_csv(client, tmp_path):
    import networkx as nx

    r = client.get("/diffusion?format=graphml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/graphml+xml")
    (tmp_path / "g.graphml").write_bytes(r.content)
    g = nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True)
    assert g.has_edge("区甲教育局", "区乙教育局")
    csv = client.get("/diffusion?format=csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("type,source,target,items")


def test_the_diffusion_page_in_english(client):
    html = client.get("/diffusion?lang=en").text
    assert "Who copies whom" in html and "(same period, undirected)" in html


@pytest.mark.slow
def test_lineage_and_diffusion_in_a_browser(lineage_engine, tmp_path):
    from plansearch.web.app import create_app
    from plansearch.web.server import BackgroundServer

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium (scripts/test.sh does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with BackgroundServer(create_app(engine=lineage_engine)) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="zh-CN")
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url + "/document?id=bing_2023")
            box = page.locator("details.lineage").filter(has_text="本库最早").first
            assert not box.locator("ol.timeline").is_visible()
            box.locator("summary").click()
            assert box.locator("ol.timeline li").count() == 2 and box.locator(".lineage-chain").is_visible()
            page.screenshot(path=str(tmp_path / "web-lineage.png"), full_page=True)
            box.locator("a.compare-link").first.click()
            page.wait_for_url(re.compile(r"/compare\?a=.*#b-1"))
            assert page.locator("tr#b-1").is_visible()
            page.goto(url + "/diffusion")
            svg = page.locator("svg.diffusion")
            assert svg.is_visible() and svg.locator("g.node").count() >= 5
            assert svg.locator("line.same-period").count() == 1
            page.set_viewport_size({"width": 390, "height": 800})  # a phone: the figure scrolls, the page does not
            page.goto(url + "/diffusion")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
            assert errors == []
        finally:
            browser.close()
