#!/usr/bin/env bash
# Smoke test of a deployment, or of the local emulation:
#   scripts/smoke.sh URL [URL...]      e.g. scripts/smoke.sh http://127.0.0.1:3000
# Through each URL: POST /storeEpochTime (with an Idempotency-Key, so curl's
# retries never store twice), GET /getEpochStore, GET /health. Exits non-zero
# at the first answer outside 2xx or a body that is not the API's.
# SMOKE_RETRIES (default 2): curl's retries of a timeout, 429 or 5xx.
# SMOKE_TOKEN: a JWT sent with the POST when writes need one (jwt_issuer set).
set -euo pipefail

(($#)) || { echo "usage: $0 URL [URL...]" >&2; exit 2; }
retries=${SMOKE_RETRIES:-2}
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# check METHOD URL EXPECTED_JSON_KEY [curl arguments]
check() {
  local method=$1 url=$2 key=$3 status
  shift 3
  if ! status=$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 --retry "$retries" --retry-connrefused \
    -X "$method" -H 'Accept: application/json' "$@" "$url"); then
    echo "FAIL $method $url: no answer" >&2
    return 1
  fi
  if [[ $status != 2?? ]]; then
    echo "FAIL $method $url: HTTP $status $(head -c 300 "$body")" >&2
    return 1
  fi
  if ! grep -q "\"$key\"" "$body"; then
    echo "FAIL $method $url: HTTP $status without \"$key\": $(head -c 300 "$body")" >&2
    return 1
  fi
  echo "ok   $method $url: HTTP $status"
}

for base in "$@"; do
  base=${base%/}
  check POST "$base/storeEpochTime" id --data '' -H "Idempotency-Key: smoke-$(date +%s)-$RANDOM$RANDOM" \
    ${SMOKE_TOKEN:+-H "Authorization: Bearer $SMOKE_TOKEN"}
  check GET "$base/getEpochStore?limit=5" items
  check GET "$base/health" status
done
