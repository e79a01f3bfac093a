#!/usr/bin/env bash
# Sign-in flood: the latency of `GET /healthz` while 32 clients post wrong passwords to the
# sign-in form, against `/healthz` idle, on the same server in one invocation. Argon2 runs off
# the request threads, a bounded number at once; one address spraying accounts is refused
# after `login_attempts_per_address` failures. Run twice: with the default limits (most of the
# flood is refused before any hashing), and with the limits lifted (every attempt hashes), which
# shows the executor staying free. Results are recorded in BENCHMARKS.md (## Sign-in flood).
#
# Usage: bench/login-flood.sh            (12 s of flood, 32 clients)
#        DURATION=6 CLIENTS=16 bench/login-flood.sh
# Needs: cargo, curl, python3, wrk (installed from Debian when missing and running as root).
# Aim: /healthz p50 during the flood within 3x its idle p50.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
duration="${DURATION:-12}"
clients="${CLIENTS:-32}"

# shellcheck source=common.sh
source "$root/bench/common.sh"
ensure_wrk
release_binary "$root"

work="$(mktemp -d)"
server=""
stop_server() {
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=""
}
trap 'stop_server; rm -rf "$work"' EXIT

# The flood: distinct accounts from one address, each attempt with the form's double-submit
# token in its cookie and body, as a browser would post it.
cat > "$work/flood.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = "csrf_token=bench&next=%2Fpartners&password=not+the+password&email=flood"
    .. n .. "-" .. math.random(1000000000) .. "%40example.com"
  return wrk.format("POST", "/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "partnerhub_login_csrf=bench",
  }, body)
end
LUA

# p50 and p99 of /healthz, in milliseconds, over SECONDS with one connection.
probe() {
  local seconds="$1" out
  out="$(wrk --latency -t1 -c1 -d"${seconds}s" "$base/healthz")"
  awk '/^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
       function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       END { printf "%.3f %.3f\n", ms(p50), ms(p99) }' <<<"$out"
}

# run LABEL CONFIG_TEXT: starts a server with the config, measures idle then flood.
run() {
  local label="$1" config="$2" dir="$work/$RANDOM"
  mkdir -p "$dir"
  printf '%s\n' "$config" > "$dir/config.toml"
  local port
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  env -u DATABASE_URL RUST_LOG=warn "$bin" --data-dir "$dir/data" --config "$dir/config.toml" \
    serve --demo --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  read -r idle50 idle99 < <(probe 6)
  wrk -t2 -c"$clients" -d"$((duration + 2))s" -s "$work/flood.lua" "$base/login" >"$dir/flood.txt" 2>&1 &
  local flood=$!
  sleep 2
  read -r flood50 flood99 < <(probe "$duration")
  wait "$flood"
  local attempts refused hashed
  attempts="$(awk '/requests in/ { print $1 }' "$dir/flood.txt")"
  refused="$(grep -c sign_in_limited "$dir/serve.log" || true)"
  kill -0 "$server" 2>/dev/null || { echo "the server died" >&2; cat "$dir/serve.log" >&2; exit 1; }
  stop_server
  local ratio
  ratio="$(awk -v a="$flood50" -v b="$idle50" 'BEGIN { printf "%.2f", a / b }')"
  echo "$label: idle p50 ${idle50} ms p99 ${idle99} ms; during the flood p50 ${flood50} ms p99 ${flood99} ms; ratio ${ratio}x; ${attempts} sign-in attempts"
  unset refused hashed
}

echo "partnerhub $("$bin" --version 2>/dev/null | awk '{print $2}'); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); ${clients} flooding clients for ${duration} s"
run "default limits" ""
run "limits lifted (every attempt hashes)" $'login_attempts = 1000000\nlogin_attempts_per_address = 1000000'
