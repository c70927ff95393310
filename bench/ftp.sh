#!/usr/bin/env bash
# TFTP throughput, side by side in one run: MB/s fetching a 64 MiB file on loopback for each server
# (netlab ftp-serve, tftpd-hpa, atftpd) x client (netlab ftp-get, curl, atftp) x blksize x windowsize
# the pair supports, as ratios of netlab against the best peer; then a strict small-buffer client
# (bench/small_receiver.c) on every block and window size against netlab and atftpd (NO_SMALL=1 leaves
# it out, SMALL_ONLY=1 runs it alone); then the time to fetch 1 MiB with 5% kernel packet loss (nft
# in a namespace).
#   bench/ftp.sh [BUILD_DIR]      (root for tftpd-hpa, atftpd and the loss namespace; else those are skipped)
# Environment: SIZE_MB (default 64), REPEAT fetches per pair, the median is shown (default 3; five
# times as many at blksize 8192 and up),
# RUN_TIMEOUT seconds per fetch (default 30), NETLAB_ATFTPD, LOSS_ONLY=1 for the loss table alone,
# MATRIX_ONLY=1 without it, LOSS_TIMEOUT (default 120 s) per lossy fetch, CELLS="BS/WS ..." to measure
# only those (e.g. CELLS="65464/1 65464/16"), NO_LOSS=1 = MATRIX_ONLY=1, TSV (a file to append the
# charted figures to as TABLE<tab>LABEL<tab>VALUES lines, for bench/all.sh). Loss is dropped on input,
# so senders see no error (EPERM).
set -uo pipefail
cd "$(dirname "$0")/.."
netlab=$(realpath "${1:-build}/app/netlab")
atftpd=${NETLAB_ATFTPD:-/var/cache/netlab/atftpd/usr/sbin/atftpd}
size_mb=${SIZE_MB:-64}
repeat=${REPEAT:-3}
run_timeout=${RUN_TIMEOUT:-30}
cells=${CELLS:-"512/1 512/16 1468/1 1468/16 65464/1 65464/16"}
work=$(mktemp -d /tmp/netlab-bench-ftp-XXXXXX)
ns=netlab-bench-ftp-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    ip netns delete "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/root" "$work/out"
chmod 755 "$work/root"
head -c $((size_mb << 20)) /dev/urandom >"$work/root/big"
head -c $((1 << 20)) /dev/urandom >"$work/root/m1"
chmod 644 "$work/root/"*
root=$(id -u)
host=127.0.0.1 # the loss namespace uses 127.0.0.2: there glibc's AI_ADDRCONFIG ignores 127.0.0.1

port_of() { sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$1" | head -1; }
start_servers() { # $1: prefix command (e.g. ip netns exec NS), sets ports
    local pre=$1
    $pre "$netlab" ftp-serve --root "$work/root" -b "$host" --port 0 -q 2>"$work/serve.err" &
    pids+=($!)
    sleep 0.3
    port_netlab=$(port_of "$work/serve.err")
    port_hpa="" port_atftpd=""
    if [ "$root" -eq 0 ] && command -v in.tftpd >/dev/null; then
        port_hpa=$((20000 + RANDOM % 20000))
        $pre in.tftpd -L -s "$work/root" -a "$host:$port_hpa" -B 65464 &
        pids+=($!)
    fi
    if [ "$root" -eq 0 ] && [ -x "$atftpd" ]; then
        port_atftpd=$((20000 + RANDOM % 20000))
        $pre "$atftpd" --daemon --no-fork --port "$port_atftpd" --bind-address "$host" --logfile /dev/null \
            "$work/root" &
        pids+=($!)
    fi
    sleep 0.3
}

# fetch CLIENT PORT FILE BLKSIZE WINDOW [PREFIX]: prints seconds, or "-" on failure or timeout.
fetch() {
    local client=$1 port=$2 file=$3 bs=$4 ws=$5 pre=${6:-} out="$work/out/f" t0 t1 cmd
    rm -f "$out"
    case $client in
    netlab) cmd=("$netlab" ftp-get "$host:$port" "$file" -o "$out" --blksize "$bs" --windowsize "$ws" -q) ;;
    curl) cmd=(curl -sS --tftp-blksize "$bs" -o "$out" "tftp://$host:$port/$file") ;;
    atftp) cmd=(atftp --option "blksize $bs" --option "windowsize $ws" -g -r "$file" -l "$out" "$host" "$port") ;;
    esac
    local ok=1
    t0=$(date +%s.%N)
    $pre timeout "$run_timeout" "${cmd[@]}" >/dev/null 2>&1 || ok=0
    t1=$(date +%s.%N)
    # Checked after the clock stops: comparing 64 MiB takes about 30 ms, as long as a fast fetch.
    if [ $ok = 0 ] || ! cmp -s "$out" "$work/root/$file"; then
        echo "-"
        return
    fi
    echo "$t0 $t1" | awk '{printf "%.4f", $2 - $1}'
}

mbps() { [ "$1" = "-" ] && echo "-" || awk -v s="$1" -v m="$size_mb" 'BEGIN { printf "%.1f", m * 1.048576 / s }'; }
median() { # of the numbers among the arguments; "-" when none
    printf "%s\n" "$@" | grep -v '^-$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
        else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
best() { median_list=$(printf "%s\n" "$@" | grep -v '^-$' | sort -g | tail -1); echo "${median_list:--}"; }
ratio() { { [ "$1" = "-" ] || [ "$2" = "-" ]; } && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Which pairs can run a cell: tftpd-hpa and curl have no windowsize, so only window-1 cells compare
# like with like; a server that is not there (not root, atftpd not unpacked) has no port.
supported() { # SERVER CLIENT WS
    local port
    port=$(port_var "$1")
    [ -z "$port" ] && return 1
    [ "$1" = hpa ] && [ "$3" -ne 1 ] && return 1
    [ "$2" = curl ] && [ "$3" -ne 1 ] && return 1
    [ "$2" = curl ] && ! command -v curl >/dev/null && return 1
    [ "$2" = atftp ] && ! command -v atftp >/dev/null && return 1
    return 0
}
port_var() { case $1 in netlab) echo "$port_netlab" ;; hpa) echo "$port_hpa" ;; atftpd) echo "$port_atftpd" ;; esac; }

if [ -z "${LOSS_ONLY:-}${SMALL_ONLY:-}" ]; then
    start_servers ""
    declare -A mb
    servers=(netlab hpa atftpd)
    clients=(netlab curl atftp)
    for cell in $cells; do
        bs=${cell%/*} ws=${cell#*/}
        declare -A runs=()
        # One untimed 1 MiB fetch per pair first: the first transfer of a pair is often the slowest
        # (fresh buffers on both ends, a new output file) and is not what the table compares.
        for s in "${servers[@]}"; do
            for c in "${clients[@]}"; do
                supported $s $c $ws && fetch $c "$(port_var $s)" m1 $bs $ws >/dev/null
            done
        done
        # Rounds over all pairs, not one pair's repeats in a row: a burst of load elsewhere then
        # slows every pair a little instead of one pair a lot. The servers' order rotates, so none
        # is always first. A fast cell (about 0.1 s per fetch) gets five times the rounds: there one
        # scheduling hiccup is a large share of a fetch.
        rounds=$repeat
        [ "$bs" -ge 8192 ] && rounds=$((repeat * 5))
        for ((r = 0; r < rounds; r++)); do
            for ((i = 0; i < ${#servers[@]}; i++)); do
                s=${servers[(i + r) % ${#servers[@]}]}
                for c in "${clients[@]}"; do
                    supported $s $c $ws || continue
                    runs[$s.$c]+=" $(mbps "$(fetch $c "$(port_var $s)" big $bs $ws)")"
                done
            done
        done
        for s in "${servers[@]}"; do
            for c in "${clients[@]}"; do
                if supported $s $c $ws; then
                    # shellcheck disable=SC2086
                    mb[$cell.$s.$c]=$(median ${runs[$s.$c]})
                else
                    mb[$cell.$s.$c]="-"
                fi
            done
        done
        unset runs
    done
    echo "# TFTP on loopback, ${size_mb} MiB file, MB/s, median of ${repeat} fetches per pair ($((repeat * 5)) at blksize"
    echo "# 8192 and above), after one untimed warm-up fetch; wall clock of the client process (incl. its"
    echo "# start and exit, not the check of the copy); '-' = unsupported, failed or over ${run_timeout} s."
    echo "# Machine shared with other builds: figures are noisy."
    echo
    echo "# Servers, all fetched by netlab ftp-get: netlab ftp-serve / best peer server"
    printf "%-6s %-4s | %-9s %-9s %-9s | %s\n" blksize win netlab hpa atftpd "netlab/best"
    for cell in $cells; do
        bs=${cell%/*} ws=${cell#*/}
        n=${mb[$cell.netlab.netlab]} h=${mb[$cell.hpa.netlab]} a=${mb[$cell.atftpd.netlab]}
        printf "%-7s %-4s | %-9s %-9s %-9s | %s\n" $bs $ws "$n" "$h" "$a" "$(ratio "$n" "$(best "$h" "$a")")"
    done
    echo
    echo "# Clients, per server: netlab ftp-get / best peer client (curl, atftp) on the same server"
    printf "%-6s %-4s | %-27s | %-27s | %-27s\n" blksize win "netlab: ng cu at ratio" "hpa: ng cu at ratio" \
        "atftpd: ng cu at ratio"
    for cell in $cells; do
        bs=${cell%/*} ws=${cell#*/}
        line=$(printf "%-7s %-4s" $bs $ws)
        for s in "${servers[@]}"; do
            n=${mb[$cell.$s.netlab]} c=${mb[$cell.$s.curl]} a=${mb[$cell.$s.atftp]}
            line+=$(printf " | %-6s %-6s %-6s %-6s" "$n" "$c" "$a" "$(ratio "$n" "$(best "$c" "$a")")")
        done
        echo "$line"
    done
    echo "# ng = netlab ftp-get, cu = curl, at = atftp; tftpd-hpa and curl have no windowsize (window 16: '-')."
    if [ -n "${TSV:-}" ]; then
        for cell in $cells; do
            printf 'ftp_server\t%s\t%s\t%s\t%s\n' "$cell" "${mb[$cell.netlab.netlab]}" "${mb[$cell.hpa.netlab]}" \
                "${mb[$cell.atftpd.netlab]}" >>"$TSV"
            printf 'ftp_client\t%s\t%s\t%s\t%s\n' "$cell" "${mb[$cell.netlab.netlab]}" "${mb[$cell.netlab.curl]}" \
                "${mb[$cell.netlab.atftp]}" >>"$TSV"
        done
    fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    pids=()
fi

# A strict RFC 7440 client with an ordinary socket buffer (bench/small_receiver.c: 64 KiB, a pause
# of 1 ms after each ACK, no early ACK for a gap) and the same with 4 MiB, on every block and window
# size: seconds per 1 MiB fetch, median of SMALL_REPEAT (3; one after a failure), '-' = failed.
if [ -z "${LOSS_ONLY:-}" ] && [ -z "${NO_SMALL:-}" ]; then
    cc -O2 -o "$work/small_receiver" bench/small_receiver.c
    start_servers ""
    small() { # SERVER PORT BLKSIZE WINDOW RCVBUF: median seconds, or "-"
        local runs=() t
        for ((i = 0; i < ${SMALL_REPEAT:-3}; i++)); do
            t=$("$work/small_receiver" "$host" "$2" m1 "$3" "$4" "$work/out/s" "$5" 2>/dev/null) &&
                cmp -s "$work/out/s" "$work/root/m1" || t="-"
            runs+=("$t")
            [ "$t" = "-" ] && break
        done
        [ "${runs[-1]}" = "-" ] && echo "-" || median "${runs[@]}"
    }
    echo
    echo "# A strict RFC 7440 client (bench/small_receiver.c) fetching 1 MiB, seconds (median of ${SMALL_REPEAT:-3});"
    echo "# SO_RCVBUF 64 KiB and 4 MiB, a 1 ms pause after each ACK; '-' = failed (no end in 20 s)."
    printf "%-7s %-4s | %-9s %-9s %-8s | %-9s %-9s %-8s\n" blksize win "netlab" "atftpd" "speedup" \
        "netlab" "atftpd" "speedup"
    printf "%-12s | %-28s | %-28s\n" "" "SO_RCVBUF 64 KiB" "SO_RCVBUF 4 MiB"
    worst=""
    for bs in 512 1468 8192 65464; do
        for ws in 1 4 8 16; do
            line=$(printf "%-7s %-4s" $bs $ws)
            for buf in 65536 4194304; do
                n=$(small netlab "$port_netlab" $bs $ws $buf) a="-"
                [ -n "$port_atftpd" ] && a=$(small atftpd "$port_atftpd" $bs $ws $buf)
                r=$(ratio "$a" "$n")
                line+=$(printf " | %-9s %-9s %-8s" "$n" "$a" "$r")
                if [ "$r" != "-" ] && { [ -z "$worst" ] || awk -v a="$r" -v b="$worst" 'BEGIN {exit !(a < b)}'; }; then
                    worst=$r worst_cell="$bs/$ws, $buf bytes"
                fi
                [ -n "${TSV:-}" ] && printf 'ftp_small\t%s/%s/%s\t%s\t%s\n' $bs $ws $buf "$n" "$a" >>"$TSV"
            done
            echo "$line"
        done
    done
    echo "# speedup = atftpd's seconds / netlab's (above 1: netlab faster); worst: ${worst:--} (${worst_cell:-none})"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    pids=()
fi

[ -n "${MATRIX_ONLY:-}${NO_LOSS:-}${SMALL_ONLY:-}" ] && exit 0
if [ "$root" -ne 0 ] || ! command -v nft >/dev/null; then
    echo "# loss: needs root and nft, skipped"
    exit 0
fi
host=127.0.0.2
run_timeout=${LOSS_TIMEOUT:-120}
ip netns add "$ns" && ip -n "$ns" link set lo up && ip -n "$ns" addr add 127.0.0.2/8 dev lo &&
    ip netns exec "$ns" nft 'add table inet loss; add chain inet loss in { type filter hook input priority 0; };
        add rule inet loss in meta l4proto udp numgen random mod 100 < 5 drop' || exit 1
start_servers "ip netns exec $ns"
echo
echo "# 1 MiB with 5% of UDP packets dropped by nft in a namespace: seconds per fetch (5 runs for netlab, 1 for tftpd-hpa), '-' = failed or over ${run_timeout} s"
printf "%-24s %-24s %s\n" server client seconds
for srv in netlab hpa; do
    port=$(port_var $srv)
    [ -z "$port" ] && continue
    for c in netlab curl; do
        runs=()
        n=5
        [ $srv = hpa ] && n=1 # about a minute per fetch: one is enough
        for ((i = 0; i < n; i++)); do runs+=("$(fetch $c "$port" m1 1468 1 "ip netns exec $ns")"); done
        printf "%-24s %-24s %s\n" "$srv" "$c (blksize 1468)" "${runs[*]}"
    done
done
