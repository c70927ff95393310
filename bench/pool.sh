#!/usr/bin/env bash
# bench/pool.sh: pool-server's connections/s and latency beside a fork-per-connection and an event-loop
# time-stamp server, measured in one run on loopback with the same load generator (bench/stamp_load.c).
#   bench/pool.sh            (after a build; NETLAB=path/to/netlab to choose the binary)
# Environment: BENCH_SECONDS per run (default 3), BENCH_CLIENTS concurrent connections (default 20),
# TSV (a file to append the charted figures to as TABLE<tab>LABEL<tab>VALUE lines, for bench/all.sh).
# Compared with tcp-stamp-server's epoll and fork models, and with bench/ref_epoll.c and bench/ref_fork.c
# (C, written for this bench). Every run is bounded in time; every server is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
NETLAB=${NETLAB:-build/app/netlab}
SECS=${BENCH_SECONDS:-3}
CLIENTS=${BENCH_CLIENTS:-20}
WORK=5
POOL=(--bind 127.0.0.1 --port 0 -q --start 20 --min-spare 5 --max-spare 20 --max-clients 20)

tmp=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
for prog in stamp_load ref_fork ref_epoll; do cc -O2 -o "$tmp/$prog" "bench/$prog.c"; done

# start NAME COMMAND...: runs a server in the background and sets $port from its "listening on" line.
start() {
    local name=$1
    shift
    "$@" >>"$tmp/$name.out" 2>"$tmp/$name.err" &
    server_pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$tmp/$name.err" | head -1)
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "bench: $name did not start" >&2; cat "$tmp/$name.err" >&2; exit 1; }
    sleep 0.3 # let every worker reach its accept (reuseport: open its socket)
}
stop() {
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=
}
field() { sed -n "s/.* $1 \([^ ]*\).*/\1/p" <<<" $2"; }

declare -A rate
printf '%-34s %9s %8s %8s %8s %7s %14s\n' server conn/s p50_ms p99_ms max_ms errors empty-wakeups
# run NAME WAKEUPS COMMAND...: one measured run.
run() {
    local label=$1 wakeups=$2 name
    name=$(tr -c 'a-z0-9\n' _ <<<"$label")
    shift 2
    start "$name" "$@"
    local line
    line=$("$tmp/stamp_load" "$port" "$CLIENTS" "$SECS")
    local empty=-
    if [ "$wakeups" = yes ]; then
        kill -USR1 "$server_pid"
        sleep 0.3
        # The sum over the workers of wake-ups that found nothing to accept: the thundering herd.
        empty=$(grep -a '"type":"dump"' "$tmp/$name.out" | tail -1 | grep -o '"empty_wakeups":[0-9]*' |
            awk -F: '{ s += $2 } END { print s + 0 }')
    fi
    stop
    rate[$label]=$(field rate "$line")
    printf '%-34s %9s %8s %8s %8s %7s %14s\n' "$label" "${rate[$label]}" "$(field p50_ms "$line")" \
        "$(field p99_ms "$line")" "$(field max_ms "$line")" "$(field errors "$line")" "$empty"
    [ -z "${TSV:-}" ] || printf '%s\t%s\t%s\n' "$tsv_table" "$label" "${rate[$label]}" >>"$TSV"
}

tsv_table=pool_0ms
echo "# --work-ms 0, $CLIENTS concurrent clients, $SECS s per run, $(nproc) cores (shared: figures are noisy)"
run "ref event loop (C, epoll)" no "$tmp/ref_epoll" 0
run "ref fork per connection (C)" no "$tmp/ref_fork" 0 0
run "tcp-stamp-server --model epoll" no "$NETLAB" tcp-stamp-server --bind 127.0.0.1 --port 0 -q
run "tcp-stamp-server --model fork" no "$NETLAB" tcp-stamp-server --bind 127.0.0.1 --port 0 -q --model fork
run "pool-server --accept exclusive" yes "$NETLAB" pool-server "${POOL[@]}" --status-json --accept exclusive
run "pool-server --accept herd" yes "$NETLAB" pool-server "${POOL[@]}" --status-json --accept herd
run "pool-server --accept reuseport" yes "$NETLAB" pool-server "${POOL[@]}" --status-json --accept reuseport
echo
tsv_table=pool_${WORK}ms
echo "# --work-ms $WORK, $CLIENTS concurrent clients (ideal: max-clients x 1000 / work-ms = $((20 * 1000 / WORK)) conn/s)"
run "ref fork per connection, 5 ms" no "$tmp/ref_fork" 0 "$WORK"
run "pool-server exclusive, 5 ms" no "$NETLAB" pool-server "${POOL[@]}" --work-ms "$WORK"
run "pool-server reuseport, 5 ms" no "$NETLAB" pool-server "${POOL[@]}" --work-ms "$WORK" --accept reuseport

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
ev=${rate["tcp-stamp-server --model epoll"]}
fk=${rate["tcp-stamp-server --model fork"]}
echo
echo "# ratios against tcp-stamp-server's models (targets: >= 0.80x event loop and >= 3x fork at 0 ms;"
echo "# >= 0.90x ideal at $WORK ms); the C references above are the same designs without netlab"
for mode in exclusive herd reuseport; do
    r=${rate["pool-server --accept $mode"]}
    echo "pool-server $mode, 0 ms: $(ratio "$r" "$ev")x event loop, $(ratio "$r" "$fk")x fork"
done
for mode in exclusive reuseport; do
    echo "pool-server $mode, $WORK ms: $(ratio "${rate["pool-server $mode, 5 ms"]}" $((20 * 1000 / WORK)))x ideal"
done
