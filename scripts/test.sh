#!/usr/bin/env bash
# The whole test suite (fast + slow end-to-end), in the project's own venv.
# torch is pinned to the CPU wheel before sentence-transformers can pull a CUDA build.
set -uo pipefail
. "$(dirname "$0")/venv.sh"
python -m pip install -q "torch==2.13.0" || exit 1
python -m pip install -q -e ".[test,st,bench,milvus,ray]" || exit 1
# The only Milvus server pip installs here (2.3.5, 57 MB): the store must refuse it in one line
# (tests/test_milvus_faults.py starts it on 127.0.0.1). Unpacked beside the venv, not into it.
[ -f .cache/milvus-2.3.5/milvus/__init__.py ] || python -m pip install -q --no-deps \
  --target .cache/milvus-2.3.5 "milvus==2.3.5" >/dev/null 2>&1 || echo "warning: could not unpack milvus 2.3.5 (its test is skipped)" >&2
# Debian packages the tests need: jq (README's examples pipe into it; the end-to-end tests run them
# as shown), and Chromium for the web app's browser tests, driven through Playwright from the test
# extra (a browser download is not possible, so `playwright install` is never run), with a CJK font
# so that the pages and the screenshots they write on failure are readable.
PKGS=""
command -v jq >/dev/null 2>&1 || PKGS="jq"
[ -x /usr/bin/chromium ] || PKGS="$PKGS chromium"
# A CJK font whenever none is installed (not only with Chromium): without one the pages and the
# screenshots render Chinese as boxes.
{ command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; } || PKGS="$PKGS fontconfig fonts-wqy-microhei"
if [ -n "$PKGS" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PKGS; } \
    >/dev/null 2>&1 || echo "warning: could not install ${PKGS# } (the browser tests are skipped without chromium)" >&2
fi
python -m pytest -q -rs "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 0
fi
exit $rc
