# Sourced by demo.sh and test.sh: the project's own venv (.venv), made on first use, activated,
# with a current pip. PYTHON picks the interpreter that makes it (default python3).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
