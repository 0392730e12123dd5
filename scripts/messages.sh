#!/usr/bin/env bash
# Regenerates and compiles Utvei's Norwegian bokmål catalog (src/utvei/locale/nb/LC_MESSAGES/django.po/.mo).
# Independent of the Makefile: run it from anywhere as `bash scripts/messages.sh`.
#
# Both commands run with the working directory src/utvei, so that makemessages writes to src/utvei/locale
# (settings.LOCALE_PATHS). Ignore patterns are matched against paths relative to that directory, so the API
# app is ignored as `api/*`: it keeps its own small catalog in src/utvei/api/locale, which this script must
# neither rewrite nor recompile. The repo-level names (.venv, var, tests, bench) are kept for safety; they
# are outside src/utvei and never walked.
# Needs GNU gettext (msgfmt, xgettext, msgmerge, msguniq).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UTVEI="$ROOT/.venv/bin/utvei"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-utvei.settings}"

if [ ! -x "$UTVEI" ]; then
  echo "missing $UTVEI: run 'make install' first" >&2
  exit 1
fi

cd "$ROOT/src/utvei"

"$UTVEI" makemessages -l nb --no-obsolete \
  --ignore=.venv --ignore=var --ignore=tests --ignore=bench \
  --ignore='api/*' --ignore='src/utvei/api/*'
"$UTVEI" compilemessages -l nb --ignore=.venv --ignore='api/*'

# The API's own catalog, from the API's own sources.
(cd api && "$UTVEI" makemessages -l nb --no-obsolete && "$UTVEI" compilemessages -l nb)

# Fail loudly on format errors, untranslated or fuzzy entries. (The output is captured, not piped into
# `grep -q`: with pipefail, grep's early exit would make msgattrib fail and the check pass silently.)
status=0
for po in locale/nb/LC_MESSAGES/django.po api/locale/nb/LC_MESSAGES/django.po; do
  msgfmt --check-format --statistics -o /dev/null "$po"
  fuzzy="$(msgattrib --only-fuzzy --no-obsolete "$po")"
  if [ -n "$fuzzy" ]; then
    echo "$po has fuzzy entries: review them" >&2
    status=1
  fi
  untranslated="$(msgattrib --untranslated --no-obsolete "$po")"
  if [ -n "$untranslated" ]; then
    echo "$po has untranslated entries: translate them" >&2
    printf '%s\n' "$untranslated" | grep '^msgid' | head -n 20 >&2
    status=1
  fi
done
exit "$status"
