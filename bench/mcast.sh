#!/usr/bin/env bash
# bench/mcast.sh: messages/s and loss for one sender and two receivers in a lab of network namespaces,
# multicast side by side with plain unicast, netlab against a C reference sender (bench/mcast_ref.c).
#   sudo bench/mcast.sh [COUNT] [RATE]     (default 200000 records, RATE 0 = as fast as possible)
# Needs root (ip netns). Builds its own lab (prefix netlab-bench-<pid>-) and deletes it on exit.
# TSV: a file to append the charted figures to as TABLE<tab>LABEL<tab>VALUE lines, for bench/all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-200000}
RATE=${2:-0}
NETLAB=${NETLAB:-build/app/netlab}
[ "$(id -u)" -eq 0 ] || { echo "bench/mcast.sh: needs root for network namespaces" >&2; exit 1; }
[ -x "$NETLAB" ] || { echo "bench/mcast.sh: build netlab first ($NETLAB)" >&2; exit 1; }
REF=$(mktemp -d)/mcast_ref
cc -O2 -o "$REF" bench/mcast_ref.c

P=netlab-bench-$$-
SW=${P}switch
cleanup() {
    for n in h1 h2 h3 switch; do ip netns del "$P$n" 2>/dev/null || true; done
    rm -rf "$(dirname "$REF")"
}
trap cleanup EXIT INT TERM
ip netns add "$SW"
ip -n "$SW" link add br0 type bridge mcast_snooping 0
ip -n "$SW" link set br0 up
for i in 1 2 3; do
    H=${P}h$i
    ip netns add "$H"
    ip -n "$H" link set lo up
    ip -n "$SW" link add port$i type veth peer name eth0 netns "$H"
    ip -n "$SW" link set port$i master br0 up
    ip -n "$H" addr add 198.18.0.$i/24 broadcast 198.18.0.255 dev eth0
    ip -n "$H" link set eth0 up
    ip -n "$H" route add default dev eth0
done
on_host() { local h=$1; shift; ip netns exec "$P$h" "$@"; }

# Starts receivers on the given hosts (mcast recv or udp-recv) that count without printing records.
OUT=$(dirname "$REF")
start_receivers() {
    local kind=$1; shift
    for h in "$@"; do
        if [ "$kind" = mcast ]; then
            on_host "$h" "$NETLAB" mcast recv -q --stats --json --expect "$COUNT" --timeout 1 >"$OUT/$h.json" 2>"$OUT/$h.err" &
        else
            on_host "$h" "$NETLAB" udp-recv -q --stats --json --expect "$COUNT" --timeout 1 >"$OUT/$h.json" 2>"$OUT/$h.err" &
        fi
    done
    sleep 0.5 # -q silences "listening on"; give them time to bind and join
}
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$OUT/$1.json"; }

printf "%-26s %10s %12s %10s %8s %10s %8s\n" run sent "sent/s" "h2 recv" "h2 loss%" "h3 recv" "h3 loss%"
declare -A RATE_OF
run() {
    local name=$1 kind=$2 dest=$3 sender=$4
    local hosts="h2"; [ "$kind" = mcast ] && hosts="h2 h3"
    rm -f "$OUT"/h2.json "$OUT"/h3.json
    start_receivers "$kind" $hosts
    local sent secs
    if [ "$sender" = netlab ]; then
        local j
        if [ "$kind" = mcast ]; then
            j=$(on_host h1 "$NETLAB" mcast send --group "$dest" --count "$COUNT" --rate "$RATE" --json)
        else
            j=$(on_host h1 "$NETLAB" udp-send "$dest:2333" --count "$COUNT" --rate "$RATE" --json)
        fi
        sent=$(sed -n 's/.*"sent":\([0-9]*\).*/\1/p' <<<"$j")
        secs=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' <<<"$j")
    else
        read -r sent secs < <(on_host h1 "$REF" "$dest" 2333 "$COUNT")
    fi
    wait
    local rate; rate=$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    RATE_OF[$name]=$rate
    local h3r="-" h3l="-"
    [ "$kind" = mcast ] && { h3r=$(field h3 received); h3l=$(field h3 loss_percent); }
    printf "%-26s %10s %12s %10s %8s %10s %8s\n" "$name" "$sent" "$rate" "$(field h2 received)" \
        "$(field h2 loss_percent)" "$h3r" "$h3l"
    [ -z "${TSV:-}" ] || printf 'mcast\t%s\t%s\n' "$name" "$rate" >>"$TSV"
}
run "netlab mcast (2 recv)" mcast 239.0.0.1 netlab
run "netlab unicast (1 recv)" udp 198.18.0.2 netlab
run "C ref mcast (2 recv)" mcast 239.0.0.1 ref
run "C ref unicast (1 recv)" udp 198.18.0.2 ref
ratio() { awk -v a="${RATE_OF[$1]}" -v b="${RATE_OF[$2]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo
echo "ratios of sent/s:"
echo "  netlab mcast / netlab unicast: $(ratio 'netlab mcast (2 recv)' 'netlab unicast (1 recv)')"
echo "  C ref mcast / C ref unicast:   $(ratio 'C ref mcast (2 recv)' 'C ref unicast (1 recv)')"
echo "  netlab mcast / C ref mcast:    $(ratio 'netlab mcast (2 recv)' 'C ref mcast (2 recv)')"
echo "  netlab unicast / C ref unicast: $(ratio 'netlab unicast (1 recv)' 'C ref unicast (1 recv)')"
