#!/usr/bin/env bash
# Bench of servers that run out of descriptors: the CPU they burn meanwhile, which the hostile tests
# only bound by counts (failed accepts, spawn attempts). Two tables, measured in one run:
#  1. accept starved: a stamp server whose every new descriptor fails (soft RLIMIT_NOFILE lowered to
#     what it holds) while HELD clients wait in its queue. The C epoll reference (bench/ref_epoll_stamp.c)
#     does what most servers do, retry at once, and spins; netlab's models should cost nothing.
#  2. spawn starved: pool-server's parent short of descriptors for new workers (prlimit 24) under a
#     load, against the same pool with descriptors to spare under the same load.
# Usage: bench/starved.sh [BUILD_DIR]   env: SECONDS_EACH (2), HELD (50), COUNT (20000: pool load)
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=$(realpath "${1:-build}/app/netlab")
seconds=${SECONDS_EACH:-2} held=${HELD:-50} count=${COUNT:-20000}
# shellcheck source=bench/servers.sh
. bench/servers.sh
cc -O2 -o "$tmp/ref_epoll_stamp" bench/ref_epoll_stamp.c

# cpu_us NAME: the CPU time its threads have used so far, in microseconds (schedstat's first field,
# nanoseconds: finer than the 10 ms ticks of /proc/PID/stat).
cpu_us() { cat /proc/"$(cat "$tmp/$1.pid")"/task/*/schedstat | awk '{ns += $1} END {printf "%d", ns / 1000}'; }
share() { awk -v t="$1" -v wall="$2" 'BEGIN {printf "%.4f", t / wall}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "-"}'; }

# accept_starved NAME: lowers the server's soft limit to the descriptors it holds, connects HELD clients
# (bash's /dev/tcp, held open) over SECONDS_EACH, and prints the CPU time it spent meanwhile and the
# wall time, both in µs.
accept_starved() {
    local pid port before after start lowest=0 fds=()
    pid=$(cat "$tmp/$1.pid") port=$(cat "$tmp/$1.port")
    # The lowest descriptor number not in use as the soft limit: every new descriptor fails.
    while [ -e "/proc/$pid/fd/$lowest" ]; do lowest=$((lowest + 1)); done
    prlimit --pid "$pid" --nofile="$lowest":
    before=$(cpu_us "$1") start=$(date +%s%N)
    # The clients arrive spread over the period: what each refusal costs, and any spin in between.
    for _ in $(seq "$held"); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port"
        fds+=("$fd")
        sleep "$(awk -v s="$seconds" -v n="$held" 'BEGIN {print s / n}')"
    done
    after=$(cpu_us "$1")
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    echo "$((after - before)) $((($(date +%s%N) - start) / 1000))"
}

start ref "$tmp/ref_epoll_stamp" 0
start epoll "$netlab" tcp-stamp-server --port 0 -q
start fork "$netlab" tcp-stamp-server --port 0 -q --model fork
start threads "$netlab" tcp-stamp-server --port 0 -q --model threads
declare -A spent wall
for s in ref epoll fork threads; do read -r "spent[$s]" "wall[$s]" < <(accept_starved "$s"); done

echo "# Accept starved: no descriptor free, $held clients arriving over $seconds s; CPU time of the server"
echo "# meanwhile, in µs and as a share of one core; ratio against the C epoll reference (lower is better)."
printf '%-40s %12s %8s %8s\n' server "CPU µs" share ratio
for s in ref epoll fork threads; do
    case $s in
        ref) label="C epoll reference (retries at once)" ;;
        epoll) label="tcp-stamp-server (default: epoll)" ;;
        *) label="tcp-stamp-server --model $s" ;;
    esac
    printf '%-40s %12s %8s %8s\n' "$label" "${spent[$s]}" "$(share "${spent[$s]}" "${wall[$s]}")" "$(ratio "${spent[$s]}" "${spent[ref]}")"
done

# spawn_starved NAME: the pool parent's CPU µs under one load of COUNT connections, 4 in flight.
spawn_starved() {
    local before after
    before=$(cpu_us "$1")
    "$netlab" tcp-stamp-client --port "$(cat "$tmp/$1.port")" --count "$count" --concurrency 4 -q || true
    after=$(cpu_us "$1")
    echo $((after - before))
}
pool_args=(pool-server --port 0 -b 127.0.0.1 --status-json --tick-ms 100 --min-spare 30 --max-spare 40
           --max-clients 40)
start pool "$netlab" "${pool_args[@]}"
start pool24 prlimit --nofile=24:256 "$netlab" "${pool_args[@]}"
pool=$(spawn_starved pool) pool24=$(spawn_starved pool24)
echo
echo "# Spawn starved: pool-server's parent under $count connections, 4 in flight (tcp-stamp-client);"
echo "# its CPU time in µs, and the ratio against the same pool with descriptors to spare."
printf '%-46s %12s %8s\n' pool "CPU µs" ratio
printf '%-46s %12s %8s\n' "descriptors to spare" "$pool" 1.000
printf '%-46s %12s %8s\n' "prlimit --nofile=24 (the pool stays smaller)" "$pool24" "$(ratio "$pool24" "$pool")"
