#!/usr/bin/env bash
# Telemetry KPIs: `partnerhub kpi pings` / `kpi downloads` against DuckDB computing the same
# figures in SQL on the same files, in one invocation. Checks that both agree, then prints
# throughput, peak memory and the ratio. Results are recorded in BENCHMARKS.md (## Telemetry).
#
# Usage: bench/kpi.sh            (about 1 M pings over 12 months and 10 M log lines)
#        PINGS_INSTALLATIONS=3600 LOG_LINES=1000000 bench/kpi.sh   (a quick run)
# Each tool runs RUNS times (default 3), the two alternating so that a slow spell of a shared
# machine falls on both; the fastest run of each is compared, and the medians are shown beside.
# Needs: cargo, python3 (DuckDB is installed from PyPI into bench/.venv), GNU time.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/out"
venv="$root/bench/.venv"
installations="${PINGS_INSTALLATIONS:-35600}"
log_lines="${LOG_LINES:-10000000}"
seed="${SEED:-20261001}"
runs="${RUNS:-3}"
mkdir -p "$out"

if [[ -z "${PARTNERHUB_BIN:-}" ]]; then
  (cd "$root" && cargo build --release -p partnerhub --quiet)
  PARTNERHUB_BIN="${CARGO_TARGET_DIR:-$root/target}/release/partnerhub"
fi
bin="$PARTNERHUB_BIN"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import duckdb' 2>/dev/null || "$venv/bin/pip" install --quiet duckdb
duck_version="$("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"

pings="$out/pings-$installations-$seed.ndjson"
logs="$out/access-$log_lines-$seed.log"
if [[ ! -s "$pings" ]]; then
  echo "generating pings ($installations installations, 2026-01..2026-12) ..." >&2
  "$bin" kpi generate pings --installations "$installations" --from 2026-01 --to 2026-12 --seed "$seed" --out "$pings"
fi
if [[ ! -s "$logs" ]]; then
  echo "generating $log_lines log lines (2026-10) ..." >&2
  "$bin" kpi generate downloads --lines "$log_lines" --month 2026-10 --seed "$seed" --out "$logs"
fi
# Both tools read from the page cache: warm it once.
cat "$pings" "$logs" > /dev/null

cores="$(nproc)"
echo "machine: $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "DuckDB $duck_version; partnerhub $("$bin" --version | awk '{print $2}')"

# run NAME OUTFILE CMD... : runs CMD with stdout to OUTFILE, prints "wall user sys maxrss_kb".
run() {
  local outfile="$1"; shift
  /usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$@" > "$outfile"
  cat "$out/time.txt"
}

# pair OURS_OUT DUCK_OUT OURS_CMD_ARRAY DUCK_CMD_ARRAY: runs both commands $runs times, alternating;
# prints each run's wall time, then sets `ours`/`duck` to the fastest run and `ours_med`/`duck_med`
# to the median one ("wall user sys maxrss_kb").
pair() {
  local -n ours_cmd="$3" duck_cmd="$4"
  local o=() d=() i
  for ((i = 0; i < runs; i++)); do
    o+=("$(run "$1" "${ours_cmd[@]}")")
    d+=("$(run "$2" "${duck_cmd[@]}")")
  done
  echo "  runs, wall seconds: partnerhub $(printf '%s\n' "${o[@]}" | awk '{printf "%s ", $1}')| duckdb $(printf '%s\n' "${d[@]}" | awk '{printf "%s ", $1}')"
  ours=$(printf '%s\n' "${o[@]}" | sort -n | head -1)
  duck=$(printf '%s\n' "${d[@]}" | sort -n | head -1)
  ours_med=$(printf '%s\n' "${o[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
  duck_med=$(printf '%s\n' "${d[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
}

report() {
  local what="$1" bytes="$2" lines="$3" ours="$4" duck="$5"
  read -r ow ou os om <<< "$ours"
  read -r dw du ds dm <<< "$duck"
  read -r omw _ <<< "$ours_med"
  read -r dmw _ <<< "$duck_med"
  awk -v what="$what" -v b="$bytes" -v n="$lines" -v cores="$cores" -v runs="$runs" \
      -v ow="$ow" -v ou="$ou" -v os="$os" -v om="$om" -v dw="$dw" -v du="$du" -v ds="$ds" -v dm="$dm" \
      -v omw="$omw" -v dmw="$dmw" 'BEGIN {
    mb = b / 1e6
    printf "%s: %.0f MB, %d lines; fastest of %d runs each\n", what, mb, n, runs
    printf "  %-10s %8.2f s wall %8.0f MB/s %8.0f MB/s per CPU-second %6.0f MB peak RSS\n", "partnerhub", ow, mb/ow, mb/(ou+os), om/1024
    printf "  %-10s %8.2f s wall %8.0f MB/s %8.0f MB/s per CPU-second %6.0f MB peak RSS\n", "duckdb", dw, mb/dw, mb/(du+ds), dm/1024
    printf "  ratio (DuckDB wall / partnerhub wall): %.1fx fastest runs, %.1fx medians; per CPU-second: %.1fx\n", dw/ow, dmw/omw, (du+ds)/(ou+os)
  }'
}

check() {
  if diff -q "$1" "$2" > /dev/null; then
    echo "  results identical ($(($(wc -l < "$1") - 1)) rows)"
  else
    echo "  RESULTS DIFFER:"; diff "$1" "$2" | head -20; exit 1
  fi
}

pings_bytes=$(stat -c %s "$pings"); pings_lines=$(wc -l < "$pings")
ours_pings=("$bin" kpi pings --format csv "$pings")
duck_pings=("$venv/bin/python" "$root/bench/kpi/duckdb_kpi.py" pings "$root/crates/telemetry/ranges" "$pings")
echo "kpi pings:"
pair "$out/pings.partnerhub.csv" "$out/pings.duckdb.csv" ours_pings duck_pings
report "kpi pings" "$pings_bytes" "$pings_lines" "$ours" "$duck"
check "$out/pings.partnerhub.csv" "$out/pings.duckdb.csv"

logs_bytes=$(stat -c %s "$logs"); logs_count=$(wc -l < "$logs")
ours_downloads=("$bin" kpi downloads --format csv "$logs")
duck_downloads=("$venv/bin/python" "$root/bench/kpi/duckdb_kpi.py" downloads "$logs")
echo "kpi downloads:"
pair "$out/downloads.partnerhub.csv" "$out/downloads.duckdb.csv" ours_downloads duck_downloads
report "kpi downloads" "$logs_bytes" "$logs_count" "$ours" "$duck"
check "$out/downloads.partnerhub.csv" "$out/downloads.duckdb.csv"
