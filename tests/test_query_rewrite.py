"""The reader's words bridged to the documents': a noun of the query that no document holds is
read as its thesaurus synonym that they do hold (茅房 -> 厕所), and only then.

Specified on real text: the sample corpus's plans (corpus/000 builds 卫生厕所 and 厕所改造) and
passages of the held-out bureau pages (tests/data/unseen) where a parent's word is not the plan's."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.i18n import use_lang
from plansearch.keyword import BM25Index
from plansearch.normalise import compact, normalise
from plansearch.search import Searcher
from plansearch.store import build_index
from plansearch.synonyms import QueryRewrite, rewrite_absent_words

# Items of real pages (u27, u41, u20 of tests/data/unseen; 000 of corpus/), normalised as indexed.
PAGES = [
    "投入资金1455万元,推进233所学校239座厕所革命改造项目,竣工率100%",
    "我县还存在有部分乡镇的私立幼儿园无证办学情况",
    "学前教育校舍改建类项目逐步完成,新建4所幼儿园",
    "积极推进26所学校取暖设施33所学校厕所改造和30所学校浴室建设项目",
    "开展农村中小学校园环境卫生整治,保持校园清洁",
]


def holding(texts):
    """The rewrite's `frequency`: how many of `texts` hold a phrase."""
    keys = [compact(normalise(t)) for t in texts]
    return lambda word: sum(compact(word) in k for k in keys)


def test_a_parents_word_the_plans_never_use_is_read_as_the_plans_word():
    r = rewrite_absent_words(normalise("村里娃上茅房又脏又臭"), holding(PAGES))
    assert r.text == "村里娃上厕所又脏又臭"
    assert r.swaps == (("茅房", "厕所"),)
    assert r.added == "厕所"


def test_the_synonym_most_items_hold_is_chosen():
    # 托儿所 stands in one line with 幼儿园, 幼稚园, 幼儿所: the pages say 幼儿园 (twice), 幼稚园 once.
    r = rewrite_absent_words("家附近没有便宜的托儿所", holding(PAGES + ["办好幼稚园"]))
    assert r.swaps == (("托儿所", "幼儿园"),)


def test_a_query_in_the_documents_own_words_is_never_rewritten():
    for q in ("学校厕所改造", "新建幼儿园", "无证办学"):
        assert rewrite_absent_words(q, holding(PAGES)) == QueryRewrite(q)


def test_a_word_of_several_senses_is_left_alone():
    # 干净 stands in two lines (清洁 … and 彻底 …): which one the reader meant is unknown, so the
    # pages' 清洁 is not put in its place although no page says 干净.
    assert rewrite_absent_words("娃在学校里没干净水喝", holding(PAGES)).swaps == ()


def test_only_nouns_and_place_words_are_rewritten():
    # 不了 (交不了房) is in one thesaurus line with 不断 / 持续, but it is no topic word: verbs and
    # particles keep their place even where the documents use a line-mate.
    r = rewrite_absent_words("房子盖一半停工交不了房", holding(["经济持续恢复", "不断完善保障"]))
    assert r.swaps == ()


def test_a_missing_word_without_a_synonym_in_the_documents_stays():
    assert rewrite_absent_words("村里娃上茅房", holding(["新建4所幼儿园"])).swaps == ()


def test_the_phrase_bound_is_zero_exactly_when_a_character_pair_is_missing():
    bm = BM25Index.build([compact(normalise(t)) for t in PAGES])
    assert bm.rows_bound(["厕所"]) == 2
    assert bm.rows_bound(["茅房"]) == 0
    assert bm.rows_bound(["幼儿", "儿园"]) == 2
    # an upper bound, not a count: no page holds both 厕所 and 幼儿, two hold each
    assert bm.rows_bound(["厕所", "幼儿"]) == 2


# --- in search, on the sample corpus -------------------------------------------------------------

def test_search_reads_the_missing_word_as_the_documents_word_and_says_so(searcher):
    hits = searcher.search("学校茅房改造", k=5)
    assert any("“茅房” as “厕所”" in n for n in hits.notices)
    with use_lang("zh"):
        assert any(n.say().startswith("“茅房”按“厕所”查") for n in hits.notices)
    top = hits[0]
    assert "厕所" in normalise(top.item.text)
    # the item holds the synonym, not the word typed: said apart from the query's own words
    assert top.read_as == (("茅房", "厕所"),) and "厕所" not in top.found
    assert any(top.item.text[a:b] == "厕所" for a, b in top.highlights)


def test_the_terminal_json_and_web_page_say_which_word_stood_for_which(seed_index, searcher):
    from starlette.testclient import TestClient

    from plansearch.web.app import create_app

    result = CliRunner().invoke(app, ["search", "学校茅房改造", "--index", str(seed_index), "-k", "2"])
    assert result.exit_code == 0
    assert "厕所 for 茅房" in result.output
    assert "read “茅房” as “厕所” (no document uses “茅房”)" in result.output
    result = CliRunner().invoke(app, ["search", "学校茅房改造", "--index", str(seed_index), "-k", "1", "--json"])
    assert json.loads(result.stdout.splitlines()[0])["read_as"] == [["茅房", "厕所"]]
    # per year too: the note is said once, above the table
    result = CliRunner().invoke(app, ["search", "学校茅房改造", "--index", str(seed_index), "--by", "year", "-k", "1"])
    assert result.exit_code == 0 and result.output.count("read “茅房” as “厕所”") == 1
    page = TestClient(create_app(seed_index), base_url="http://localhost").get("/search", params={"q": "学校茅房改造"}).text
    assert "“茅房”按“厕所”查（文件中没有“茅房”）" in page
    assert "含同义词：<span class=\"word\">厕所</span>（查“茅房”）" in page


def test_keyword_mode_reads_only_the_words_typed(searcher):
    hits = searcher.search("学校茅房改造", k=5, mode="keyword")
    assert not any("“茅房” as" in n for n in hits.notices)
    assert all(not h.read_as for h in hits)


def test_a_query_whose_words_all_occur_is_searched_as_typed(searcher):
    assert searcher.rewrite(normalise("留守儿童关爱")).swaps == ()
    hits = searcher.search("留守儿童关爱", k=3)
    assert not any("as “" in n for n in hits.notices)


def test_a_jieba_tokenised_index_still_finds_required_phrases(tmp_path):
    # The "jieba" keyword scheme keeps whole words, no character pairs; a +phrase search asked its
    # postings for pairs and found nothing.
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "p.txt").write_text("某区教育局2023年工作要点\n一、重点工作\n1.完善留守儿童关爱服务体系。\n"
                                          "2.加强校园食品安全管理。\n", encoding="utf-8")
    build_index(tmp_path / "c", tmp_path / "ix", keyword_scheme="jieba")
    s = Searcher(tmp_path / "ix")
    hits = s.search("+留守儿童 关爱", k=3)
    assert [h.item.text for h in hits] == ["完善留守儿童关爱服务体系。"]
    assert s.index.phrase_frequency("留守儿童") >= 1


@pytest.fixture(scope="module")
def searcher(seed_index):
    return Searcher(seed_index)


# --- on any input ----------------------------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

_TEXT = st.text(alphabet=st.sampled_from(list("茅房厕所学堂校托儿所幼园的了不娃上村里 ,。0aX\u3000")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_a_rewrite_only_swaps_words_and_keeps_everything_else(q):
    r = rewrite_absent_words(q, holding(PAGES))
    # the swaps made in the typed query, left to right, give the rewritten query
    done, rest = "", q
    for old, new in r.swaps:
        at = rest.index(old)
        done, rest = done + rest[:at] + new, rest[at + len(old):]
    assert done + rest == r.text
    assert all(o != n for o, n in r.swaps)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_documents_that_hold_every_phrase_get_the_query_as_typed(q):
    assert rewrite_absent_words(q, lambda w: 1) == QueryRewrite(q)
