"""The 查重 report an official prints and shares (#25 item 2): in the reader's language, with the
settings it was measured with (as a CNKI report states them), A4 print rules that never split a
passage, and the same report as a PDF that Chromium prints with a Debian CJK font."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from plansearch.check_html import check_html
from plansearch.cli import app
from plansearch.i18n import use_lang

from conftest import seed_path
from test_i18n import english_words

runner = CliRunner()


@pytest.fixture(scope="module")
def report(seed_index):
    from plansearch.check import check_document
    from plansearch.corpus import load_corpus
    from plansearch.store import open_index

    doc = load_corpus(seed_path("003"))[0]
    index = open_index(seed_index)
    try:
        return check_document(doc, index)
    finally:
        index.close()


def _visible(html: str) -> str:
    """What a reader sees of the page: no markup, no style sheet."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_report_in_chinese_has_no_english_but_content(report):
    with use_lang("zh"):
        html = check_html(report)
    assert '<html lang="zh-CN">' in html and "<h2>检测设置</h2>" in html and "<h2>复制段落</h2>" in html
    assert english_words(_visible(html)) == []


def test_the_report_in_english_has_no_chinese_words_of_its_own(report):
    with use_lang("en"):
        html = check_html(report)
    assert '<html lang="en">' in html and "<h2>Settings</h2>" in html
    # the page less its content: the tables' rows (passages, sources, items) and the document's titles
    chrome = _visible(re.sub(r"<tbody>.*?</tbody>", " ", html, flags=re.S))
    for content in [report.doc.title or "", report.doc.region or "", *(s.doc.title or "" for s in report.sources)]:
        chrome = chrome.replace(content, " ")
    # the report's own Chinese is only the two CNKI figures' names, which an English reader knows by them
    own = set(re.findall(r"[\u4e00-\u9fff]+", chrome))
    assert own <= {"查重", "查重报告", "总文字复制比", "单篇最大文字复制比"}, own


def test_the_report_states_the_settings_it_was_measured_with(report):
    with use_lang("zh"):
        html = check_html(report)
    settings = re.search(r'<table class="settings">(.*?)</table>', html, re.S).group(1)
    st = report.settings
    assert f"连续至少 {st.min_chars} 个相同字符" in settings
    assert f"{st.max_gap} 字以内的间隔" in settings and str(st.paraphrase_min) in settings
    assert f"{report.compared_documents} 份文件" in settings and "检测时间" in settings


def test_the_report_prints_on_a4_with_running_heads_and_passages_whole(report):
    with use_lang("zh"):
        html = check_html(report)
    assert "@page { size: A4" in html and "counter(page)" in html
    assert "@top-left" in html and "@bottom-left" in html
    assert re.search(r"tr, \.summary, \.settings \{ break-inside: avoid;", html)
    assert "thead { display: table-header-group; }" in html


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_check_pdf_prints_the_chinese_report(seed_index, tmp_path):
    if not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
        pytest.skip("needs a CJK font (scripts/test.sh installs one)")
    from pypdf import PdfReader

    out = tmp_path / "report.pdf"
    res = runner.invoke(app, ["--lang", "zh", "check", str(seed_path("003")), "--index", str(seed_index),
                              "--pdf", str(out), "--top", "1"])
    assert res.exit_code == 0, res.output
    pdf = PdfReader(out)
    first = pdf.pages[0].extract_text()
    assert "plansearch 查重报告" in first and "总文字复制比" in first and "检测设置" in first
    assert f"1 / {len(pdf.pages)}" in first  # the page number the print CSS draws


def test_pdf_without_chromium_is_one_line_before_any_work(seed_index, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    res = runner.invoke(app, ["check", str(seed_path("003")), "--index", str(seed_index), "--pdf",
                              str(tmp_path / "r.pdf")])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and "apt-get install chromium" in lines[0], res.output


# --- the compare report -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def comparison(seed_index):
    from plansearch import compare as compare_mod
    from plansearch.corpus import DocumentFinder
    from plansearch.store import open_index

    index = open_index(seed_index)
    try:
        finder = DocumentFinder(index)
        a, b = finder.find("000_5ae896fcb747d54c#2"), finder.find("000_5ae896fcb747d54c#3")
    finally:
        index.close()
    return compare_mod.compare(a, b, semantic=False)


def test_the_compare_report_speaks_the_readers_language(comparison):
    from plansearch.html_report import comparison_html

    with use_lang("zh"):
        zh = comparison_html(comparison)
    page = re.sub(r"<script>.*?</script>", " ", zh, flags=re.S)
    assert '<html lang="zh-CN">' in zh and "<h1>plansearch 对比</h1>" in zh and english_words(_visible(page)) == []
    assert "@page { size: A4" in zh and ".nav, .filter { display: none; }" in zh
    with use_lang("en"):
        en = comparison_html(comparison)
    assert '<html lang="en">' in en and ">status</th>" in en and "↓ 下一处" not in en


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_compare_pdf_prints_the_chinese_report(seed_index, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "compare.pdf"
    res = runner.invoke(app, ["--lang", "zh", "compare", "000_5ae896fcb747d54c#2", "000_5ae896fcb747d54c#3",
                              "--index", str(seed_index), "--pdf", str(out), "--no-semantic"])
    assert res.exit_code == 0, res.output
    first = PdfReader(out).pages[0].extract_text()
    assert "plansearch 对比" in first and "状态" in first


def test_the_trend_chart_speaks_the_readers_language(seed_index, tmp_path):
    zh, en = tmp_path / "zh.svg", tmp_path / "en.svg"
    for lang, out in (("zh", zh), ("en", en)):
        res = runner.invoke(app, ["--lang", lang, "trend", "留守儿童", "--index", str(seed_index), "--chart", str(out)])
        assert res.exit_code == 0, res.output
    assert "各年份中匹配条目的占比" in zh.read_text(encoding="utf-8") and "无文件" in zh.read_text(encoding="utf-8")
    assert "Share of items matching, per year" in en.read_text(encoding="utf-8")
