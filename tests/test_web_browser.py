"""The web app as a person uses it, in a real browser: headless Chromium (Debian's /usr/bin/chromium,
installed by scripts/test.sh) driven by Playwright, against the app served by uvicorn on a free port.

Nothing is downloaded: Playwright is pointed at the system Chromium (`playwright install` is never
run). When a test fails, a screenshot of every page it showed is written to
test-artifacts/web/<test>/ (or $PLANSEARCH_SCREENSHOTS/<test>/)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from conftest import REPO, restored_003_text
from plansearch.search import Filters
from plansearch.trend import trend

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("PLANSEARCH_SCREENSHOTS") or REPO / "test-artifacts" / "web")


@pytest.fixture(scope="module")
def live_url(web_engine):
    from plansearch.web.app import create_app
    from plansearch.web.server import BackgroundServer

    with BackgroundServer(create_app(engine=web_engine)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium (scripts/test.sh does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """A browser tab that keeps a screenshot of each page it showed (written out if the test
    fails) and the script errors and console errors (a CSP violation is one) it saw."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base
        self.shots: list[tuple[str, bytes]] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"script error: {e}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def goto(self, path: str, name: str) -> None:
        self.page.goto(self.base + path)
        self.snap(name)

    def snap(self, name: str) -> None:
        self.shots.append((name, self.page.screenshot(full_page=True)))

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlparse(self.page.url).query)


@pytest.fixture
def tab(browser, live_url, request):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    context.set_default_timeout(120_000)  # the first compare embeds its items on a busy machine
    t = Tab(context.new_page(), live_url)
    failed_before = request.session.testsfailed
    yield t
    if request.session.testsfailed > failed_before:  # this test's call failed: keep what it saw
        folder = SHOTS / re.sub(r"[^\w.-]", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            t.snap("at-failure")
        except Exception:  # the page may be gone; the earlier shots are still worth having
            pass
        for i, (name, png) in enumerate(t.shots):
            (folder / f"{i:02d}-{name}.png").write_bytes(png)
    context.close()


def test_search_then_a_hit_then_its_document_then_compare_with_a_second_plan_then_back(tab, web_engine):
    page = tab.page
    tab.goto("/search", "search-form")
    page.fill("#q", "留守儿童")
    page.press("#q", "Enter")
    page.wait_for_selector("li.hit")
    tab.snap("search-results")
    search_url = page.url
    assert tab.query()["q"] == ["留守儿童"]
    hits = page.locator("li.hit")
    expected = web_engine.search("留守儿童", 10, "hybrid", Filters())
    assert [hits.nth(i).get_attribute("data-item") for i in range(hits.count())] == \
        [h.item.item_id for h in expected]
    assert page.locator("li.hit mark").count() > 0

    # the keyboard: j puts the focus on the first hit, Enter opens its document at the item
    page.locator("h1, .count").first.click()
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.className") == "hit-link"
    page.keyboard.press("Enter")
    page.wait_for_url("**/document?**")
    tab.snap("document")
    doc_id, ordinal = expected[0].item.doc_id, expected[0].item.ordinal
    assert tab.query()["id"] == [doc_id] and page.url.endswith(f"#item-{ordinal}")
    assert page.locator("h1").inner_text() == (web_engine.document(doc_id).title or doc_id)
    assert page.locator(f"#item-{ordinal}").is_visible()

    other = next(d.doc_id for d in web_engine.documents if d.kind == "plan" and d.doc_id != doc_id)
    page.fill("form.inline input[name=b]", other)
    page.click("form.inline button")
    page.wait_for_url("**/compare?**")
    page.wait_for_selector("table.cmp")
    tab.snap("compare")
    assert tab.query()["a"] == [doc_id] and tab.query()["b"] == [other]
    cmp = web_engine.comparison(doc_id, other, True)
    assert page.locator("table.cmp tbody tr").count() == len(cmp.alignments)

    page.go_back()
    page.wait_for_url("**/document?**")
    assert page.locator("h1").inner_text() == (web_engine.document(doc_id).title or doc_id)
    page.go_back()
    page.wait_for_url(search_url)
    tab.snap("back-at-search")
    assert page.input_value("#q") == "留守儿童"
    assert page.locator("li.hit").count() == len(expected)
    assert not tab.errors, tab.errors


def test_a_filter_changes_the_url_and_the_results(tab):
    page = tab.page
    tab.goto("/search?q=减税降费", "unfiltered")
    before = {page.locator("li.hit").nth(i).get_attribute("data-doc") for i in range(page.locator("li.hit").count())}
    assert len(before) > 1
    page.fill("input[name=year_from]", "2021")
    page.fill("input[name=year_to]", "2021")
    page.select_option("select[name=kind]", "report")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**year_from=2021**")
    tab.snap("filtered")
    q = tab.query()
    assert q["year_from"] == ["2021"] and q["year_to"] == ["2021"] and q["kind"] == ["report"]
    after = {page.locator("li.hit").nth(i).get_attribute("data-doc") for i in range(page.locator("li.hit").count())}
    # a report reviews one year and plans the next: 2022's reviews 2021
    assert after == {"national_gwr_2021", "national_gwr_2022"} and after != before
    page.select_option("select[name=year_of]", "plan")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**year_of=plan**")
    tab.snap("filtered-plan-year")
    after = {page.locator("li.hit").nth(i).get_attribute("data-doc") for i in range(page.locator("li.hit").count())}
    assert after == {"national_gwr_2021"}
    assert page.input_value("input[name=year_from]") == "2021"
    assert not tab.errors, tab.errors


def bar_shares(page, selector: str = "figure.trend-chart svg rect.bar") -> list[tuple[float, str]]:
    """(drawn height in pixels, tooltip) of each bar of the chart."""
    bars = page.locator(selector)
    return [(bars.nth(i).bounding_box()["height"], bars.nth(i).locator("title").text_content())
            for i in range(bars.count())]


def test_the_per_year_chart_draws_the_calibrated_trend_one_bar_per_year_with_documents(tab, web_engine):
    page = tab.page
    tab.goto("/search?q=减税降费&view=year", "per-year")
    table = trend(["减税降费"], web_engine.searcher)
    with_docs = [g for g in table.groups if not g.gap]
    bars = bar_shares(page)
    assert len(bars) == len(with_docs)
    assert page.locator("figure.trend-chart svg rect.gap").count() == len(table.groups) - len(with_docs)
    shares = [g.cells[0].share for g in with_docs]
    heights = [h for h, _ in bars]
    assert heights[max(range(len(shares)), key=shares.__getitem__)] == max(heights)
    assert all((h > 1.5) == (s > 0) for h, s in zip(heights, shares))  # a zero is a hairline, drawn
    assert "未校准" not in page.locator("figcaption").inner_text()

    page.click("nav.tabs >> text=按相关度")
    page.wait_for_url("**view=list**")
    assert page.locator("figure.trend-chart").count() == 0
    page.go_back()
    page.wait_for_url("**view=year**")
    assert page.locator("figure.trend-chart svg rect.bar").count() == len(with_docs)
    assert not tab.errors, tab.errors


def test_the_trend_page_charts_several_topics_and_the_grouping_changes_the_url(tab, web_engine):
    page = tab.page
    tab.goto("/search", "search")
    page.click("header.top >> text=趋势")
    page.wait_for_url("**/trend")
    page.fill("#q", "减税降费 双减")
    page.press("#q", "Enter")
    page.wait_for_selector("figure.trend-chart svg")
    tab.snap("trend-by-year")
    assert tab.query()["q"] == ["减税降费 双减"]
    table = trend(["减税降费", "双减"], web_engine.searcher)
    with_docs = [g for g in table.groups if not g.gap]
    bars = bar_shares(page)
    assert len(bars) == 2 * len(with_docs)
    assert page.locator("figure.trend-chart svg rect.gap").count() == len(table.groups) - len(with_docs)
    assert "2023 · 双减：3 条中 1 条匹配（33.3%），1 份文件中 1 份提及" in [t for _, t in bars]
    rows = page.locator("table.trend-table tbody tr")
    assert rows.count() == len(table.groups)
    assert page.locator("table.trend-table tr.gap").count() == len(table.groups) - len(with_docs)

    page.select_option("select[name=by]", "region")
    page.click("form.trend-form button[type=submit]")
    page.wait_for_url("**by=region**")
    tab.snap("trend-by-region")
    by_region = trend(["减税降费", "双减"], web_engine.searcher, by="region")
    assert page.locator("figure.trend-chart svg rect.bar").count() == 2 * len(by_region.groups)
    assert page.locator("table.trend-table tbody th[scope=row]").last.inner_text() == "地区不明"
    # the keyboard: j goes to the first count with an example, Enter opens that item
    page.locator("h1").click()
    page.keyboard.press("j")
    first = page.locator(".trend-table td.matches a").first
    assert page.evaluate("document.activeElement.getAttribute('href')") == first.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url("**/document?**")
    page.go_back()
    page.wait_for_url("**by=region**")
    # the example of a count opens its item
    page.locator("table.trend-table tr[data-group='全国'] td.matches a").first.click()
    page.wait_for_url("**/document?**")
    assert tab.query()["id"][0].startswith("national_gwr_")
    page.go_back()
    page.wait_for_url("**by=region**")
    assert not tab.errors, tab.errors


def test_compare_picks_documents_by_autocomplete_and_filters_by_status(tab, web_engine):
    page = tab.page
    tab.goto("/compare", "compare-form")
    page.locator("input[name=a]").press_sequentially("gwr_202", delay=30)
    page.wait_for_function("""() => {
        const o = [...document.querySelectorAll('#doc-list option')];
        return o.length > 0 && o.every(x => x.value.includes('gwr_202'));
    }""")
    offered = page.eval_on_selector_all("#doc-list option", "os => os.map(o => o.value)")
    assert set(offered) == {"national_gwr_2021", "national_gwr_2022"}
    page.fill("input[name=a]", "national_gwr_2021")
    page.fill("input[name=b]", "national_gwr_2022")
    page.check("input[name=semantic]")  # no model: fast
    page.click("form.compare-form button")
    page.wait_for_selector("table.cmp")
    tab.snap("compare-all")
    cmp = web_engine.comparison("national_gwr_2021", "national_gwr_2022", False)
    assert page.locator("table.cmp tbody tr").count() == len(cmp.alignments)
    for status in ("same", "new", "dropped", "rewritten"):
        page.uncheck(f"input[name=only][value={status}]")
    page.click("form.compare-form button")
    page.wait_for_url("**only=edited**")
    tab.snap("compare-edited")
    statuses = page.eval_on_selector_all("table.cmp tbody tr", "rs => rs.map(r => r.dataset.status)")
    assert statuses == [al.status for al in cmp.alignments if al.status == "edited"] and statuses
    assert page.locator("table.cmp del, table.cmp ins").count() > 0
    assert not tab.errors, tab.errors


def test_a_reuse_cluster_opens_its_passage_marked_in_its_document(tab, web_engine):
    page = tab.page
    tab.goto("/reuse", "reuse")
    page.click("#cluster-1 summary")
    link = page.locator("#cluster-1 ul.locations a").first
    link.click()
    page.wait_for_url("**/document?**mark=**")
    tab.snap("passage")
    assert page.locator("li.item.marked").count() > 0
    assert page.locator("li.item.marked mark").count() > 0
    page.go_back()
    page.wait_for_url("**/reuse")
    tab.goto("/reuse?sort=chars&order=asc", "shares-by-size")
    sizes = page.eval_on_selector_all("#shares tbody tr td.num:nth-child(3)", "ts => ts.map(t => +t.innerText)")
    assert sizes == sorted(sizes) and len(sizes) == len(web_engine.documents)
    assert not tab.errors, tab.errors


def test_a_check_upload_shows_the_report_with_its_source_linked(tab, tmp_path):
    # 003 is a 降重 rewrite (教育→教化 …): its wording before the rewrite is found copied from it
    draft = tmp_path / "draft.txt"
    draft.write_text(restored_003_text(), encoding="utf-8")
    page = tab.page
    tab.goto("/check", "check-form")
    page.set_input_files("input[type=file]", str(draft))
    page.click("form.upload button")
    page.wait_for_selector(".check-result")
    tab.snap("check-report")
    assert "upload" in tab.query()
    assert "draft.txt" in page.locator(".check-result .meta").first.inner_text()
    first = page.locator("table.check-sources tbody tr").first
    assert first.get_attribute("data-doc") == "003_d3b064de2d82a876"
    share = float(page.locator(".check-summary .big").inner_text().rstrip("%"))
    assert share >= 95
    disguised = page.locator("tr.passage[data-level=disguised]").first
    assert disguised.locator("td.side").nth(0).locator("mark.synonym").first.inner_text() == "教育"
    assert disguised.locator("td.side").nth(1).locator("mark.synonym").first.inner_text() == "教化"
    # the source document, from the sources table
    first.locator("a").first.click()
    page.wait_for_url("**/document?**")
    tab.snap("source-document")
    assert tab.query()["id"] == ["003_d3b064de2d82a876"]
    page.go_back()
    page.wait_for_selector(".check-result")
    # the passage, marked where it stands in the source
    disguised.locator("td.side").nth(1).locator("a.where").click()
    page.wait_for_url("**mark=**")
    tab.snap("source-passage")
    assert page.locator("li.item.marked mark").count() > 0
    assert not tab.errors, tab.errors


def test_a_document_page_checks_that_document_against_the_others(tab):
    page = tab.page
    tab.goto("/document?id=000_5ae896fcb747d54c%234", "document")
    page.click("p.check-link a")
    page.wait_for_selector(".check-result")
    tab.snap("check-doc")
    assert tab.query()["doc"] == ["000_5ae896fcb747d54c#4"]
    assert page.locator("table.check-sources tbody tr").first.get_attribute("data-doc") == "000_5ae896fcb747d54c#1"
    assert not tab.errors, tab.errors


def test_a_mistake_shows_a_page_saying_what_is_wrong_and_back_goes_back(tab):
    page = tab.page
    tab.goto("/docs", "docs")
    tab.goto("/document?id=national_gwr_2033", "unknown-document")
    assert "national_gwr_2033" in page.locator("p.message").inner_text()
    page.click("a[data-back]")
    page.wait_for_url("**/docs")
    assert page.locator("table.grid tbody tr").count() > 0


# --- a phone and a desktop screen, the language switch, the paste box and the title lookup (#25) ----

PHONE, DESKTOP = (390, 844), (1280, 900)
EVERY_PAGE = {  # one of each page the app makes, filled
    "search": "/search?q=留守儿童",
    "search-by-year": "/search?q=减税降费&view=year",
    "trend": "/trend?q=双减+课后服务",
    "docs": "/docs",
    "document": "/document?id=national_gwr_2022",
    "compare": "/compare?a=national_gwr_2021&b=national_gwr_2022&semantic=0",
    "reuse": "/reuse",
    "check": "/check",
    "check-result": "/check?doc=000_5ae896fcb747d54c%234&paraphrase=0",
    "error": "/document?id=national_gwr_2033",
}
SHOWCASE = Path(os.environ.get("PLANSEARCH_SCREENSHOTS") or REPO / "test-artifacts" / "web") / "phone"


@pytest.fixture(params=[PHONE, DESKTOP], ids=["390px", "1280px"])
def screen_tab(request, browser, live_url):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(120_000)
    t = Tab(context.new_page(), live_url)
    t.width = width
    yield t
    context.close()


def overflow(page) -> int:
    """How far the page is wider than the screen (0: no sideways scrolling of the page body)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("name", list(EVERY_PAGE))
def test_every_page_fits_the_screen_without_sideways_scrolling(screen_tab, name):
    page = screen_tab.page
    screen_tab.goto(EVERY_PAGE[name], name)
    assert overflow(page) <= 0, f"{name} at {screen_tab.width}px is {overflow(page)}px too wide"
    # no word of the navigation breaks over lines (at 390 px it wrapped one character per line)
    if screen_tab.width < 700:
        page.click(".nav-toggle")
    heights = page.eval_on_selector_all("#nav-pages a", "as => as.map(a => a.getClientRects().length)")
    assert heights and set(heights) == {1}
    if screen_tab.width < 700:
        SHOWCASE.mkdir(parents=True, exist_ok=True)
        page.click(".nav-toggle")  # closed again, as a reader first sees it
        page.screenshot(path=str(SHOWCASE / f"{name}.png"), full_page=True)
    assert name == "error" or not screen_tab.errors, screen_tab.errors  # a 404 page logs its status


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(screen_tab):
    page = screen_tab.page
    screen_tab.goto("/search", "search")
    compare = page.locator("#nav-pages a", has_text="对比")
    if screen_tab.width >= 700:
        assert not page.locator(".nav-toggle").is_visible() and compare.is_visible()
    else:
        assert page.locator(".nav-toggle").is_visible() and not compare.is_visible()
        header = page.locator("header.top").bounding_box()["height"]
        assert header < 60  # one line: the brand, the menu button, the language switch
        page.click(".nav-toggle")
        assert page.get_attribute(".nav-toggle", "aria-expanded") == "true" and compare.is_visible()
    compare.click()
    page.wait_for_url("**/compare")
    assert not screen_tab.errors, screen_tab.errors


def test_on_a_phone_compare_gives_each_side_the_screens_width(screen_tab):
    page = screen_tab.page
    screen_tab.goto(EVERY_PAGE["compare"], "compare")
    sides = page.eval_on_selector_all("table.cmp td.side", "ts => ts.map(t => t.getBoundingClientRect().width)")
    # the title cell shrank to two characters (about 30 px) at 390 px
    assert sides and min(sides) >= min(300, screen_tab.width * 0.3)
    assert not screen_tab.errors, screen_tab.errors


def test_the_language_switch_turns_the_page_and_the_links_it_makes(screen_tab):
    page = screen_tab.page
    screen_tab.goto("/search?q=留守儿童", "zh")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click(".lang-switch a[lang=en]")
    page.wait_for_url("**lang=en**")
    assert page.get_attribute("html", "lang") == "en" and screen_tab.query()["q"] == ["留守儿童"]
    assert "results" in page.locator("p.count").inner_text()
    if screen_tab.width < 700:
        page.click(".nav-toggle")
    page.locator("#nav-pages a", has_text="Compare").click()
    page.wait_for_url("**/compare?lang=en")
    assert page.locator("form.compare-form button").inner_text() == "Compare"
    page.fill("input[name=a]", "national_gwr_2021")
    page.fill("input[name=b]", "national_gwr_2022")
    page.check("input[name=semantic]")
    page.click("form.compare-form button")
    page.wait_for_selector("table.cmp")
    assert screen_tab.query()["lang"] == ["en"]
    assert page.locator("table.cmp .status").first.inner_text() in ("same", "edited", "rewritten", "related", "new", "dropped")
    page.click(".lang-switch a[lang=zh-CN]")
    page.wait_for_selector("table.cmp")
    assert "lang" not in screen_tab.query() and page.locator("form.compare-form button").inner_text() == "对比"
    assert not screen_tab.errors, screen_tab.errors


def test_a_draft_pasted_into_the_check_page_is_checked(screen_tab):
    page = screen_tab.page
    screen_tab.goto("/check", "check")
    box = page.locator("textarea[name=text]")
    assert box.bounding_box()["width"] <= screen_tab.width
    box.fill(restored_003_text())
    page.check("form.paste input[name=paraphrase]")  # no model: fast
    page.click("form.paste button")
    page.wait_for_selector(".check-result")
    screen_tab.snap("pasted")
    assert "upload" in screen_tab.query()
    assert "粘贴的文字" in page.locator(".check-result .meta").first.inner_text()
    first = page.locator("table.check-sources tbody tr").first
    assert first.get_attribute("data-doc") == "003_d3b064de2d82a876"
    assert overflow(page) <= 0
    if screen_tab.width < 700:
        SHOWCASE.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOWCASE / "check-pasted.png"), full_page=False)
    assert not screen_tab.errors, screen_tab.errors


def test_a_title_typed_into_compare_resolves_or_offers_the_choices(screen_tab, web_engine):
    page = screen_tab.page
    national = sorted((d for d in web_engine.documents if d.doc_id.startswith("national_gwr_")), key=lambda d: d.doc_id)
    seed = web_engine.doc_meta("003_d3b064de2d82a876")
    screen_tab.goto("/compare", "compare-form")
    page.fill("input[name=a]", seed.title)  # a title only this document carries
    page.fill("input[name=b]", national[-1].doc_id)
    page.check("input[name=semantic]")
    page.click("form.compare-form button")
    page.wait_for_selector("table.cmp")
    assert seed.doc_id in page.locator("table.docs-ab").inner_text()
    # two plans of one compiled page share their title: the page offers both, a choice compares
    titles = [d.title for d in web_engine.documents]
    shared = next(t for t in titles if titles.count(t) > 1)
    screen_tab.goto("/compare?" + urlencode({"a": seed.doc_id, "b": shared, "semantic": "0"}), "ambiguous")
    choices = page.locator("ul.choices a")
    assert choices.count() == sum(d.title == shared for d in web_engine.documents)
    choices.first.click()
    page.wait_for_selector("table.cmp")
    assert web_engine.doc_meta(screen_tab.query()["b"][0]).title == shared
    assert not screen_tab.errors, screen_tab.errors
