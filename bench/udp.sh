#!/usr/bin/env bash
# bench/udp.sh: netlab udp-recv and udp-send against C references written in bench/, side by side in
# one run on 127.0.0.1 (RFC 768 datagrams carrying the score record of lib/score_record.hpp).
#
# For each record size (13 bytes: the tutorial's "Mike"; 504 bytes: the largest record) the same
# bounded flood goes from a C sendmmsg loop (bench/ref_sendmmsg.c) into each receiver in turn:
#   netlab udp-recv -q --stats   counts only
#   netlab udp-recv > file       the tutorial's text, to a file
#   ref_tutorial_recv > file     recvfrom + printf + fflush per record, the tutorial's design
#   ref_recvmmsg_count           a bare recvmmsg counting loop, the floor for a receiver
# and netlab udp-send --rate 0 floods the bare loop, to compare senders.
# Receiver CPU (user+sys, from wait4's rusage) divided by the records it received gives CPU seconds
# per million records, the figure that compares receivers: on 2 cores the sender limits packets/s.
# Every run is repeated REPEAT times, interleaved, and the median is shown.
#
# Environment: BUILD_DIR (default build-bench), REPEAT (3), N13 (1000000), N504 (500000),
# RUN_TIMEOUT (seconds per run, 60), WORK_DIR (for the output files, default a mktemp -d),
# TSV (a file to append the charted figures to as TABLE<tab>LABEL<tab>VALUE lines, for bench/all.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build-bench}
REPEAT=${REPEAT:-3}
N13=${N13:-1000000}
N504=${N504:-500000}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}

echo "bench/udp.sh: building netlab into $BUILD_DIR and the C references" >&2
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETLAB_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target netlab >/dev/null
netlab=$BUILD_DIR/app/netlab
bin=$BUILD_DIR/bench
mkdir -p "$bin"
for ref in ref_sendmmsg ref_tutorial_recv ref_recvmmsg_count cputime; do
    cc -O2 -Wall -Wextra -o "$bin/$ref" "bench/$ref.c"
done

work=${WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/netlab-bench-udp.XXXXXX")}
mkdir -p "$work"
receiver_pid=
cleanup() {
    # Only the receiver this script started, by its PID.
    if [ -n "$receiver_pid" ]; then kill "$receiver_pid" 2>/dev/null || true; fi
    [ -n "${WORK_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# run_flood KEY SENDER RECEIVER_ARGS...: starts the receiver (which binds 127.0.0.1:0 and names its
# port on stderr), floods it with SENDER (ref or netlab), waits for it to finish, and appends
# "sent received cpu_seconds sender_pps" to $work/KEY.
run_flood() {
    local key=$1 sender=$2 count=$3 size=$4
    shift 4
    rm -f "$work/out" "$work/err" "$work/cpu" "$work/send" "$work/sendcpu"
    timeout "$RUN_TIMEOUT" "$bin/cputime" "$work/cpu" "$@" >"$work/out" 2>"$work/err" &
    receiver_pid=$!
    local port=
    for _ in $(seq 400); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/err" 2>/dev/null || true)
        [ -n "$port" ] && break
        sleep 0.025
    done
    if [ -z "$port" ]; then
        echo "bench/udp.sh: $key: receiver did not start: $(cat "$work/err")" >&2
        exit 1
    fi
    sleep 0.1 # let it finish setting its receive buffer
    if [ "$sender" = ref ]; then
        timeout "$RUN_TIMEOUT" "$bin/cputime" "$work/sendcpu" "$bin/ref_sendmmsg" "$port" "$count" "$size" \
            >"$work/send"
    else
        local name=Mike
        [ "$size" -eq 13 ] || name=$(head -c $((size - 9)) /dev/zero | tr '\0' x)
        timeout "$RUN_TIMEOUT" "$bin/cputime" "$work/sendcpu" "$netlab" udp-send --host 127.0.0.1 --port "$port" --name "$name" \
            --count "$count" --rate 0 >"$work/send"
    fi
    # udp-recv exits 1 when fewer than --count records came before --timeout: that is loss, not failure.
    wait "$receiver_pid" || true
    receiver_pid=
    local sent pps received cpu send_cpu
    read -r sent pps < <(sed -n 's/^sent \([0-9]*\) .*: \([0-9.]*\) [a-z]*\/s$/\1 \2/p' "$work/send")
    case $key in
    stats*) received=$(sed -n 's/^received \([0-9]*\) records.*/\1/p' "$work/err") ;;
    bare* | sender*) received=$(sed -n 's/^received \([0-9]*\)$/\1/p' "$work/out") ;;
    *) received=$(($(wc -l <"$work/out") / 2)) ;;
    esac
    cpu=$(awk '{ printf "%.6f", $1 + $2 }' "$work/cpu")
    send_cpu=$(awk '{ printf "%.6f", $1 + $2 }' "$work/sendcpu")
    echo "${sent:-0} ${received:-0} $cpu ${pps:-0} $send_cpu" >>"$work/$key"
    echo "  $key: sent ${sent:-0} received ${received:-0} cpu ${cpu}s;" \
        "sender ${pps:-0} packets/s, cpu ${send_cpu}s" >&2
}

# median KEY FIELD: the median over the repetitions of field FIELD (1 sent, 2 received, 3 receiver
# CPU s, 4 sender packets/s, 5 received/sent, 6 receiver CPU s per million received, 7 sender CPU s
# per million sent).
median() {
    awk -v f="$2" '{ v[1] = $1; v[2] = $2; v[3] = $3; v[4] = $4; v[5] = $1 ? $2 / $1 : 0;
                     v[6] = $2 ? $3 * 1e6 / $2 : 0; v[7] = $1 ? $5 * 1e6 / $1 : 0; print v[f] }' "$work/$1" |
        sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

sizes=(13 504)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench/udp.sh: $REPEAT x 5 floods per size; load average $load_before" >&2
for rep in $(seq "$REPEAT"); do
    for size in "${sizes[@]}"; do
        n=$N13
        [ "$size" -eq 13 ] || n=$N504
        echo "bench/udp.sh: round $rep/$REPEAT, $size-byte records, $n per flood" >&2
        recv_opts=(--bind 127.0.0.1 --port 0 --count "$n" --timeout 1)
        run_flood "stats$size" ref "$n" "$size" "$netlab" udp-recv -q --stats "${recv_opts[@]}"
        run_flood "text$size" ref "$n" "$size" "$netlab" udp-recv "${recv_opts[@]}"
        run_flood "tutorial$size" ref "$n" "$size" "$bin/ref_tutorial_recv" "$n"
        run_flood "bare$size" ref "$n" "$size" "$bin/ref_recvmmsg_count" "$n"
        run_flood "sender$size" netlab "$n" "$size" "$bin/ref_recvmmsg_count" "$n"
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

verdict() { # verdict VALUE OP LIMIT
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = op == "<=" ? v <= l : v >= l; print ok ? "PASS" : "MISS" }'
}

printf '\n%-4s %-26s %-15s %9s %8s %8s %9s %8s  %s\n' size receiver sender recv/sent "rx cpu s" "rx s/M" \
    "send pps" "tx s/M" "ratio against the reference (target)"
for size in "${sizes[@]}"; do
    bare_cpu=$(median "bare$size" 6)
    bare_recv=$(median "bare$size" 5)
    tut_cpu=$(median "tutorial$size" 6)
    ref_pps=$(median "bare$size" 4)
    ref_send_cpu=$(median "bare$size" 7)
    for key in stats text tutorial bare sender; do
        case $key in
        stats) label="netlab udp-recv -q --stats" sender="ref_sendmmsg" ;;
        text) label="netlab udp-recv > file" sender="ref_sendmmsg" ;;
        tutorial) label="ref_tutorial_recv > file" sender="ref_sendmmsg" ;;
        bare) label="ref_recvmmsg_count" sender="ref_sendmmsg" ;;
        sender) label="ref_recvmmsg_count" sender="netlab udp-send" ;;
        esac
        k=$key$size
        ratio=""
        case $key in
        stats)
            r=$(awk -v a="$(median "$k" 6)" -v b="$bare_cpu" 'BEGIN { printf "%.2f", a / b }')
            # Loss is compared with 0.1% of the flood as slack, below the run-to-run noise.
            l=$(awk -v a="$(median "$k" 5)" -v b="$bare_recv" 'BEGIN { print (a >= b - 0.001) ? "PASS" : "MISS" }')
            ratio="cpu ${r}x bare ($(verdict "$r" "<=" 1.2) <= 1.2); loss vs bare: $l"
            ;;
        text)
            r=$(awk -v a="$(median "$k" 6)" -v b="$tut_cpu" 'BEGIN { printf "%.2f", a / b }')
            ratio="cpu ${r}x tutorial ($(verdict "$r" "<=" 0.5) <= 0.5)"
            ;;
        sender)
            r=$(awk -v a="$(median "$k" 4)" -v b="$ref_pps" 'BEGIN { printf "%.2f", a / b }')
            c=$(awk -v a="$(median "$k" 7)" -v b="$ref_send_cpu" 'BEGIN { printf "%.2f", a / b }')
            ratio="pps ${r}x ref_sendmmsg ($(verdict "$r" ">=" 1.0) >= 1.0); tx cpu ${c}x"
            ;;
        *) ratio="reference" ;;
        esac
        printf '%-4s %-26s %-15s %9.4f %8.3f %8.3f %9.0f %8.3f  %s\n' "$size" "$label" "$sender" \
            "$(median "$k" 5)" "$(median "$k" 3)" "$(median "$k" 6)" "$(median "$k" 4)" "$(median "$k" 7)" "$ratio"
        if [ -n "${TSV:-}" ]; then
            [ "$key" = sender ] || printf 'udp_rx_%s\t%s\t%s\n' "$size" "$label" "$(median "$k" 6)" >>"$TSV"
            [ "$key" != sender ] && [ "$key" != bare ] || printf 'udp_tx_%s\t%s\t%s\n' "$size" "$sender" "$(median "$k" 4)" >>"$TSV"
        fi
    done
done
echo
echo "Medians of $REPEAT runs; $N13 13-byte and $N504 504-byte records per flood. rx = receiver, tx = sender;"
echo "cpu = user+sys seconds; s/M = cpu seconds per million records received (rx) or sent (tx)."
echo "Load average before: $load_before, after: $load_after ($(nproc) cores, shared)."
