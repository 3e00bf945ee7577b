#!/usr/bin/env bash
# config/compose.env must be config/local.env but for the settings where the compose stack's
# servers differ (see docker-compose.yml's header): fails naming any other difference.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed='^(MAIL_QUEUE_URL|MAILDEV_API_URL)='
settings() { grep -Ev '^[[:space:]]*(#|$)' "$1" | grep -Ev "$allowed" || true; }
if ! diff <(settings config/local.env) <(settings config/compose.env); then
  echo "config/compose.env differs from config/local.env beyond MAIL_QUEUE_URL and MAILDEV_API_URL" >&2
  exit 1
fi
for key in MAIL_QUEUE_URL MAILDEV_API_URL; do
  grep -q "^$key=" config/compose.env || { echo "config/compose.env lacks $key" >&2; exit 1; }
done
