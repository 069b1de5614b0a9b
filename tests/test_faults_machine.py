"""Faults of the machine, not of the files: a read-only index folder (a shared drive, a read-only
mount), a full disk, file names that are not UTF-8, a stray byte in a plan, a damaged embedding
cache found halfway through a build, a lock that is a folder, a garbage store.json, a file far too
large to be a plan. Each is one line and a non-zero exit where the command cannot do its work, and
loses nothing: the previous index keeps answering, no .tmp-gen-* folder is left behind.

The read-only and full-disk cases use real mounts (a read-only bind mount, a 1 MB tmpfs) where the
test runs as root, as CI does; elsewhere they are skipped, and the same paths are covered by
patching the write that fails."""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from plansearch import store
from plansearch.cli import app
from plansearch.corpus import load_corpus
from plansearch.load import decode_text
from plansearch.store import CACHE_FILE, build_index, live_generation

from test_faults import PLANS, _fresh_copy, _search, pristine  # noqa: F401  (the module's fixture)

runner = CliRunner()


def _mount(*args: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def read_only_copy(pristine, tmp_path):  # noqa: F811
    """The pristine index seen through a read-only bind mount."""
    corpus, ix = _fresh_copy(pristine, tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    if not (_mount("--bind", str(ix), str(ro)) and _mount("-o", "remount,bind,ro", str(ro))):
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)
        pytest.skip("needs root to make a read-only bind mount")
    try:
        yield corpus, ro
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB file system: too small for even a two-plan index."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)):
        pytest.skip("needs root to mount a tmpfs")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _one_line_error(res) -> str:
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and "Traceback" not in res.output, res.output
    return lines[0]


# --- a read-only index ------------------------------------------------------------------------

def test_every_reading_command_works_on_a_read_only_index(read_only_copy):
    corpus, ro = read_only_copy
    a, b = str(corpus / "plan2023.txt"), str(corpus / "plan2024.txt")
    for args in (["search", "留守儿童关爱"], ["compare", a, b], ["check", b], ["trend", "留守儿童"],
                 ["reuse"], ["search", "留守儿童", "--by", "year"]):
        res = runner.invoke(app, [*args, "--index", str(ro)])
        assert res.exit_code == 0 and "Traceback" not in res.output, (args, res.output)
    assert not any(".damaged-" in p.name for p in ro.iterdir())


def test_building_into_a_read_only_index_is_one_line(read_only_copy):
    corpus, ro = read_only_copy
    line = _one_line_error(runner.invoke(app, ["index", str(corpus), "--index", str(ro)]))
    assert "cannot be written" in line and str(ro) in line
    assert _search(ro).exit_code == 0


def test_the_web_compare_page_works_on_a_read_only_index(read_only_copy):
    from starlette.testclient import TestClient

    from plansearch.web.app import create_app

    corpus, ro = read_only_copy
    docs = sorted(d.doc_id for d in load_corpus(corpus))
    r = TestClient(create_app(ro), base_url="http://localhost").get("/compare", params={"a": docs[0], "b": docs[1]})
    assert r.status_code == 200


def test_a_read_only_cache_is_read_never_set_aside(pristine, tmp_path, monkeypatch):  # noqa: F811
    """Without a mount: the folder is taken for read-only (root passes chmod), and the cache still
    answers what it holds instead of being renamed as damage."""
    _corpus, ix = _fresh_copy(pristine, tmp_path)
    monkeypatch.setattr(store, "_writable_dir", lambda d: False)
    cache = store.EmbeddingCache(ix / CACHE_FILE)
    try:
        assert cache.read_only
        model = store.IndexMeta.read(live_generation(ix)).model
        keys = [k for (k,) in sqlite3.connect(ix / CACHE_FILE).execute("SELECT key FROM vector LIMIT 5")]
        assert keys and len(dict(cache.iter_many(model, keys))) == len(keys)
        cache.put_many(model, [b"k" * 32], np.zeros((1, 384), np.float32))  # a no-op, not an error
    finally:
        cache.close()
    assert (ix / CACHE_FILE).is_file() and not any(".damaged-" in p.name for p in ix.iterdir())


# --- a full disk --------------------------------------------------------------------------------

def test_a_build_on_a_full_disk_is_one_line_naming_the_disk_and_the_room(pristine, tiny_disk):  # noqa: F811
    corpus, _ix = pristine
    ix = tiny_disk / "index"
    line = _one_line_error(runner.invoke(app, ["index", str(corpus), "--index", str(ix)]))
    assert "no room left on the disk" in line and str(tiny_disk) in line and "needs about" in line
    assert not list(ix.glob(".tmp-gen-*"))


def test_a_full_disk_during_a_rebuild_leaves_the_old_index_answering(pristine, tmp_path, monkeypatch):  # noqa: F811
    corpus, ix = _fresh_copy(pristine, tmp_path)
    before = live_generation(ix)

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.np, "save", full)
    line = _one_line_error(runner.invoke(app, ["index", str(corpus), "--index", str(ix), "--force"]))
    assert "no room left on the disk" in line and "previous index is unchanged" in line
    assert live_generation(ix) == before and not list(ix.glob(".tmp-gen-*"))
    monkeypatch.undo()
    assert _search(ix).exit_code == 0


def test_numpys_short_write_counts_as_a_full_disk():
    assert store._is_disk_full(OSError("76800 requested and 4096 written"))
    assert store._is_disk_full(sqlite3.OperationalError("database or disk is full"))
    assert not store._is_disk_full(OSError(errno.EACCES, "Permission denied"))


@pytest.mark.parametrize("args", [["search", "留守儿童关爱", "--json"], ["search", "留守儿童关爱", "--format", "csv"],
                                  ["docs", "--json"], ["compare", "plan2023.txt", "plan2024.txt"]])
def test_output_to_a_full_disk_is_one_line_and_exit_1(pristine, args, tmp_path):  # noqa: F811
    corpus, ix = pristine
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    argv = [str(corpus / a) if a.endswith(".txt") else a for a in args]
    argv = argv + [str(corpus)] if args[0] == "docs" else argv + ["--index", str(ix)]
    with open("/dev/full", "w") as full:
        res = subprocess.run(["plansearch", *argv], stdout=full, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}"})
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1 and lines == ["error: cannot write the output: No space left on device"], res.stderr


# --- names, bytes, sizes ------------------------------------------------------------------------

def test_a_file_name_that_is_not_utf8_is_indexed_and_shown_escaped(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = os.fsdecode(b"bad-\xff.txt")
    (corpus / name).write_text(PLANS["plan2023.txt"], encoding="utf-8")
    ix = tmp_path / "index"
    res = runner.invoke(app, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 0, res.output
    hit = runner.invoke(app, ["search", "留守儿童关爱", "--index", str(ix), "--json"])
    assert hit.exit_code == 0 and '"doc_id": "bad-\\\\xff"' in hit.stdout, hit.output


def test_one_stray_byte_does_not_lose_a_plan():
    """A 23 KB UTF-8 plan of the sample corpus with one \\xff between two characters: read, with a
    warning that names the file and the byte offset."""
    seed = sorted(Path(__file__).resolve().parents[1].glob("corpus/001_*.txt"))[0].read_bytes()
    cut = seed.index("。".encode(), 9000) + 3
    data = seed[:cut] + b"\xff" + seed[cut:]
    repaired: list[str] = []
    text, enc = decode_text(data, "plan.txt", repaired=repaired)
    assert enc == "utf-8" and text == seed[:cut].decode() + "\ufffd" + seed[cut:].decode()
    assert repaired == [f"plan.txt: 1 byte not valid utf-8 at offset {cut:,} read as \ufffd"]


def test_a_stray_byte_warning_reaches_the_user(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    data = PLANS["plan2023.txt"].encode()
    cut = data.index(b"\n") + 1  # between two lines, not inside a character
    (corpus / "plan.txt").write_bytes(data[:cut] + b"\xff" + data[cut:])
    res = runner.invoke(app, ["docs", str(corpus)])
    assert res.exit_code == 0 and f"plan.txt: 1 byte not valid utf-8 at offset {cut}" in res.stderr, res.output
    assert "plan" in res.stdout


def test_a_file_too_large_to_be_a_plan_is_refused_at_once(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "plan.txt").write_text(PLANS["plan2023.txt"], encoding="utf-8")
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(3 * 2**30)  # sparse: 3 GB of nothing, on no disk
    res = runner.invoke(app, ["docs", str(corpus)])
    assert res.exit_code == 0 and "huge.txt: too large to be a plan (3,072 MB" in res.stderr, res.output
    check = runner.invoke(app, ["check", str(corpus / "huge.txt")])
    assert "too large to be a plan" in _one_line_error(check)


# --- damage found late, locks, store.json -------------------------------------------------------

def test_an_embedding_cache_damaged_in_the_middle_is_set_aside_during_the_build(pristine, tmp_path):  # noqa: F811
    corpus, ix = _fresh_copy(pristine, tmp_path)
    cache = ix / CACHE_FILE
    with sqlite3.connect(cache) as db:  # the index's rows last, behind pages of other rows
        rows = db.execute("SELECT * FROM vector").fetchall()
        db.execute("DELETE FROM vector")
        db.executemany("INSERT INTO vector VALUES (?,?,?)",  # filler keys sort before the index's
                       [(rows[0][0], b"\0" + os.urandom(31), 0) for _ in range(3000)] + rows)
    with sqlite3.connect(cache) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # Opening reads the schema and the first row; the damage is in the leaf page holding the
        # index's rows (the last in key order: dbstat's paths sort as the keys do), which only
        # the build's look-ups reach.
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        leaves = db.execute("SELECT path, pageno FROM dbstat WHERE name='vector' AND pagetype='leaf'").fetchall()
        last_leaf = max(leaves)[1]
    assert len(leaves) > 2
    with open(cache, "r+b") as f:
        f.seek((last_leaf - 1) * page_size + 8)
        f.write(b"\xff" * (page_size - 8))
    res = runner.invoke(app, ["index", str(corpus), "--index", str(ix), "--force"])
    assert res.exit_code == 0 and "set aside" in res.stderr, res.output
    assert _search(ix).exit_code == 0


def test_a_lock_that_is_a_folder_is_one_line(pristine, tmp_path):  # noqa: F811
    corpus, ix = _fresh_copy(pristine, tmp_path)
    (ix / ".lock").unlink(missing_ok=True)
    (ix / ".lock").mkdir()
    line = _one_line_error(runner.invoke(app, ["index", str(corpus), "--index", str(ix), "--force"]))
    assert ".lock is a folder" in line


def test_index_force_rebuilds_over_a_garbage_store_json(pristine, tmp_path):  # noqa: F811
    corpus, ix = _fresh_copy(pristine, tmp_path)
    (ix / "store.json").write_text("garbage{", encoding="utf-8")
    assert "store.json is unreadable" in _one_line_error(_search(ix))
    res = runner.invoke(app, ["index", str(corpus), "--index", str(ix), "--force"])
    assert res.exit_code == 0 and "set aside" in res.stderr, res.output
    assert _search(ix).exit_code == 0
