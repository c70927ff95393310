#!/usr/bin/env bash
# Bench of tcp-stamp-server's models against a minimal C epoll server (bench/ref_epoll_stamp.c), all
# under netlab's load generator in one run, rounds interleaved; then the wall time of 1,000 runs of
# `netlab tcp-stamp-client` against 1,000 runs of the tutorial's C client (bench/ref_stamp_client.c).
# Usage: bench/tcp.sh [BUILD_DIR]   env: COUNT (10000), CONCURRENCY (16), THREADS (2: load-generator
# threads; one epoll loop saturates a core on the client side first), ROUNDS (4), RUNS (1000),
# TSV (a file to append the charted figures to as TABLE<tab>LABEL<tab>VALUE lines, for bench/all.sh);
# then the concurrency sweep of bench/tcp_sweep.sh, 1 to 10,000 in flight (SWEEP=0 leaves it out)
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=$(realpath "${1:-build}/app/netlab")
count=${COUNT:-10000} concurrency=${CONCURRENCY:-16} threads=${THREADS:-2} rounds=${ROUNDS:-4} runs=${RUNS:-1000}
# shellcheck source=bench/servers.sh
. bench/servers.sh

cc -O2 -o "$tmp/ref_epoll_stamp" bench/ref_epoll_stamp.c
cc -O2 -o "$tmp/ref_stamp_client" bench/ref_stamp_client.c

start ref "$tmp/ref_epoll_stamp" 0
start epoll "$netlab" tcp-stamp-server --port 0 -q --model epoll
start epoll2 "$netlab" tcp-stamp-server --port 0 -q --model epoll --loops 2
start fork "$netlab" tcp-stamp-server --port 0 -q --model fork
start threads "$netlab" tcp-stamp-server --port 0 -q --model threads
servers=(ref epoll epoll2 fork threads)

# cpu NAME: the server's CPU time so far in clock ticks, its reaped children's (fork model) included.
cpu() { awk '{print $14 + $15 + $16 + $17}' "/proc/$(cat "$tmp/$1.pid")/stat"; }
# out_segments: TCP segments sent in this network namespace so far (OutSegs of /proc/net/snmp), both ends.
out_segments() { awk '/^Tcp:/ {if (!n) {for (i = 1; i <= NF; i++) if ($i == "OutSegs") c = i; n = 1} else print $c}' /proc/net/snmp; }
# load NAME THREADS: one round of the load generator against server NAME; adds its CPU to NAME.ticks
# and the segments per connection (client and server together) to NAME.segs.
load() {
    local before after segs
    before=$(cpu "$1") segs=$(out_segments)
    "$netlab" tcp-stamp-client --port "$(cat "$tmp/$1.port")" --count "$count" --concurrency "$concurrency" \
        --threads "$2" --json >>"$tmp/$1.$2.json" || true
    after=$(cpu "$1")
    echo $((after - before)) >>"$tmp/$1.$2.ticks"
    echo "$segs $(out_segments)" | awk -v n="$count" '{printf "%.2f\n", ($2 - $1) / n}' >>"$tmp/$1.$2.segs"
}
field() { grep -o "\"$1\":[0-9.]*" | cut -d: -f2; } # one value per round
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# TIME_WAIT entries pile up over the run and slow every later connection a little, so each round
# starts with a different server: no server is always first or always last.
for r in $(seq "$rounds"); do
    n=${#servers[@]}
    for i in $(seq 0 $((n - 1))); do load "${servers[$(((i + r) % n))]}" "$threads"; done
    # The same with one client thread for the reference and the default, to show the client's ceiling.
    if [ "$threads" != 1 ]; then
        if [ $((r % 2)) = 0 ]; then load ref 1 && load epoll 1; else load epoll 1 && load ref 1; fi
    fi
done

hz=$(getconf CLK_TCK)
# table THREADS NAMES...: the rows for the rounds run with THREADS client threads.
table() {
    local t=$1 s rate ref_rate us
    shift
    ref_rate=$(field connections_per_second <"$tmp/ref.$t.json" | median)
    printf '%-26s %10s %8s %8s %9s %8s %8s %8s %8s %7s\n' server conn/s vs_ref cpu_us segs/conn p50_ms p90_ms \
        p99_ms max_ms failed
    for s in "$@"; do
        rate=$(field connections_per_second <"$tmp/$s.$t.json" | median)
        row() { grep -o "\"$1\":[0-9.]*" "$tmp/$s.$t.json" | cut -d: -f2 | median; }
        # Server CPU per connection over all its rounds, at clock-tick resolution.
        us=$(awk -v hz="$hz" -v n="$count" '{t += $1; k++} END {printf "%.1f", t / hz * 1e6 / (n * k)}' "$tmp/$s.$t.ticks")
        case $s in
        ref) name="C epoll reference" ;;
        epoll) name="netlab (default: epoll)" ;;
        epoll2) name="netlab epoll --loops 2" ;;
        *) name="netlab --model $s" ;;
        esac
        printf '%-26s %10.0f %7.2fx %8s %9s %8s %8s %8s %8s %7s\n' "$name" "$rate" \
            "$(echo "$rate / $ref_rate" | bc -l)" "$us" "$(median <"$tmp/$s.$t.segs")" "$(row p50)" "$(row p90)" \
            "$(row p99)" "$(row max)" "$(row failed)"
        [ -z "${TSV:-}" ] || [ "$t" != "$threads" ] || printf 'tcp_server\t%s\t%s\n' "$name" "$rate" >>"$TSV"
    done
}

echo "== connections/s under the load generator: $count connections, $concurrency in flight from $threads client threads,"
echo "   median of $rounds rounds, order rotated; cpu_us = the server's CPU time per connection;"
echo "   segs/conn = TCP segments sent per connection by both ends (the reply leaves with the FIN: one less)"
echo "   (2 cores shared by client and server, and by other engineers' builds: expect noise)"
table "$threads" "${servers[@]}"
epoll_rate=$(field connections_per_second <"$tmp/epoll.$threads.json" | median)
fork_rate=$(field connections_per_second <"$tmp/fork.$threads.json" | median)
printf 'default (epoll) vs fork: %.2fx\n\n' "$(echo "$epoll_rate / $fork_rate" | bc -l)"
if [ "$threads" != 1 ]; then
    echo "== the same with one client thread: the client's single loop is the ceiling, both servers reach it"
    table 1 ref epoll
    echo
fi

port=$(cat "$tmp/epoll.port")
half=$((runs / 2))
loop() {
    local start end
    start=$(date +%s.%N)
    for _ in $(seq "$half"); do "$@" >/dev/null; done
    end=$(date +%s.%N)
    echo "($end - $start) * 1000 / $half" | bc -l
}
echo "== one client run: a shell loop of $runs runs each against netlab --model epoll, interleaved halves"
c1=$(loop "$tmp/ref_stamp_client" "$port")
n1=$(loop "$netlab" tcp-stamp-client --port "$port")
c2=$(loop "$tmp/ref_stamp_client" "$port")
n2=$(loop "$netlab" tcp-stamp-client --port "$port")
c=$(echo "($c1 + $c2) / 2" | bc -l)
n=$(echo "($n1 + $n2) / 2" | bc -l)
printf '%-34s %10s %8s\n' client ms/run vs_C
printf '%-34s %10.3f %7.2fx\n' "C client (connect, fscanf, print)" "$c" 1
printf '%-34s %10.3f %7.2fx\n' "netlab tcp-stamp-client" "$n" "$(echo "$n / $c" | bc -l)"
[ -z "${TSV:-}" ] || printf 'tcp_client\t%s\t%s\n' "C client" "$c" "netlab tcp-stamp-client" "$n" >>"$TSV"

if [ "${SWEEP:-1}" != 0 ]; then
    echo
    echo "== the whole range: bench/tcp_sweep.sh, 1 to 10,000 clients in flight"
    bash bench/tcp_sweep.sh "${1:-build}"
fi
