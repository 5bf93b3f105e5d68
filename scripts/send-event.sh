#!/usr/bin/env bash
# Signs and posts one CloudEvent to a running Retention, as a core system would.
#   scripts/send-event.sh '{"specversion":"1.0","id":"s-1","source":"demo","type":"sale.completed","data":{"customerId":"C001","saleId":"S1"}}'
# Environment: RETENTION_URL (http://localhost:7071), RETENTION_WEBHOOK_SECRET (dev-webhook-secret).
set -euo pipefail
body=$1
url=${RETENTION_URL:-http://localhost:7071}
secret=${RETENTION_WEBHOOK_SECRET:-dev-webhook-secret}
content_type=application/cloudevents+json
[[ $body == \[* ]] && content_type=application/cloudevents-batch+json
t=$(date +%s)
signature=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')
curl -sS -X POST "$url/api/events" -H "Content-Type: $content_type" -H "X-Retention-Signature: t=$t,v1=$signature" --data-binary "$body"
echo
