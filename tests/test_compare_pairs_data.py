"""The labelled compare pairs (tests/data/compare_pairs.jsonl) are what bench/compare_real.py and
bench/RESULTS.md say they are: real item pairs of consecutive national work reports and of the
seed plans 004#1→#2 and 000#1→#4, each labelled reworded / related / unrelated, split into a
tuning part (A report of an odd year) and a reporting part that played no part in the choice.
Fast: no embedding."""
from __future__ import annotations

import json
import re
import sys
from collections import Counter

import pytest

from conftest import CORPUS, REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.compare_real import LABELS, OUT_JSON, PAIRS, load_pairs, locate  # noqa: E402
from plansearch import load_corpus  # noqa: E402
from plansearch.compare import Thresholds  # noqa: E402

SEED_PAIRS = {("004_4b2046a4564d6d1c#1", "004_4b2046a4564d6d1c#2"),
              ("000_5ae896fcb747d54c#1", "000_5ae896fcb747d54c#4")}


def year(doc_id: str) -> int | None:
    m = re.fullmatch(r"national_gwr_(\d{4})", doc_id)
    return int(m.group(1)) if m else None


def test_at_least_sixty_labelled_pairs_in_both_parts_with_every_label():
    pairs = load_pairs()
    assert len(pairs) >= 60
    assert len({p.id for p in pairs}) == len(pairs)
    for p in pairs:
        assert p.label in LABELS and p.note.strip() and p.a_text.strip() and p.b_text.strip()
    for part in ("tuning", "reporting"):
        counts = Counter(p.label for p in pairs if p.part == part)
        assert set(counts) == set(LABELS) and min(counts.values()) >= 5, (part, counts)


def test_pairs_come_from_consecutive_reports_and_the_seed_plans_split_by_year():
    pairs = load_pairs()
    gwr_years = sorted({year(p.a_doc) for p in pairs if year(p.a_doc)} | {year(p.b_doc) for p in pairs if year(p.b_doc)})
    for p in pairs:
        if year(p.a_doc) is None:
            assert (p.a_doc, p.b_doc) in SEED_PAIRS and p.part == "reporting"
            continue
        ya, yb = year(p.a_doc), year(p.b_doc)
        assert gwr_years.index(yb) == gwr_years.index(ya) + 1  # the next report (2020 has none)
        assert p.part == ("tuning" if ya % 2 else "reporting")
    assert {(p.a_doc, p.b_doc) for p in pairs} >= SEED_PAIRS


def test_every_labelled_text_is_an_item_of_its_document_today(gwr_dir):
    """A label means what was read: the texts must still be items (ordinals may move)."""
    docs = {d.doc_id: d for path in (gwr_dir, CORPUS) for d in load_corpus(path)}
    for p in load_pairs():
        i, j = locate(p, docs)
        assert docs[p.a_doc].items[i].text == p.a_text and docs[p.b_doc].items[j].text == p.b_text


def test_results_report_the_labelled_set_as_it_is():
    """bench/compare-real.json (behind RESULTS.md) was computed on this very file: its counts per
    part and label, and its list of reporting-part mistakes, account for every figure."""
    res = json.loads(OUT_JSON.read_text(encoding="utf-8"))["calibration"]
    pairs = load_pairs()
    assert res["pairs"] == len(pairs)
    for part in ("tuning", "reporting"):
        assert res["labels"][part] == {c: sum(p.part == part and p.label == c for p in pairs) for c in LABELS}
    assert res["shipped_is_chosen"]  # the defaults are the tuning part's choice ...
    shipped = Thresholds()  # ... and still the defaults
    assert res["shipped"] == {k: getattr(shipped, k) for k in res["shipped"]}
    reporting = {p.id for p in pairs if p.part == "reporting"}
    assert {w["id"] for w in res["wrong_reporting"]} <= reporting
    assert res["reporting"]["accuracy"] == pytest.approx(1 - len(res["wrong_reporting"]) / len(reporting))
    assert PAIRS.is_file()


def test_the_related_floor_is_decided_on_the_tuning_part_and_its_held_out_precision_is_what_readme_says():
    floor = json.loads(OUT_JSON.read_text(encoding="utf-8"))["calibration"]["related_floor"]
    assert floor["chosen"] == floor["shipped"] == Thresholds().related_min
    by_floor = {g["floor"]: g for g in floor["grid"]}
    best = max(g["tuning"]["macro_f1"] for g in floor["grid"])
    assert by_floor[floor["chosen"]]["tuning"]["macro_f1"] == best  # tuned on the tuning part only
    held_out = by_floor[floor["chosen"]]["reporting"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`related` has precision **{held_out['precision']:.3f}** and recall {held_out['recall']:.3f}" in readme
    assert all(x["cosine"] < 0.42 for x in floor["low_pairs"]) and len(floor["low_pairs"]) >= 2
