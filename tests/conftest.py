"""Shared test fixtures: where the real corpora are, and the sample corpus loaded once per session."""
from __future__ import annotations

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
    if not GWR.is_dir():
        pytest.skip(f"second corpus not found at {GWR} (../shared beside the repo)")
    return GWR


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
    from plansearch.store import build_index

    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index(CORPUS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def searcher(seed_index):
    from plansearch.search import Searcher

    return Searcher(seed_index)


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
