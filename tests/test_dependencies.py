"""What `pip install .` gives a user must be enough for every command: each third-party module that
src/plansearch imports is a core dependency, unless the import is an optional backend that turns a
missing package into "install X" (a `try: … except ImportError` around it, or an importlib check).

A plain install that crashed on `compare` with ModuleNotFoundError: rapidfuzz (it sat in the bench
extra) passed a suite that installs every extra; this reads the imports instead."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "plansearch"
# import name -> distribution name, where they differ
DISTRIBUTION = {"faiss": "faiss-cpu", "docx": "python-docx", "charset_normalizer": "charset-normalizer"}
# Optional backends: imported only behind a check that says what to install.
OPTIONAL = {"sentence_transformers", "huggingface_hub", "pymilvus", "milvus_lite", "ray"}


def _core_dependencies() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].strip().lower().replace("_", "-")
            for d in project["dependencies"]}


def _imported_modules() -> dict[str, list[str]]:
    """Top-level third-party modules imported anywhere under src/plansearch, with where."""
    std = set(sys.stdlib_module_names)
    found: dict[str, list[str]] = {}
    for f in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in std and top not in ("plansearch", "__future__"):
                    found.setdefault(top, []).append(f"{f.relative_to(REPO)}:{node.lineno}")
    return found


def test_every_module_the_package_imports_is_installed_by_a_plain_pip_install():
    core = _core_dependencies()
    missing = {mod: where for mod, where in _imported_modules().items()
               if mod not in OPTIONAL and DISTRIBUTION.get(mod, mod).lower().replace("_", "-") not in core}
    assert not missing, f"imported but not core dependencies in pyproject.toml: {missing}"


def test_optional_backends_say_what_to_install():
    # Each optional module is named in an "install …" message next to where it is imported.
    for mod in OPTIONAL & set(_imported_modules()):
        holders = [f for f in SRC.rglob("*.py") if re.search(rf"\b(import|from) {mod}\b", f.read_text())]
        assert any("install" in f.read_text() for f in holders), mod


def test_rapidfuzz_is_a_core_dependency_because_compare_needs_it():
    assert "rapidfuzz" in _core_dependencies()
    assert "rapidfuzz" in _imported_modules()
