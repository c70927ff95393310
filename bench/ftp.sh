#!/usr/bin/env bash
# TFTP throughput, side by side in one run: MB/s fetching a 64 MiB file on loopback for each server
# (netlab ftp-serve, tftpd-hpa, atftpd) x client (netlab ftp-get, curl, atftp) x blksize x windowsize
# the pair supports; then the time to fetch 1 MiB with 5% kernel packet loss (nft in a namespace).
#   bench/ftp.sh [BUILD_DIR]      (root for tftpd-hpa, atftpd and the loss namespace; else those are skipped)
# Environment: SIZE_MB (default 64), RUN_TIMEOUT seconds per fetch (default 30), NETLAB_ATFTPD,
# LOSS_ONLY=1 for the loss table alone, NO_LOSS=1 without it, LOSS_TIMEOUT (default 120 s) per lossy fetch,
# TSV (a file to append the charted figures to as TABLE<tab>LABEL<tab>VALUES lines, for bench/all.sh). Loss is dropped on input, so senders see no error (EPERM).
set -uo pipefail
cd "$(dirname "$0")/.."
netlab=$(realpath "${1:-build}/app/netlab")
atftpd=${NETLAB_ATFTPD:-/var/cache/netlab/atftpd/usr/sbin/atftpd}
size_mb=${SIZE_MB:-64}
run_timeout=${RUN_TIMEOUT:-30}
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
    t0=$(date +%s.%N)
    if ! $pre timeout "$run_timeout" "${cmd[@]}" >/dev/null 2>&1 || ! cmp -s "$out" "$work/root/$file"; then
        echo "-"
        return
    fi
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}

mbps() { [ "$1" = "-" ] && echo "-" || awk -v s="$1" -v m="$size_mb" 'BEGIN { printf "%.1f", m * 1.048576 / s }'; }

if [ -z "${LOSS_ONLY:-}" ]; then
start_servers ""
echo "# TFTP on loopback, ${size_mb} MiB file, MB/s (wall clock per fetch, incl. process start; '-' = unsupported,"
echo "# failed or over ${run_timeout} s). Machine shared with other builds: figures are noisy."
printf "%-8s %-4s | %-10s %-10s %-10s | %-10s %-10s %-10s\n" blksize win \
    "netlab<-ng" "hpa<-ng" "atftpd<-ng" "netlab<-cu" "netlab<-at" "best-peer"
for bs in 512 1468 65464; do
    for ws in 1 16; do
        ng_n=$(mbps "$(fetch netlab "$port_netlab" big $bs $ws)")
        ng_h="-" ng_a="-"
        # tftpd-hpa ignores windowsize: only the window-1 cells compare like with like.
        [ -n "$port_hpa" ] && [ $ws -eq 1 ] && ng_h=$(mbps "$(fetch netlab "$port_hpa" big $bs $ws)")
        [ -n "$port_atftpd" ] && ng_a=$(mbps "$(fetch netlab "$port_atftpd" big $bs $ws)")
        cu_n="-"
        [ $ws -eq 1 ] && command -v curl >/dev/null && cu_n=$(mbps "$(fetch curl "$port_netlab" big $bs $ws)")
        at_n="-"
        command -v atftp >/dev/null && at_n=$(mbps "$(fetch atftp "$port_netlab" big $bs $ws)")
        best=$(printf "%s\n%s\n" "$ng_h" "$ng_a" | grep -v '^-$' | sort -g | tail -1)
        printf "%-8s %-4s | %-10s %-10s %-10s | %-10s %-10s %-10s\n" $bs $ws "$ng_n" "$ng_h" "$ng_a" "$cu_n" "$at_n" \
            "${best:--}"
        [ -z "${TSV:-}" ] || printf 'ftp_server\t%s\t%s\t%s\t%s\n' "$bs/$ws" "$ng_n" "$ng_h" "$ng_a" >>"$TSV"
        [ -z "${TSV:-}" ] || printf 'ftp_client\t%s\t%s\t%s\t%s\n' "$bs/$ws" "$ng_n" "$cu_n" "$at_n" >>"$TSV"
    done
done
echo "# columns: SERVER<-CLIENT, ng = netlab ftp-get, cu = curl, at = atftp; best-peer = best of tftpd-hpa and atftpd"
echo "# serving netlab ftp-get (ratio netlab / best-peer per row is netlab's server against the best peer server)."
# The peer clients against the peer servers, for the client comparison.
printf "%-8s %-4s | %-10s %-10s %-10s %-10s\n" blksize win "hpa<-cu" "hpa<-at" "atftpd<-cu" "atftpd<-at"
for bs in 512 1468 65464; do
    for ws in 1 16; do
        cells=()
        for port in "$port_hpa" "$port_atftpd"; do
            for c in curl atftp; do
                if [ -z "$port" ] || { [ $c = curl ] && [ $ws -ne 1 ]; } || { [ "$port" = "$port_hpa" ] && [ $ws -ne 1 ]; }; then
                    cells+=("-")
                else
                    cells+=("$(mbps "$(fetch $c "$port" big $bs $ws)")")
                fi
            done
        done
        printf "%-8s %-4s | %-10s %-10s %-10s %-10s\n" $bs $ws "${cells[@]}"
    done
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
pids=()
fi

[ -z "${NO_LOSS:-}" ] || exit 0
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
echo "# 1 MiB with 5% of UDP packets dropped by nft in a namespace: seconds per fetch (3 runs for netlab, 1 for tftpd-hpa), '-' = failed or over ${run_timeout} s"
printf "%-24s %-24s %s\n" server client seconds
for srv in netlab hpa; do
    port=$port_netlab
    [ $srv = hpa ] && port=$port_hpa
    [ -z "$port" ] && continue
    for c in netlab curl; do
        runs=()
        n=3
        [ $srv = hpa ] && n=1 # about a minute per fetch: one is enough
        for ((i = 0; i < n; i++)); do runs+=("$(fetch $c "$port" m1 1468 1 "ip netns exec $ns")"); done
        printf "%-24s %-24s %s\n" "$srv" "$c (blksize 1468)" "${runs[*]}"
    done
done
