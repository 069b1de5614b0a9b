"""Fault injection: every file of an index generation, its CURRENT pointer and the embedding cache,
truncated, zeroed and filled with garbage. Whatever is damaged, a search is one line naming the
problem and exit 1 (never a traceback, never an answer from a broken file), and one `plansearch
index` brings back a working index with the right number of documents. A damaged embedding cache
only costs re-embedding: it is set aside and the build goes on."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.store import CACHE_FILE, CURRENT, READERS_LOCK, build_index, cache_files, live_generation

runner = CliRunner()

PLANS = {
    "plan2023.txt": "区教育局2023年工作要点\n一、关爱特殊群体\n1.建立农村留守儿童关爱档案，落实结对帮扶制度。\n"
                    "2.开展送教上门服务，保障残疾儿童少年接受义务教育。\n二、加强教师队伍建设\n"
                    "3.开展新教师岗前培训，全年培训新入职教师300人。\n",
    "plan2024.txt": "区教育局2024年工作要点\n一、办好人民满意的教育\n1.推进集团化办学，新建义务教育学校两所。\n"
                    "2.建立农村留守儿童关爱档案，落实结对帮扶制度。\n",
}
DAMAGES = ("truncate", "zero", "garbage")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("faults")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in PLANS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    ix = root / "index"
    build_index(corpus, ix)
    return corpus, ix


def _damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "truncate":
        with open(path, "r+b") as f:
            f.truncate(size // 2)
    elif how == "zero":
        path.write_bytes(b"\0" * max(size, 16))
    else:
        path.write_bytes(os.urandom(max(size, 64)))


def _generation_files(ix: Path) -> list[str]:
    gen = live_generation(ix)
    return sorted(p.name for p in gen.iterdir() if p.name != READERS_LOCK)


def _fresh_copy(pristine, tmp_path) -> tuple[Path, Path]:
    corpus, ix = pristine
    copy = tmp_path / "index"
    shutil.copytree(ix, copy)
    return corpus, copy


def _search(ix: Path):
    return runner.invoke(app, ["search", "留守儿童关爱", "--index", str(ix), "-k", "3"])


def _index(corpus: Path, ix: Path):
    return runner.invoke(app, ["index", str(corpus), "--index", str(ix)])


def test_the_generation_holds_the_files_this_module_damages(pristine):
    names = _generation_files(pristine[1])
    assert {"meta.json", "files.json", "store.sqlite", "window_row.npy", "window_item.npy", "window_span.npy",
            "item_doc.npy", "bm25_vocab.json", "bm25_tokens.npy", "bm25_ptr.npy", "bm25_gaps1.npy"} <= set(names)


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("name", ["meta.json", "files.json", "store.sqlite", "window_row.npy", "window_item.npy",
                                  "window_span.npy", "item_doc.npy", "bm25_ptr.npy", "bm25_first.npy",
                                  "bm25_width.npy", "bm25_start.npy", "bm25_gaps1.npy", "bm25_gaps2.npy",
                                  "bm25_tf.npy", "bm25_lengths.npy", "bm25_tokens.npy", "bm25_vocab.json",
                                  "PLANSEARCH_GENERATION"])
def test_a_damaged_generation_file_is_reported_and_one_index_run_repairs_it(pristine, tmp_path, name, how):
    corpus, ix = _fresh_copy(pristine, tmp_path)
    gen = live_generation(ix)
    _damage(gen / name, how)
    res = _search(ix)
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert "damaged" in lines[0] and "plansearch index" in lines[0], lines[0]
    repaired = _index(corpus, ix)
    assert repaired.exit_code == 0, repaired.output
    assert "up to date" not in repaired.stdout and "damaged" in repaired.stdout, repaired.stdout
    assert "indexed 2 documents" in repaired.stdout
    after = _search(ix)
    assert after.exit_code == 0 and "留守儿童" in after.stdout, after.output


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_current_pointer_is_reported_and_repaired(pristine, tmp_path, how):
    corpus, ix = _fresh_copy(pristine, tmp_path)
    _damage(ix / CURRENT, how)
    res = _search(ix)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
    assert "damaged" in res.output
    repaired = _index(corpus, ix)
    assert repaired.exit_code == 0, repaired.output
    assert _search(ix).exit_code == 0


def test_current_may_only_name_a_generation_inside_its_own_index(pristine, tmp_path):
    corpus, ix = _fresh_copy(pristine, tmp_path)
    other = tmp_path / "other"
    shutil.copytree(ix, other)
    (ix / CURRENT).write_text(f"../other/{live_generation(other).name}\n", encoding="utf-8")
    res = _search(ix)
    assert res.exit_code == 1 and "not a generation of this index" in res.output, res.output


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_embedding_cache_is_set_aside_and_rebuilt(pristine, tmp_path, how):
    corpus, ix = _fresh_copy(pristine, tmp_path)
    _damage(ix / CACHE_FILE, how)
    res = runner.invoke(app, ["index", str(corpus), "--index", str(ix), "--force"])
    assert res.exit_code == 0, res.output
    assert "indexed 2 documents" in res.stdout
    if how != "truncate":  # a truncated SQLite file may still open: its lost rows are re-embedded
        assert "set aside" in res.stderr, res.output
        assert any(p.name.startswith(f"{CACHE_FILE}.damaged-") for p in ix.iterdir())
    assert _search(ix).exit_code == 0
    cmp = runner.invoke(app, ["compare", str(corpus / "plan2023.txt"), str(corpus / "plan2024.txt"),
                              "--index", str(ix)])
    assert cmp.exit_code == 0, cmp.output


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_vectors_in_the_cache_are_reported_and_one_index_run_embeds_them_again(pristine, tmp_path, how):
    """The generation reads its vectors from the cache's float16 file (stored once); the bytes it
    reads are checked like its own files, and a repair sets the file and its mapping aside."""
    corpus, ix = _fresh_copy(pristine, tmp_path)
    (vector_file,) = [p for p in cache_files(ix / CACHE_FILE) if p.suffix == ".f16"]
    _damage(vector_file, how)
    res = _search(ix)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
    assert "damaged" in res.output and vector_file.name in res.output, res.output
    repaired = runner.invoke(app, ["index", str(corpus), "--index", str(ix)])
    assert repaired.exit_code == 0, repaired.output
    assert "embedded again" in repaired.output and "embedded 4" in repaired.stdout, repaired.output
    assert any(p.name.startswith(f"{vector_file.name}.damaged-") for p in ix.iterdir())
    after = _search(ix)
    assert after.exit_code == 0 and "留守儿童" in after.stdout, after.output


def test_a_readers_lock_file_is_not_data(pristine, tmp_path):
    _corpus, ix = _fresh_copy(pristine, tmp_path)
    _damage(live_generation(ix) / READERS_LOCK, "garbage")
    assert _search(ix).exit_code == 0


def _edit_meta(ix: Path, **changes) -> None:
    """Change meta.json of the live generation and record the files anew: files.json agrees, so
    only the content is off."""
    import json

    from plansearch.store import _record_files

    gen = live_generation(ix)
    meta = json.loads((gen / "meta.json").read_text())
    meta.update(changes)
    (gen / "meta.json").write_text(json.dumps(meta))
    _record_files(gen)


def test_an_unknown_key_in_meta_json_is_read_past(pristine, tmp_path):
    # A newer plansearch may write more; this one reads what it knows.
    _corpus, ix = _fresh_copy(pristine, tmp_path)
    _edit_meta(ix, shiny_new_setting=3)
    assert _search(ix).exit_code == 0


def test_a_wrong_dimension_in_meta_json_is_damage_and_is_repaired(pristine, tmp_path):
    corpus, ix = _fresh_copy(pristine, tmp_path)
    _edit_meta(ix, dim=768)
    res = _search(ix)
    assert res.exit_code == 1 and "window_row.npy holds" in res.output, res.output
    repaired = _index(corpus, ix)
    assert repaired.exit_code == 0 and "up to date" not in repaired.stdout, repaired.output
    assert _search(ix).exit_code == 0
