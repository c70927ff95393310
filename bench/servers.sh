# Sourced by the bench scripts: a work directory removed at exit, and servers started on port 0 that
# are stopped by their PIDs at exit.
#   start NAME CMD...   runs CMD in the background (stderr in $tmp/NAME.err, stdout discarded), waits
#                       for its "listening on ADDR:PORT" line; its PID in $tmp/NAME.pid, PORT in
#                       $tmp/NAME.port.
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

start() {
    local name=$1
    shift
    "$@" 2>"$tmp/$name.err" >/dev/null &
    pids+=($!)
    echo $! >"$tmp/$name.pid"
    for _ in $(seq 200); do
        grep -q "listening on" "$tmp/$name.err" 2>/dev/null && break
        sleep 0.05
    done
    grep -o '[0-9]*$' "$tmp/$name.err" | head -1 >"$tmp/$name.port"
}
