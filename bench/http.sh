#!/usr/bin/env bash
# HTTP throughput: `GET /api/v1/partners?per_page=50` (bearer token, demo data) against the
# bare `GET /healthz` handler, both measured by wrk in this one invocation on the same server
# with the same threads and connections. Prints both rates and their ratio; fails if the
# server dies or answers anything but 2xx. Results are recorded in BENCHMARKS.md (## HTTP).
#
# Usage: bench/http.sh                       (15 s per endpoint, 2 threads, 32 connections)
#        DURATION=5s CONNECTIONS=16 bench/http.sh
# Needs: cargo, curl, wrk (installed from Debian when missing and running as root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
duration="${DURATION:-15s}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"

# shellcheck source=common.sh
source "$root/bench/common.sh"
ensure_wrk
release_binary "$root"

data="$(mktemp -d)"
server=""
cleanup() {
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

# A free loopback port.
port="$(free_port)"
base="http://127.0.0.1:$port"

# No DATABASE_URL from the environment: the benchmark runs on the default SQLite store.
env -u DATABASE_URL RUST_LOG=warn "$bin" --data-dir "$data/data" serve --demo --addr "127.0.0.1:$port" \
  >"$data/serve.log" 2>&1 &
server=$!

alive() {
  if ! kill -0 "$server" 2>/dev/null; then
    echo "the server died; its log:" >&2
    cat "$data/serve.log" >&2
    exit 1
  fi
}

ready=""
for _ in $(seq 1 300); do
  alive
  if curl -fsS "$base/readyz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.1
done
[[ -n "$ready" ]] || { echo "the server never became ready" >&2; cat "$data/serve.log" >&2; exit 1; }

# The demo prints its accounts as "  EMAIL ROLE ORG"; the benchmark acts as the admin.
email="$(awk '$2 == "admin" && $1 ~ /@/ { print $1; exit }' "$data/serve.log")"
[[ -n "$email" ]] || { echo "no admin account in the demo output:" >&2; cat "$data/serve.log" >&2; exit 1; }
token="$(env -u DATABASE_URL "$bin" --data-dir "$data/data" token issue --email "$email" --label bench | tail -n 1)"

list="$base/api/v1/partners?per_page=50"
items="$(curl -fsS -H "Authorization: Bearer $token" "$list" \
  | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')"
[[ "$items" -ge 30 ]] || { echo "the list returned $items partners; expected the demo's 30 or more" >&2; exit 1; }

# Runs wrk against a URL; prints its output and sets $rate (requests/s).
measure() {
  local label="$1"
  shift
  local out
  out="$(wrk --latency -t "$threads" -c "$connections" -d "$duration" "$@")"
  echo "== $label"
  echo "$out"
  alive
  if grep -q "Non-2xx or 3xx responses" <<<"$out"; then
    echo "$label: the server answered errors" >&2
    exit 1
  fi
  rate="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
  [[ -n "$rate" ]] || { echo "$label: no rate in wrk's output" >&2; exit 1; }
}

echo "partnerhub $("$bin" --version 2>/dev/null || true); $(nproc) cores; wrk -t$threads -c$connections -d$duration"
measure "GET /healthz (baseline)" "$base/healthz"
healthz="$rate"
measure "GET /api/v1/partners?per_page=50 ($items partners, bearer token)" \
  -H "Authorization: Bearer $token" "$list"
partners="$rate"

ratio="$(awk -v a="$partners" -v b="$healthz" 'BEGIN { printf "%.1f", 100 * a / b }')"
echo
echo "healthz:  $healthz req/s"
echo "partners: $partners req/s (per_page=50, $items items)"
echo "ratio:    $ratio % of the bare endpoint (aim: >= 20 %)"
