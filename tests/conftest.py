"""Shared test fixtures: where the real corpora are, the sample corpus loaded once per session, and
the two corpora indexed once per session.

../shared (the second corpus) beside the repository is optional on a developer's machine (tests
that need it are skipped) but required in CI (CI=true): there a missing ../shared fails the run
instead of silently skipping the work-report tests."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
GWR = SHARED / "corpora" / "gwr"


def seed_path(prefix: str) -> Path:
    """The sample-corpus file whose name starts with `prefix` (e.g. "000")."""
    (p,) = sorted(CORPUS.glob(f"{prefix}_*"))
    return p


def require_shared(path: Path) -> Path:
    """`path` under ../shared, or a skip (locally) / a failure (in CI) when it is not there."""
    if not path.exists():
        message = f"second corpus not found at {path} (../shared beside the repo)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + ": CI must run with ../shared beside the clone")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session", autouse=True)
def plansearch_home(tmp_path_factory) -> Path:
    """No test writes into the real ~/.cache/plansearch: for the whole session, plansearch's own
    directory (store.user_home: compare's embedding cache) is a temporary one. Tests share it, so
    a text the model embedded once is not embedded again; `fresh_home` gives a test its own."""
    home = tmp_path_factory.mktemp("plansearch-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANSEARCH_HOME", str(home))
        yield home


@pytest.fixture(scope="session", autouse=True)
def english_by_default():
    """Tests read English unless they ask for another language (use_lang / --lang / the web's
    Chinese default): the developer's own LANG=zh_CN.UTF-8 must not change what they see."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANSEARCH_LANG", "en")
        yield


@pytest.fixture
def fresh_home(tmp_path, monkeypatch) -> Path:
    """An empty plansearch home for this test alone (to see what it embeds into the user's cache)."""
    home = tmp_path / "plansearch-home"
    monkeypatch.setenv("PLANSEARCH_HOME", str(home))
    return home
PLAN_A = """区教育局2023年工作要点
一、加强教师队伍建设
1.开展新教师岗前培训，全年培训新入职教师300人。
2.深化师德师风建设，开展“最美教师”评选活动。
二、关爱特殊群体
3.建立农村留守儿童关爱档案，落实结对帮扶制度。
"""
PLAN_B = """区教育局2024年工作要点
一、办好人民满意的教育
1.推进集团化办学，新建义务教育学校两所。
2.建立农村留守儿童关爱档案，落实结对帮扶制度。
3.加强校园食品安全管理，落实校长陪餐制度。
"""


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A corpus of one small plan (2023); tests add the 2024 plan, which copies one measure."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "plan2023.txt").write_text(PLAN_A, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def gwr_dir() -> Path:
    return require_shared(GWR)


# Embeddings of the real corpora kept between local runs (never in CI, which starts clean): an
# index built in a test starts from this cache and embeds only what changed.
EMBED_CACHE = REPO / ".cache" / "test-embeddings"


def build_cached(corpus: Path, index_dir: Path, name: str, start_from: tuple[Path, ...] = ()) -> Path:
    """Index `corpus` into `index_dir` with the default model, starting from (and refreshing) the
    kept embedding cache `name`, and from the vectors of the indexes `start_from` (a corpus that
    holds their texts embeds only the rest: the web app's corpus is the seeds and three reports)."""
    from plansearch.store import CACHE_FILE, build_index, copy_cache

    kept = EMBED_CACHE / f"{name}.sqlite"
    index_dir.mkdir(parents=True, exist_ok=True)
    if kept.is_file() and not os.environ.get("CI"):
        copy_cache(kept, index_dir / CACHE_FILE)
    for other in start_from:
        merge_cache(other / CACHE_FILE, index_dir / CACHE_FILE)
    build_index(corpus, index_dir)
    if not os.environ.get("CI"):
        EMBED_CACHE.mkdir(parents=True, exist_ok=True)
        copy_cache(index_dir / CACHE_FILE, kept)
    return index_dir


def merge_cache(source: Path, target: Path) -> None:
    """Add the default model's vectors of the embedding cache `source` that `target` lacks."""
    import numpy as np

    from plansearch.embed import get_embedder
    from plansearch.store import EmbeddingCache

    model = get_embedder(None).name
    src, dst = EmbeddingCache(source, read_only=True), EmbeddingCache(target)
    try:
        have = dst.rows(model, keys := src.keys(model))
        found = dict(src.iter_many(model, [k for k in keys if k not in have]))
        if found:
            dst.put_many(model, list(found), np.stack(list(found.values())))
    finally:
        src.close()
        dst.close()


@pytest.fixture(scope="session")
def gwr_index(tmp_path_factory, gwr_dir) -> Path:
    """The work reports indexed once with the default model (a few minutes cold on 2 cores)."""
    return build_cached(gwr_dir, tmp_path_factory.mktemp("gwr-index"), "gwr")


@pytest.fixture(scope="session")
def seed_item_vectors(tmp_path_factory) -> Path:
    """The bench generator's seed items embedded once with the default model (bench.run.seed_vectors,
    a .npy file): the benchmarks' tests make their synthetic corpora's vectors from them."""
    sys.path.insert(0, str(REPO))
    from bench.gen_corpus import load_seed_material
    from bench.run import seed_vectors

    path = tmp_path_factory.mktemp("seed-vectors") / "seed_vectors.npy"
    seed_vectors(load_seed_material(), path)
    return path


@pytest.fixture(scope="session")
def corpus_docs():
    """Every document of the bundled sample corpus, loaded once."""
    from plansearch import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def docs_by_id(corpus_docs):
    return {d.doc_id: d for d in corpus_docs}


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The sample corpus indexed once with the default model (about 15 s on 2 cores)."""
    return build_cached(CORPUS, tmp_path_factory.mktemp("seed-index"), "seeds")


@pytest.fixture(scope="session")
def searcher(seed_index):
    from plansearch.search import Searcher

    return Searcher(seed_index)


# --- the web app's index (tests/test_web*.py) --------------------------------------------------------

WEB_GWR_YEARS = (2019, 2021, 2022)  # three work reports; 2020 stays a gap
HOSTILE_PLAN = (  # document text a page must show as text, never run or interpret
    "某区教育局2023年工作要点<script>alert('title')</script>\n"
    "一、重点工作\n"
    "1. 推进课后服务全覆盖<script>alert(\"item\")</script>，落实[/bold]双减[red]要求[/red]，"
    "每所学校开设不少于十类课后服务项目。\n"
    "2. 加强校园安全管理，开展<b>防溺水</b>专项教育，做到安全教育全覆盖。\n"
)
HOSTILE_TITLE = "某区<script>alert('t')</script>工作要点[/bold]"  # set in the manifest
SWAPS_003 = (("教化", "教育"), ("老师", "教师"), ("平安", "安全"), ("探讨", "研究"))  # 003's 降重, undone


def restored_003_text() -> str:
    """The seed 003 is a 降重 rewrite (a synonym machine swapped 教育→教化, 教师→老师, …): this is its
    wording before the rewrite, a draft that check must find copied from 003 (disguised)."""
    text = seed_path("003").read_text(encoding="utf-8")
    for swapped, original in SWAPS_003:
        text = text.replace(swapped, original)
    return text


@pytest.fixture(scope="session")
def web_corpus(tmp_path_factory, gwr_dir) -> Path:
    """The sample corpus, three gwr reports (with their manifest rows) and one plan whose text holds
    markup (<script>, rich's [/bold]), in one directory."""
    import csv

    root = tmp_path_factory.mktemp("web-corpus")
    for f in CORPUS.glob("*.txt"):
        shutil.copy(f, root / f.name)
    columns = ["doc", "title", "year", "region", "issuer", "kind", "note"]
    rows = [r for r in csv.DictReader(line for line in (CORPUS / "manifest.csv").read_text(encoding="utf-8")
                                                                              .splitlines() if not line.startswith("#"))]
    for year in WEB_GWR_YEARS:
        name = f"national_gwr_{year}.txt"
        shutil.copy(gwr_dir / name, root / name)
    for r in csv.DictReader((gwr_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()):
        if (root / r["file"]).is_file():
            rows.append({"doc": r["file"], **{c: r.get(c, "") for c in columns[1:]}})
    rows.append({"doc": "hostile_plan.txt", "title": HOSTILE_TITLE})
    with open(root / "manifest.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    (root / "hostile_plan.txt").write_text(HOSTILE_PLAN, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def web_index(web_corpus, seed_index, gwr_index, tmp_path_factory) -> Path:
    return build_cached(web_corpus, tmp_path_factory.mktemp("web-index"), "web", (seed_index, gwr_index))


@pytest.fixture(scope="session")
def web_engine(web_index):
    """One Engine (the index, model and caches of `plansearch serve`) for every web test."""
    from plansearch.web.engine import Engine

    engine = Engine(web_index)
    yield engine
    engine.close()
def kill_build_at(stage: str, corpus: Path, index_dir: Path, marker: Path) -> None:
    """Start `build_index(corpus, index_dir)` in a child process and kill -9 it once the build
    reports `stage` (it then sleeps there): a power cut in the middle of that stage."""
    import os
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", f"""
import time
from plansearch.store import build_index
def progress(stage, done, total):
    if stage == {stage!r}:
        open({str(marker)!r}, "w").close()
        time.sleep(60)
build_index({str(corpus)!r}, {str(index_dir)!r}, progress=progress)
"""])
    try:
        deadline = time.time() + 180
        while not marker.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert marker.exists(), f"the child never reached the {stage} stage"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
