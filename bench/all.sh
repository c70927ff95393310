#!/usr/bin/env bash
# bench/all.sh: every benchmark of bench/ in one run (udp, tcp, pool, mcast, ftp, starved), tables and
# SVG charts (gnuplot) written to docs/performance.md and docs/performance/*.svg with the machine and
# the date. Each script compares netlab with reference programs measured side by side in the same run.
#   bench/all.sh            full sizes (about 20 minutes on 2 idle cores)
#   QUICK=1 bench/all.sh    small sizes (a few minutes): the same tables, noisier figures
# Environment: BUILD_DIR (build-bench, a build without the tests), OUT (docs/performance.md).
# Root runs mcast.sh (network namespaces) and the tftpd-hpa, atftpd and packet-loss parts of ftp.sh;
# without root those are left out and the page says so.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
OUT=${OUT:-docs/performance.md}
charts=${OUT%.md}
command -v gnuplot >/dev/null || { echo "bench/all.sh: needs gnuplot (Debian package gnuplot-nox)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/netlab-bench-all.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "bench/all.sh: building netlab into $BUILD_DIR" >&2
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETLAB_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target netlab >/dev/null
netlab=$BUILD_DIR/app/netlab

if [ -n "${QUICK:-}" ]; then
    mode="QUICK=1 (small sizes, one repetition: indicative only)"
    udp_env=(REPEAT=1 N13=100000 N504=50000)
    tcp_env=(COUNT=2000 ROUNDS=1 RUNS=200)
    pool_env=(BENCH_SECONDS=1)
    mcast_args=(20000)
    ftp_env=(SIZE_MB=8 NO_LOSS=1 RUN_TIMEOUT=20)
else
    mode="full sizes"
    udp_env=()
    tcp_env=()
    pool_env=()
    mcast_args=()
    ftp_env=()
fi
root=$(id -u)

# bench NAME COMMAND...: runs one benchmark, its table to $work/NAME.txt, its figures to $work/NAME.tsv.
declare -A seconds status
bench() {
    local name=$1 t0
    shift
    echo "bench/all.sh: $name: $*" >&2
    t0=$(date +%s)
    status[$name]=0
    env TSV="$work/$name.tsv" "$@" >"$work/$name.txt" 2>"$work/$name.err" || status[$name]=$?
    seconds[$name]=$(($(date +%s) - t0))
    touch "$work/$name.tsv"
    if [ "${status[$name]}" -ne 0 ]; then
        echo "bench/all.sh: $name failed (exit ${status[$name]}):" >&2
        tail -5 "$work/$name.err" >&2
    fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
bench udp "${udp_env[@]}" BUILD_DIR="$BUILD_DIR" bench/udp.sh
bench tcp "${tcp_env[@]}" bench/tcp.sh "$BUILD_DIR"
bench pool "${pool_env[@]}" NETLAB="$netlab" bench/pool.sh
if [ "$root" -eq 0 ]; then
    bench mcast NETLAB="$netlab" bench/mcast.sh "${mcast_args[@]}"
else
    echo "# needs root for network namespaces: not run" >"$work/mcast.txt"
    touch "$work/mcast.tsv"
    status[mcast]=skipped seconds[mcast]=0
fi
bench ftp "${ftp_env[@]}" bench/ftp.sh "$BUILD_DIR"
bench starved bench/starved.sh "$BUILD_DIR"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# chart TABLE FILE TITLE YLABEL SERIES...: a bar chart (clustered when several series) of the rows of
# TABLE from FILE (TABLE<tab>LABEL<tab>VALUE...); nothing when the table has no rows.
mkdir -p "$charts"
chart() {
    local table=$1 file=$2 title=$3 ylabel=$4
    shift 4
    awk -F'\t' -v t="$table" '$1 == t { sub(/^[^\t]*\t/, ""); print }' "$file" >"$work/$table.dat"
    [ -s "$work/$table.dat" ] || return 0
    local plot="" i=2 xtic=":xtic(1)"
    for series in "$@"; do
        plot+="${plot:+, }'$work/$table.dat' using $i$xtic title '$series'"
        xtic="" i=$((i + 1))
    done
    gnuplot <<GNUPLOT
set terminal svg size 760,380 dynamic font "sans,11" background "#ffffff"
set output '$charts/$table.svg'
set termoption noenhanced
set datafile separator "\t"
set datafile missing "-"
set title "$title"
set ylabel "$ylabel"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -25 left nomirror
set key top right
set bmargin 7
$([ $# -gt 1 ] || echo "set key off")
plot $plot
GNUPLOT
    echo "![$title](performance/$table.svg)" >>"$work/charts.${table%%_*}" # one file per benchmark, in order
}

# line_chart TABLE FILE TITLE YLABEL SERIES...: lines over a logarithmic x axis (the first column, a
# number), one per series, from the rows of TABLE in FILE.
line_chart() {
    local table=$1 file=$2 title=$3 ylabel=$4
    shift 4
    awk -F'\t' -v t="$table" '$1 == t { sub(/^[^\t]*\t/, ""); print }' "$file" >"$work/$table.dat"
    [ -s "$work/$table.dat" ] || return 0
    local plot="" i=2
    for series in "$@"; do
        plot+="${plot:+, }'$work/$table.dat' using 1:$i with linespoints title '$series'"
        i=$((i + 1))
    done
    gnuplot <<GNUPLOT
set terminal svg size 760,380 dynamic font "sans,11" background "#ffffff"
set output '$charts/$table.svg'
set termoption noenhanced
set datafile separator "\t"
set title "$title"
set xlabel "connections in flight (log scale)"
set ylabel "$ylabel"
set logscale x
set yrange [0:*]
set grid
set key top left
plot $plot
GNUPLOT
    echo "![$title](performance/$table.svg)" >>"$work/charts.${table%%_*}"
}

chart udp_rx_13 "$work/udp.tsv" "UDP receivers, 13-byte records: CPU per million records (lower is better)" \
    "CPU seconds / million" "receiver"
chart udp_rx_504 "$work/udp.tsv" "UDP receivers, 504-byte records: CPU per million records (lower is better)" \
    "CPU seconds / million" "receiver"
chart udp_tx_13 "$work/udp.tsv" "UDP senders, 13-byte records: packets/s (higher is better)" "packets/s" "sender"
chart udp_tx_504 "$work/udp.tsv" "UDP senders, 504-byte records: packets/s (higher is better)" "packets/s" "sender"
chart tcp_server "$work/tcp.tsv" "TCP time-stamp servers: connections/s (higher is better)" "connections/s" "server"
line_chart tcp_sweep "$work/tcp.tsv" "TCP time-stamp servers from 1 to 10,000 in flight: connections/s" \
    "connections/s" "C epoll" "netlab default" "fork" "threads" "pool-server"
chart tcp_client "$work/tcp.tsv" "One client run, shell loop: ms per run (lower is better)" "ms per run" "client"
chart pool_0ms "$work/pool.tsv" "Time-stamp servers, no work per request: connections/s (higher is better)" \
    "connections/s" "server"
chart pool_5ms "$work/pool.tsv" "5 ms of work per request: connections/s (higher is better)" "connections/s" "server"
chart mcast "$work/mcast.tsv" "Multicast and unicast senders in the namespace lab: sent/s (higher is better)" \
    "records/s" "sender"
chart ftp_server "$work/ftp.tsv" "TFTP servers serving netlab ftp-get, by blksize/windowsize: MB/s" "MB/s" \
    "netlab ftp-serve" "tftpd-hpa" "atftpd"
chart ftp_client "$work/ftp.tsv" "TFTP clients fetching from netlab ftp-serve, by blksize/windowsize: MB/s" "MB/s" \
    "netlab ftp-get" "curl" "atftp"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
section() { # section NAME TITLE SCRIPT TEXT: the table and the charts of one benchmark
    local name=$1
    echo "## $2"
    echo
    echo "$4 Script: [\`$3\`](../$3); $(
        [ "${status[$name]}" = skipped ] && echo "not run (needs root)." ||
            echo "ran ${seconds[$name]} s$([ "${status[$name]}" = 0 ] || echo ", **exit status ${status[$name]}**")."
    )"
    echo
    echo '```'
    cat "$work/$name.txt"
    echo '```'
    echo
    [ ! -f "$work/charts.$name" ] || sed 's/$/\n/' "$work/charts.$name"
}
{
    echo "# Performance"
    echo
    echo "Generated by [\`bench/all.sh\`](../bench/all.sh) on $started, $mode. Every figure is netlab measured"
    echo "side by side with a reference program (C programs in [bench/](../bench/), or Debian's own TFTP servers"
    echo "and clients) in the same run on the same machine, so the ratios mean more than the absolute numbers."
    echo
    echo "| machine | |"
    echo "|---|---|"
    echo "| CPU | ${cpu:-unknown}, $(nproc) cores |"
    echo "| kernel | $(uname -r) ($(uname -m)) |"
    echo "| system | ${os:-unknown} |"
    echo "| load average | before $load_before, after $load_after |"
    echo
    # SHARED=1 (or a one-minute load of 1 or more at the start) says the machine was busy with other work.
    if [ -n "${SHARED:-}" ] || awk -v l="${load_before%% *}" 'BEGIN { exit !(l >= 1) }'; then
        echo "**The machine was shared**: ${NOTE:-other engineers were building and testing on the same cores during the run}, so"
        echo "every figure is noisy (single runs can be off by tens of percent) and the benchmarks, which put client and"
        echo "server on the same 2 cores, measure the kernel's loopback as much as netlab. Run \`bench/all.sh\` on an"
        echo "idle machine for figures to quote."
    else
        echo "**Nothing else ran during the run**${NOTE:+ ($NOTE)}. The benchmarks still put client and server on the"
        echo "same $(nproc) cores, so they measure the kernel's loopback as much as netlab, and a single run can be off"
        echo "by tens of percent: compare ratios measured in the same run, not absolute numbers across runs."
    fi
    echo
    section udp "UDP: udp-recv and udp-send" bench/udp.sh \
        "A C sendmmsg loop floods each receiver; receiver CPU per million records compares receivers, packets/s compares senders."
    section tcp "TCP: tcp-stamp-server and tcp-stamp-client" bench/tcp.sh \
        "netlab's load generator (2 threads, and 1 for the reference and the default) against each concurrency model and a C epoll server, with server CPU per connection; then a shell loop of client runs."
    section pool "pool-server" bench/pool.sh \
        "The pre-forked pool against fork-per-connection and event-loop servers, netlab's and C references, under bench/stamp_load.c."
    section mcast "Multicast: mcast send" bench/mcast.sh \
        "One sender and two receivers in a lab of network namespaces, multicast beside unicast, netlab beside a C sender."
    section ftp "TFTP: ftp-serve and ftp-get" bench/ftp.sh \
        "Wall time per fetch on loopback, netlab against tftpd-hpa, atftpd, curl and atftp."
    section starved "Servers out of descriptors" bench/starved.sh \
        "CPU time while every new descriptor fails (accept) or a pool cannot start workers: the cost the hostile tests bound by counts only."
} >"$OUT"
echo "bench/all.sh: wrote $OUT and $(ls "$charts"/*.svg 2>/dev/null | wc -l) charts in $charts/" >&2
