"""The thesaurus behind disguised-copy detection (and synonym expansion in search): HIT's
同义词词林扩展版 `=` lines, multi-character words only, one canonical word per word.

The seed 003 is a 降重 rewrite whose machine swapped 教育→教化, 教师→老师, 安全→平安 throughout;
canonicalisation must undo exactly those swaps and leave the plan's ordinary words alone."""
from __future__ import annotations

import re

from conftest import seed_path

from plansearch import synonyms
from plansearch.normalise import normalise


def test_the_swaps_of_the_rewritten_seed_003_are_synonyms_of_the_words_they_replaced():
    for original, swapped in (("教育", "教化"), ("教师", "老师"), ("安全", "平安")):
        assert swapped in synonyms.synonyms(original)
        assert synonyms.are_synonyms(original, swapped)
        assert synonyms.canonical(swapped) == synonyms.canonical(original) == original


def test_frequent_words_of_plans_stay_themselves():
    # Each heads a synonym line of its own: canonicalisation never rewrites it into another word.
    for word in ("研究", "提高", "安全", "教育", "学校", "学生", "建设", "管理", "工作", "推动"):
        assert synonyms.canonical(word) == word


def test_related_words_and_single_characters_are_not_synonyms():
    # 研究 and 探讨 stand in sibling lines (Hg14C01= / Hg14C02=), not in one: not tight synonyms.
    assert not synonyms.are_synonyms("研究", "探讨")
    # 教授/副教授/讲师/助教 are a `#` line (related, not the same): 教授 is no synonym of 助教
    assert not synonyms.are_synonyms("教授", "助教")
    assert synonyms.are_synonyms("教师", "讲师")  # while 讲师 is in the 教师 line (Ae13A01=)
    # single characters are left out: 教 stands in many lines and in most education words
    assert synonyms.synonyms("教") == set()
    assert synonyms.canonical("教") == "教"
    assert all(len(w) >= 2 for w in synonyms.synonyms("教育"))


def test_unknown_words_have_no_synonyms_and_map_to_themselves():
    assert synonyms.synonyms("控辍保学") == set()
    assert synonyms.canonical("控辍保学") == "控辍保学"
    assert not synonyms.are_synonyms("教育", "教育")


def test_canonicalise_maps_every_output_character_back_to_the_word_it_came_from():
    text = "全面落实全体教职工的平安工作责任"
    out, offsets = synonyms.canonicalise(text)
    assert "安全工作责任" in out
    assert len(offsets) == len(out)
    i = out.index("安全")
    assert text[offsets[i][0]:offsets[i][1]] == "平安"  # the replaced word, whole
    j = out.index("工作")
    assert offsets[j] == (text.index("工作"), text.index("工作") + 1)  # a kept character, itself


def test_the_rewritten_seed_reads_like_its_original_after_canonicalisation():
    # 003 swapped 教育→教化 33 times; canonicalised, none of them is left and 教育 is back.
    raw = normalise(seed_path("003").read_text(encoding="utf-8"))
    out, _ = synonyms.canonicalise(raw)
    assert raw.count("教化") >= 30
    assert out.count("教化") == 0
    assert out.count("教育") >= raw.count("教育") + raw.count("教化")
    assert "全区教育系统" in out and "全区教化系统" in raw
    # and text without synonyms of the thesaurus stays as it is
    plain = "控辍保学"
    assert synonyms.canonicalise(plain)[0] == plain
    assert re.search("老师", raw) and "老师" not in out


def test_a_compound_and_its_swapped_form_canonicalise_alike():
    # jieba keeps 义务教育 whole but cuts 义务教化 (003's swap) in two; the thesaurus words inside
    # a compound are canonicalised one by one, so both read the same.
    assert synonyms.canonicalise("在我区接受义务教育")[0] == synonyms.canonicalise("在我区接受义务教化")[0]
    assert synonyms.canonicalise("全区教育系统")[0] == synonyms.canonicalise("全区教化系统")[0]
