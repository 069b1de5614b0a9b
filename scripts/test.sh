#!/usr/bin/env bash
# The whole test suite (fast + slow end-to-end), in the project's own venv.
# torch is pinned to the CPU wheel before sentence-transformers can pull a CUDA build.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q "torch==2.13.0" || exit 1
python -m pip install -q -e ".[test,st,bench,milvus]" || exit 1
python -m pytest -q -rs "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 0
fi
exit $rc
