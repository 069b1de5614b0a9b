"""The Milvus store under damage and against a real server (#24): every damaged state of a Milvus
Lite database is one line naming the damage (Milvus Lite's own tracebacks go to a log file the line
names, not to the terminal), and one `plansearch index` repairs it; a server older than the store
needs is refused in one line naming both versions; a failed build leaves no orphan collection; and
`index --drop` removes what deleting the folder would leave on the server."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plansearch.cli import app
from plansearch.models import PlansearchError
from plansearch.store import STORE_FILE, build_index, recorded_store

from conftest import PLAN_A, PLAN_B, REPO

if str(REPO) not in sys.path:  # bench/ holds the hostile pass, whose damage this test shares
    sys.path.insert(0, str(REPO))

from bench.hostile import live_docs_collection  # noqa: E402

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from plansearch import milvus_store  # noqa: E402

runner = CliRunner()
DAMAGES = ("db-is-a-file", "aliases-garbage", "docs-parquet-truncated", "docs-parquet-zeroed",
           "docs-schema-garbage", "docs-manifest-garbage")


@pytest.fixture(scope="module")
def lite_pristine(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("milvus-faults")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "plan2023.txt").write_text(PLAN_A, encoding="utf-8")
    (corpus / "plan2024.txt").write_text(PLAN_B, encoding="utf-8")
    ix = root / "index"
    build_index(corpus, ix, store=f"milvus-lite:{ix / 'plans.db'}")
    return corpus, ix


def _damage(db: Path, how: str) -> None:
    docs = live_docs_collection(db)  # not the version before it, which the build keeps too
    parquet = next(docs.glob("partitions/_default/data/*.parquet"))
    if how == "db-is-a-file":
        shutil.rmtree(db)
        db.write_bytes(os.urandom(4096))
    elif how == "aliases-garbage":
        (db / "aliases.json").write_bytes(os.urandom(300))
    elif how == "docs-parquet-truncated":
        with open(parquet, "r+b") as f:
            f.truncate(100)
    elif how == "docs-parquet-zeroed":
        parquet.write_bytes(b"\0" * parquet.stat().st_size)
    elif how == "docs-schema-garbage":
        (docs / "schema.json").write_bytes(os.urandom(200))
    else:
        (docs / "manifest.json").write_bytes(os.urandom(200))


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_milvus_lite_database_is_one_line_and_one_index_run_repairs_it(lite_pristine, tmp_path, how):
    corpus, pristine = lite_pristine
    ix = tmp_path / "index"
    shutil.copytree(pristine, ix)
    _damage(ix / "plans.db", how)
    res = runner.invoke(app, ["search", "留守儿童关爱", "--index", str(ix), "-k", "3"])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and "Traceback" not in res.output, res.output
    assert "damaged" in lines[0] and "plansearch index" in lines[0]
    repaired = runner.invoke(app, ["index", str(corpus), "--index", str(ix)])
    assert repaired.exit_code == 0 and "Traceback" not in repaired.output, repaired.output
    assert "indexed 2 documents" in repaired.stdout
    after = runner.invoke(app, ["search", "留守儿童关爱", "--index", str(ix), "-k", "3"])
    assert after.exit_code == 0 and "留守儿童" in after.stdout, after.output


def test_milvus_lites_own_tracebacks_go_to_the_log_it_names(lite_pristine, tmp_path):
    corpus, pristine = lite_pristine
    ix = tmp_path / "index"
    shutil.copytree(pristine, ix)
    _damage(ix / "plans.db", "aliases-garbage")
    # a real process, so what Milvus Lite and pymilvus print is what a user's terminal gets
    res = subprocess.run([sys.executable, "-c", "from plansearch.cli import app; app()", "search", "留守儿童",
                          "--index", str(ix)], capture_output=True, text=True, env=os.environ.copy())
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr, res.stderr
    log = milvus_store.milvus_log()
    assert str(log) in res.stderr and "Traceback" in log.read_text(encoding="utf-8")


# --- a server ---------------------------------------------------------------------------------------

class _OldServer:
    def __init__(self, version):
        self.version = version
        self.closed = False

    def get_server_version(self):
        return self.version

    def close(self):
        self.closed = True


@pytest.mark.parametrize("version, ok", [("v2.3.5-lite", False), ("2.4.15", False), ("v2.5.0", True),
                                          ("v2.6.1-gpu", True), ("master-20251010", False)])
def test_a_server_older_than_the_store_needs_is_refused_naming_both_versions(version, ok):
    if ok:
        milvus_store._check_server_version(_OldServer(version), "http://127.0.0.1:19530")
        return
    with pytest.raises(PlansearchError, match="needs Milvus 2.5.0 or newer") as e:
        milvus_store._check_server_version(_OldServer(version), "http://127.0.0.1:19530")
    assert version in str(e.value)


def _old_server_lib() -> Path | None:
    """The `milvus` wheel (the only Milvus server pip installs here, 2.3.5), where scripts/test.sh
    unpacked it."""
    default = Path(__file__).resolve().parents[1] / ".cache" / "milvus-2.3.5"
    lib = Path(os.environ.get("PLANSEARCH_TEST_MILVUS_SERVER_LIB", default))
    return lib if (lib / "milvus" / "__init__.py").is_file() else None


@pytest.mark.slow
def test_a_real_2_3_server_is_refused_before_anything_is_built(small_corpus, tmp_path):
    lib = _old_server_lib()
    if lib is None:
        pytest.skip("the milvus 2.3.5 server wheel is not unpacked (scripts/test.sh does it)")
    sys.path.insert(0, str(lib))
    try:
        from milvus import MilvusServer
    finally:
        sys.path.remove(str(lib))
    server = MilvusServer()
    server.set_base_dir(str(tmp_path / "milvus-data"))
    server.start()  # on 127.0.0.1
    try:
        res = runner.invoke(app, ["index", str(small_corpus), "--index", str(tmp_path / "ix"),
                                  "--store", f"milvus://127.0.0.1:{server.listen_port}"])
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert res.exit_code == 1 and len(lines) == 1 and "Traceback" not in res.output, res.output
        assert "v2.3.5" in lines[0] and "needs Milvus 2.5.0 or newer" in lines[0]
    finally:
        server.stop()


# --- orphans and drop ---------------------------------------------------------------------------------

def test_a_build_whose_collection_index_fails_leaves_no_orphan(small_corpus, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    spec = f"milvus-lite:{ix / 'plans.db'}"
    real = milvus_store.MilvusWriter._create

    def create_then_fail(self, part, schema_and_index):
        name = real(self, part, schema_and_index)  # the collection exists now …
        if part == "items":
            raise RuntimeError("create index on 104 field is not supported")  # … and its index fails
        return name

    monkeypatch.setattr(milvus_store.MilvusWriter, "_create", create_then_fail)
    with pytest.raises(RuntimeError):
        build_index(small_corpus, ix, store=spec)
    monkeypatch.undo()
    client = milvus_store.connect(str(ix / "plans.db"))
    try:
        assert client.list_collections() == []
    finally:
        milvus_store.disconnect(client, str(ix / "plans.db"))
    assert build_index(small_corpus, ix, store=spec).documents == 1


@pytest.mark.parametrize("kind", ["local", "milvus-lite"])
def test_index_drop_removes_the_versions_and_keeps_the_cache(kind, small_corpus, tmp_path):
    ix = tmp_path / "ix"
    store = "local" if kind == "local" else f"milvus-lite:{ix / 'plans.db'}"
    build_index(small_corpus, ix, store=store)
    name = (recorded_store(ix) or {}).get("collection")
    res = runner.invoke(app, ["index", "--drop", "--index", str(ix)])
    assert res.exit_code == 0 and res.stdout.startswith("dropped "), res.output
    assert (ix / "cache.sqlite").is_file() and not (ix / STORE_FILE).exists()
    gone = runner.invoke(app, ["search", "留守儿童", "--index", str(ix)])
    assert gone.exit_code == 1 and "no index" in gone.output.lower(), gone.output
    if kind == "milvus-lite":
        client = milvus_store.connect(str(ix / "plans.db"))
        try:
            assert not [c for c in client.list_collections() if c.startswith(name)]
            assert name not in milvus_store._aliases(client)
        finally:
            milvus_store.disconnect(client, str(ix / "plans.db"))
    else:
        assert not list(ix.glob("gen-*"))
    rebuilt = runner.invoke(app, ["index", str(small_corpus), "--index", str(ix)])
    assert rebuilt.exit_code == 0 and "embedded 0" in rebuilt.stdout, rebuilt.output


def test_drop_takes_only_the_index(small_corpus, tmp_path):
    res = runner.invoke(app, ["index", str(small_corpus), "--drop", "--index", str(tmp_path)])
    assert res.exit_code == 1 and "--drop takes only --index" in res.output
