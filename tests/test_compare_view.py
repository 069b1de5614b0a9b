"""What a user reads from `plansearch compare`: the terminal view when piped (no colour, so every
change is marked in the text: `[-deleted-]{+inserted+}`, `+ ` new, `- ` dropped, and inside a
rewritten / related pair `= ` kept, `~ ` reworded, `+ ` new, `- ` gone, sentence by sentence) and
the self-contained HTML report (contents, status filter, next change, escaping).

Real text: 004's two plans of one city (most measures reworded or new), 000's plan copied to the
next year, the 2024 and 2025 national work reports (unnumbered paragraphs).
"""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from conftest import CORPUS
from plansearch import load_corpus
from plansearch.cli import app
from plansearch.compare import compare
from plansearch.html_report import FONT_STACK, comparison_html

PLAN_000_1 = "000_5ae896fcb747d54c#1"
PLAN_000_4 = "000_5ae896fcb747d54c#4"
PLAN_004_1 = "004_4b2046a4564d6d1c#1"
PLAN_004_2 = "004_4b2046a4564d6d1c#2"

runner = CliRunner()


def lines_after(out: str, head: str) -> list[str]:
    """The indented lines under the first alignment header line containing `head`."""
    lines = out.splitlines()
    (k,) = [k for k, ln in enumerate(lines) if head in ln and not ln.startswith(" ")][:1]
    body = []
    for ln in lines[k + 1:]:
        if not ln.startswith("    "):
            break
        body.append(ln[4:])
    return body


@pytest.fixture(scope="module")
def piped_004(seed_index) -> str:
    """`compare 004#1 004#2 --index …` as a pipe sees it (the index lends its vectors)."""
    res = runner.invoke(app, ["compare", PLAN_004_1, PLAN_004_2, "--index", str(seed_index),
                              "--only", "rewritten,related,new,dropped"])
    assert res.exit_code == 0, res.output
    return res.stdout


# --- the terminal view, piped ---------------------------------------------------------------------

def test_piped_new_and_dropped_items_are_marked_plus_and_minus(piped_004):
    new = lines_after(piped_004, "B 一、深入学习实践科学发展观,积极推进教育体制、机制和制度创新 › 1.")
    assert new == ["+ 深入开展学习实践科学发展观活动。深入推进局机关学习实践活动,抓好直属单位学习实践活动。"
                   "以“谋划教育事业科学发展,努力办好人民满意教育”为载体,全面落实学习实践活动的指导思想、"
                   "目标要求和主要原则,确保学习实践活动取得实效。"]
    dropped = lines_after(piped_004, "A 一、深入学习贯彻党的十八届五中全会精神,牢固树立和全面落实科学发展观 › 1、")
    assert len(dropped) == 1 and dropped[0].startswith("- 认真学习贯彻党的十八届五中全会精神和市七次党代会精神。")
    assert piped_004.count("\ndropped ") >= 1 and piped_004.count("\nnew ") >= 1


def test_piped_rewritten_pair_reads_sentence_by_sentence_with_its_diff(piped_004):
    """教育经费 (A 27、 → B 3.): A's opening sentence gone, B's first two new, the last two
    reworded from A's with the changed words marked."""
    head = "A 七、坚持依法治教,不断提高依法行政水平 › 27、  →  B 一、深入学习实践科学发展观,积极推进教育体制、机制和制度创新 › 3."
    (header,) = [ln for ln in piped_004.splitlines() if head in ln]
    assert header.startswith("rewritten ")
    assert re.search(r"\d+% of B's sentences kept or reworded", header)
    body = lines_after(piped_004, head)
    assert body[0] == ("- 完善保障教育优先发展的政策措施。明确市、县两级政府提供教育公共服务的职责,"
                       "促进教育经费依法增长,推动地方各级政府确保教育投入按时足额到位。")
    assert body[1].startswith("+ 依法落实市级教育经费“三个增长”。")
    assert "~ [-进一步-]加强教育经费管理,{+坚持勤俭办学,+}提高[-教育经费-]{+资金+}使用效益。" in body
    assert {ln[:2] for ln in body} <= {"= ", "~ ", "+ ", "- "}


def test_piped_related_pair_shows_b_sentences_as_new(piped_004):
    """发展规划 (A 2、 → B 2.): the same subject, none of B's sentences a rewording of A's."""
    head = "A 一、深入学习贯彻党的十八届五中全会精神,牢固树立和全面落实科学发展观 › 2、  →  B 一、深入学习实践科学发展观,积极推进教育体制、机制和制度创新 › 2."
    (header,) = [ln for ln in piped_004.splitlines() if head in ln]
    assert header.startswith("related ")
    body = lines_after(piped_004, head)
    assert [ln[:2] for ln in body] == ["- ", "- ", "+ ", "+ ", "+ "]
    assert body[2] == "+ 全面落实教育发展规划。以科学发展观统领教育工作全局,推动教育事业科学发展。"


def test_summary_counts_every_status_once(piped_004):
    (counts,) = [ln for ln in piped_004.splitlines() if ln.startswith("same ")]
    assert re.fullmatch(r"same \d+  edited \d+  rewritten \d+  related \d+  new \d+  dropped \d+\s*", counts)


# --- the HTML report ------------------------------------------------------------------------------

def rows(page: str) -> list[tuple[str, str]]:
    """(id, classes) of every alignment row."""
    return re.findall(r'<tr id="(al\d+)" class="([^"]+)">', page)


def test_html_report_is_one_self_contained_page_with_contents_filter_and_next_change(tmp_path,
                                                                                   docs_by_id):
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["compare", PLAN_000_1, PLAN_000_4, "--corpus", str(CORPUS),
                              "--no-semantic", "--html", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert docs_by_id[PLAN_000_1].title in page and docs_by_id[PLAN_000_4].title in page
    assert "<del>年度</del>" in page  # the deleted characters, struck through on A's side
    assert [c for _, c in rows(page)].count("same") == 40
    ids = {i for i, _ in rows(page)}
    # Contents: one entry per top-level heading, each linking to a row that exists.
    toc = re.search(r'<h2>Contents</h2><ol class="toc">(.*?)</ol>', page).group(1)
    links = re.findall(r'<a href="#(al\d+)">([^<]+)</a>', toc)
    assert len(links) >= 4 and {i for i, _ in links} <= ids
    assert any(name.startswith("四、") for _, name in links)
    # The counts once, as the filter: a checkbox per status.
    assert re.findall(r'class="flt" value="(\w+)"', page) == ["same", "edited", "rewritten", "related",
                                                               "new", "dropped"]
    summary = page.split('<div class="summary">')[1].split("<h2>Contents</h2>")[0]
    assert summary.count("same 40") == 1 and summary.count("edited 2") == 1
    assert "body.hide-same tr.same { display: none; }" in page
    # Next / previous change: the changed rows are marked for it, the buttons are there.
    assert sorted(c for _, c in rows(page) if "change" in c) == ["edited change"] * 2
    assert 'id="next"' in page and 'id="prev"' in page and "scrollIntoView" in page
    # One self-contained file: no link, no remote script or font.
    assert "<link" not in page and "src=" not in page and "@import" not in page and "url(" not in page
    assert "http://" not in page and "https://" not in page


def test_html_dropped_paragraph_is_red_and_readable_not_struck_through(docs_by_id):
    a, b = docs_by_id[PLAN_004_1], docs_by_id[PLAN_004_2]
    page = comparison_html(compare(a, b, semantic=False))
    dropped = re.findall(r'<tr id="al\d+" class="dropped change">.*?</tr>', page)
    assert dropped
    for row in dropped:
        a_cell = re.search(r'<td class="a">(.*?)</td>', row).group(1)
        assert '<span class="gone">' in a_cell and "<del>" not in a_cell
    assert ".gone { color: #b00; }" in page and "line-through" not in page.split("</style>")[0].split(".gone")[1][:40]


def test_html_longest_runs_name_the_items_of_unnumbered_reports(gwr_dir):
    docs = {d.doc_id: d for d in load_corpus(gwr_dir)}
    cmp = compare(docs["national_gwr_2024"], docs["national_gwr_2025"], semantic=False)
    page = comparison_html(cmp)
    runs = re.findall(r'<ol class="runs">(.*?)</ol>', page)[0]
    items = re.findall(r"<li>\d+ chars, B ([^:]*?) \(A ([^)]*)\):", runs)
    assert len(items) == len(cmp.summary.longest_runs) > 0
    for b_label, a_label in items:
        assert re.search(r"¶\d+$", b_label) and re.fullmatch(r"¶\d+", a_label)


def test_html_rewritten_pair_shown_sentence_by_sentence(seed_index, docs_by_id):
    cmp = compare(docs_by_id[PLAN_004_1], docs_by_id[PLAN_004_2], index_dir=seed_index)
    page = comparison_html(cmp)
    (row,) = [r for r in re.findall(r"<tr .*?</tr>", page) if "依法落实市级教育经费" in r]
    assert 'class="rewritten change"' in row
    assert '<span class="s dropped">完善保障教育优先发展的政策措施。' in row
    assert '<span class="s new">依法落实市级教育经费“三个增长”。' in row
    assert "<ins>坚持勤俭办学,</ins>" in row and "<del>教育经费</del>" in row


def test_html_font_stack_falls_back_when_no_cjk_font_is_installed():
    families = [f.strip().strip('"') for f in FONT_STACK.split(",")]
    assert families[-1] == "sans-serif"
    for name in ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
                 "WenQuanYi Micro Hei", "Droid Sans Fallback"):
        assert name in families
    page = comparison_html(compare(load_corpus(CORPUS)[0], load_corpus(CORPUS)[0], semantic=False))
    assert f"font-family: {FONT_STACK};" in page


def test_document_text_is_escaped_everywhere_it_is_shown(tmp_path):
    """A title and an item holding <script> and rich markup come out as text: escaped in the HTML,
    printed as written in the terminal, in JSON as the strings they are."""
    plan = ("区教育局工作要点\n\n一、重点工作\n\n1.加强<script>alert(2)</script>学校安全管理[/bold]，"
            "落实校园安全责任制。\n\n2.推进义务教育优质均衡发展，扩大优质教育资源覆盖面。\n\n"
            "3.加强教师队伍建设，开展全员培训。\n")
    (tmp_path / "a.txt").write_text(plan, encoding="utf-8")
    (tmp_path / "b.txt").write_text(plan.replace("全员培训", "骨干教师[/red]培训"), encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(
        "doc,title,year,region,issuer,kind,note\n"
        'a,"<script>alert(1)</script>工作要点[/bold]",2024,,,,\n'
        'b,"<b>工作要点</b>[bold]",2025,,,,\n', encoding="utf-8")
    html = tmp_path / "r.html"
    res = runner.invoke(app, ["compare", "a", "b", "--corpus", str(tmp_path), "--no-semantic",
                              "--html", str(html)])
    assert res.exit_code == 0, res.output
    page = html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>工作要点" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;工作要点[/bold]" in page  # the title
    assert "&lt;script&gt;alert(2)&lt;/script&gt;学校安全管理[/bold]" in page  # the item
    assert "&lt;b&gt;工作要点&lt;/b&gt;[bold]" in page
    assert page.count("<script>") == 1  # the page's own
    assert "<ins>骨干教师[/red]</ins>" in page
    # The terminal prints the markup-like text as it is, not as styles.
    assert "<script>alert(1)</script>工作要点[/bold]" in res.stdout
    assert "加强<script>alert(2)</script>学校安全管理[/bold]，落实校园安全责任制。" in res.stdout
    assert "{+骨干教师[/red]+}" in res.stdout
    res = runner.invoke(app, ["compare", "a", "b", "--corpus", str(tmp_path), "--no-semantic", "--json"])
    summary = json.loads(res.stdout.splitlines()[0])
    assert summary["a_title"] == "<script>alert(1)</script>工作要点[/bold]"
