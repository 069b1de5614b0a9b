#!/usr/bin/env bash
# The message catalogue: extract every marked string, merge it into the zh_CN and en catalogues,
# compile them. Run after adding or changing a user-facing string, then fill the empty zh_CN msgstr
# (tests/test_i18n.py fails while one is empty or a compiled catalogue is stale).
set -euo pipefail
cd "$(dirname "$0")/.."
L=src/plansearch/locale
pybabel extract -F babel.cfg -k N_ -k pgettext:1c,2 --no-location --sort-output \
  --project plansearch -o "$L/plansearch.pot" .
for lang in zh_CN en; do
  if [ -f "$L/$lang/LC_MESSAGES/plansearch.po" ]; then
    pybabel update --no-fuzzy-matching -i "$L/plansearch.pot" -d "$L" -D plansearch -l "$lang"
  else
    pybabel init -i "$L/plansearch.pot" -d "$L" -D plansearch -l "$lang"
  fi
done
# Dates in the headers would change at every run and make every branch collide on them.
sed -i -E 's/^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$/"\1: 2026-12-05 00:00+0000\\n"/' "$L/plansearch.pot" "$L"/*/LC_MESSAGES/plansearch.po
pybabel compile -d "$L" -D plansearch
