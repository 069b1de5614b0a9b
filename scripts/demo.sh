#!/usr/bin/env bash
# Install plansearch in .venv and run the main job on the bundled sample corpus with the default
# (embedded, offline) model: list the documents, build the index, search it.
set -euo pipefail
. "$(dirname "$0")/venv.sh"
python -m pip install -q -e .
plansearch docs corpus/
plansearch index corpus/
plansearch search "留守儿童关爱"
