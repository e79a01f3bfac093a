# What the benchmark scripts share: wrk, the release binary. Sourced, not run.

# Installs wrk from Debian when it is missing and this runs as root; otherwise says what to do.
ensure_wrk() {
  if command -v wrk >/dev/null; then
    return
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    apt-get install -y --no-install-recommends wrk >/dev/null \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends wrk >/dev/null; }
  else
    echo "$(basename "$0") needs wrk (apt-get install wrk)" >&2
    exit 1
  fi
}

# Sets $bin to $PARTNERHUB_BIN, or to the release binary built from the tree at $1.
release_binary() {
  if [[ -z "${PARTNERHUB_BIN:-}" ]]; then
    (cd "$1" && cargo build --release -p partnerhub --quiet)
    PARTNERHUB_BIN="${CARGO_TARGET_DIR:-$1/target}/release/partnerhub"
  fi
  bin="$PARTNERHUB_BIN"
}

# A free loopback port.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
