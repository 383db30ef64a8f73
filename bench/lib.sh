# Shared by the benchmark scripts that start their own server (bench/timers.sh,
# bench/disk.sh): source it after `set -euo pipefail`.
#
# A temporary folder in $work, removed at exit with the server of $server_pid stopped.
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (at most 10 s) until the server on port $1 answers /healthz.
wait_for_server() {
  for _ in $(seq 1 100); do
    if curl -sk "https://127.0.0.1:$1/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "the server on port $1 did not answer" >&2
  return 1
}
