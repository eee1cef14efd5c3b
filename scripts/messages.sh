#!/usr/bin/env bash
# Extract translatable strings and compile the catalogues. `--check` fails when the committed
# .po/.mo files are stale, so every user-facing string stays translatable and translated.
set -euo pipefail
cd "$(dirname "$0")/.."
export KEHU_DATA_DIR=${KEHU_DATA_DIR:-$(mktemp -d)}
cd kehu
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  cp -r locale "$tmp/"
  ../.venv/bin/python ../manage.py makemessages -l zh_Hans --no-obsolete --no-location -i "static/vendor/*" >/dev/null
  status=0
  if ! diff -q -I '^"POT-Creation-Date' "$tmp/locale/zh_Hans/LC_MESSAGES/django.po" locale/zh_Hans/LC_MESSAGES/django.po >/dev/null; then
    echo "kehu/locale is stale: run scripts/messages.sh and translate the new strings" >&2
    diff -u -I '^"POT-Creation-Date' "$tmp/locale/zh_Hans/LC_MESSAGES/django.po" locale/zh_Hans/LC_MESSAGES/django.po | head -40 >&2
    status=1
  fi
  untranslated=$(msgattrib --untranslated --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po | grep -c '^msgid ' || true)
  if [ "$untranslated" -gt 1 ]; then
    echo "$((untranslated - 1)) strings have no Chinese translation:" >&2
    msgattrib --untranslated --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po | grep '^msgid ' | head -20 >&2
    status=1
  fi
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po | grep -c '^msgid ' || true)
  if [ "$fuzzy" -gt 0 ]; then echo "$fuzzy fuzzy translations in django.po" >&2; status=1; fi
  rm -rf locale && mv "$tmp/locale" locale
  msgfmt --check-format -o "$tmp/django.mo" locale/zh_Hans/LC_MESSAGES/django.po
  if ! cmp -s "$tmp/django.mo" locale/zh_Hans/LC_MESSAGES/django.mo; then
    echo "kehu/locale/zh_Hans/LC_MESSAGES/django.mo is stale: run scripts/messages.sh" >&2
    status=1
  fi
  rm -rf "$tmp"
  exit $status
fi
../.venv/bin/python ../manage.py makemessages -l zh_Hans --no-obsolete --no-location -i "static/vendor/*"
../.venv/bin/python ../manage.py compilemessages -l zh_Hans
