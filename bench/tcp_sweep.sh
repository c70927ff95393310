#!/usr/bin/env bash
# tcp-stamp-server across the whole range a user meets: connections/s at 1 to 10,000 clients in flight,
# every server model, pool-server and the minimal C epoll server (bench/ref_epoll_stamp.c) side by side,
# rounds interleaved, ratios against the C server. Up to 64 in flight the clients are blocking threads in
# a closed loop (bench/closed_loop.c: connect, read, close, again -- a shell loop of tcp-stamp-client
# without the process start); from 1,000 up, netlab's load generator (epoll, 2 threads).
# Usage: bench/tcp_sweep.sh [BUILD_DIR]
# Env: LEVELS (default "1 2 4 8 16 64 1000 10000"), SECONDS_PER_RUN (1), ROUNDS (3; the median is shown),
# SERVERS (default "ref epoll fork threads pool"), TSV (a file to append TABLE<tab>LABEL<tab>VALUES lines).
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=$(realpath "${1:-build}/app/netlab")
levels=${LEVELS:-"1 2 4 8 16 64 1000 10000"}
secs=${SECONDS_PER_RUN:-1} rounds=${ROUNDS:-3}
read -r -a servers <<<"${SERVERS:-ref epoll fork threads pool}"
# shellcheck source=bench/servers.sh
. bench/servers.sh

# 10,000 in flight needs 10,000 descriptors in the client and a port range that holds them in TIME_WAIT.
ulimit -n "$(ulimit -Hn)"
echo "# RLIMIT_NOFILE $(ulimit -n), ports $(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range)," \
    "somaxconn $(cat /proc/sys/net/core/somaxconn), $(nproc) cores shared by clients and servers"

cc -O2 -o "$tmp/ref_epoll_stamp" bench/ref_epoll_stamp.c
cc -O2 -pthread -o "$tmp/closed_loop" bench/closed_loop.c

for s in "${servers[@]}"; do
    case $s in
    ref) start ref "$tmp/ref_epoll_stamp" 0 ;;
    epoll) start epoll "$netlab" tcp-stamp-server -b 127.0.0.1 --port 0 -q ;;
    fork) start fork "$netlab" tcp-stamp-server -b 127.0.0.1 --port 0 -q --model fork --max-children 1024 ;;
    threads) start threads "$netlab" tcp-stamp-server -b 127.0.0.1 --port 0 -q --model threads --max-children 1024 ;;
    pool) start pool "$netlab" pool-server --bind 127.0.0.1 --port 0 -q --start 20 --min-spare 5 --max-spare 20 \
        --max-clients 64 --status-json ;;
    *) echo "unknown server $s" >&2 && exit 2 ;;
    esac
done

# run SERVER LEVEL: one run; appends "conn/s failed p99_ms" to $tmp/SERVER.LEVEL.
run() {
    local port line
    port=$(cat "$tmp/$1.port")
    if [ "$2" -le 64 ]; then
        line=$("$tmp/closed_loop" "$port" "$2" "$secs")
        echo "$line" | awk '{printf "%s %s %.3f\n", $2, $6, $10 / 1000}' >>"$tmp/$1.$2"
    else
        line=$("$netlab" tcp-stamp-client --port "$port" --concurrency "$2" --threads 2 --duration "$secs" \
            --timeout 5 --json || true)
        echo "$line" | awk -F'"connections_per_second":' '{split($2, a, ","); r = a[1]}
            {split($0, f, "\"failed\":"); split(f[2], b, ","); split($0, p, "\"p99\":"); split(p[2], c, ",")}
            END {printf "%s %s %s\n", r, b[1], c[1]}' >>"$tmp/$1.$2"
    fi
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for level in $levels; do
    for r in $(seq "$rounds"); do
        n=${#servers[@]}
        for i in $(seq 0 $((n - 1))); do run "${servers[$(((i + r) % n))]}" "$level"; done
    done
done

name() {
    case $1 in
    ref) echo "C epoll" ;; epoll) echo "default" ;; pool) echo "pool-server" ;; *) echo "$1" ;;
    esac
}
echo "== connections/s (median of $rounds runs of $secs s), ratio to the C epoll server, [failed connections]"
printf '%9s' "in flight"
for s in "${servers[@]}"; do printf ' %18s' "$(name "$s")"; done
echo
worst="" worst_at=""
for level in $levels; do
    ref_rate=$(awk '{print $1}' "$tmp/ref.$level" | median)
    printf '%9s' "$level"
    tsv_values=""
    for s in "${servers[@]}"; do
        rate=$(awk '{print $1}' "$tmp/$s.$level" | median)
        failed=$(awk '{f += $2} END {print f}' "$tmp/$s.$level")
        ratio=$(echo "$rate / $ref_rate" | bc -l)
        printf ' %8.0f %5.2fx [%s]' "$rate" "$ratio" "$failed"
        tsv_values+="\t$rate"
        if [ "$s" = epoll ] && { [ -z "$worst" ] || [ "$(echo "$ratio < $worst" | bc -l)" = 1 ]; }; then
            worst=$ratio worst_at=$level
        fi
    done
    echo
    [ -z "${TSV:-}" ] || printf "tcp_sweep\t%s$tsv_values\n" "$level" >>"$TSV"
done
echo "== p99 latency, ms (median of the rounds)"
for level in $levels; do
    printf '%9s' "$level"
    for s in "${servers[@]}"; do printf ' %18s' "$(awk '{print $3}' "$tmp/$s.$level" | median)"; done
    echo
done
[ -z "$worst" ] || printf 'worst ratio of the default to the C server: %.2fx at %s in flight\n' "$worst" "$worst_at"
