#!/usr/bin/env bash
# The Wireshark dissector docs/wireshark/netlab.lua against real traffic: tshark captures on lo while
# `netlab udp-send` sends score records (RFC 768 datagrams, lib/score_record.hpp) and bash sends
# malformed ones; tshark decodes the capture with the dissector and the fields and expert infos must
# be those sent. Usage: dissector_test.sh NETLAB_BINARY. Exit 77 (skipped) without root or tshark.
set -euo pipefail
netlab=$1
lua=$(cd "$(dirname "$0")/../.." && pwd)/docs/wireshark/netlab.lua

if [ "$(id -u)" -ne 0 ]; then
    echo "WARN needs root: capturing on lo" >&2
    exit 77
fi
if ! command -v tshark >/dev/null; then
    echo "WARN needs tshark (Debian package tshark, see scripts/dev)" >&2
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/netlab-dissector.XXXXXX")
capture_pid=
cleanup() {
    if [ -n "$capture_pid" ]; then kill "$capture_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A high port nobody listens on: the datagrams need no receiver to be captured. Not 2333, so the
# test also shows how to point the dissector at another port.
port=$((40000 + RANDOM % 20000))
probe=$((port + 1))
packets=6
# tshark lists each packet as it captures it (-P -l): probes to a second port, sent until one is
# listed, show that the filter is attached; they are filtered out of the file decoded below.
timeout 60 tshark -q -i lo -f "udp dst port $port or udp dst port $probe" -w "$work/all.pcapng" -P -l \
    >"$work/live.txt" 2>"$work/dumpcap.err" &
capture_pid=$!
# Summary lines end in UDP's Info column: "SRC → DST Len=N".
listed() { grep -cE "[^0-9]$1 Len=" "$work/live.txt" 2>/dev/null || true; }
for _ in $(seq 300); do
    printf 'probe' >"/dev/udp/127.0.0.1/$probe"
    [ "$(listed "$probe")" -gt 0 ] && break
    sleep 0.1
done
[ "$(listed "$probe")" -gt 0 ] || { echo "tshark captured no probe" >&2; cat "$work/dumpcap.err" >&2; exit 1; }

"$netlab" udp-send "127.0.0.1:$port" --name Lucy --math 90 --chinese 85 >/dev/null
"$netlab" udp-send "127.0.0.1:$port" --name "Li Lei" --math 4000000000 --chinese 0 >/dev/null
# Malformed records, one write each: too short, no NUL, too long (608 bytes), bytes after the NUL.
printf 'abc' >"/dev/udp/127.0.0.1/$port"
printf '\0\0\0\1\0\0\0\2noterm' >"/dev/udp/127.0.0.1/$port"
printf '%0608d' 0 >"/dev/udp/127.0.0.1/$port"
printf '\0\0\0\1\0\0\0\2ab\0z' >"/dev/udp/127.0.0.1/$port"

for _ in $(seq 300); do
    [ "$(listed "$port")" -ge "$packets" ] && break
    sleep 0.1
done
kill -INT "$capture_pid"
wait "$capture_pid" || true
capture_pid=
[ "$(listed "$port")" -eq "$packets" ] || {
    echo "tshark listed $(listed "$port") packets to port $port, not $packets" >&2
    cat "$work/live.txt" "$work/dumpcap.err" >&2
    exit 1
}
tshark -r "$work/all.pcapng" -Y "udp.dstport == $port" -w "$work/cap.pcapng" 2>>"$work/dumpcap.err"

decode() { tshark -X "lua_script:$lua" "$@" -r "$work/cap.pcapng" 2>"$work/tshark.err"; }

fail=0
expect() { # expect WHAT ACTUAL EXPECTED
    if [ "$2" != "$3" ]; then
        printf 'FAIL %s:\n--- got\n%s\n--- expected\n%s\n' "$1" "$2" "$3" >&2
        cat "$work/tshark.err" >&2
        fail=1
    else
        echo "ok $1"
    fi
}

# Wireshark's own IP heuristic adds "Possible traceroute" when bash's ephemeral source port happens to
# fall in 33434-33534 (seen once in a few hundred runs): only the dissector's expert infos are compared.
fields=$(decode -d "udp.port==$port,netlab" -T fields -E separator=, -e netlab.name -e netlab.math -e netlab.chinese \
    -e _ws.expert.message | sed -E 's/Possible traceroute: hop #[0-9]+, attempt #[0-9]+,?//')
expect "fields with -d udp.port==$port,netlab" "$fields" "Lucy,90,85,
Li Lei,4000000000,0,
,,,Record too short: 3 bytes, a record has at least 9
,1,2,Name is not NUL-terminated
,,,Record too long: 608 bytes, a record has at most 504
ab,1,2,Non-zero bytes after the name's NUL"

# The port preference instead of -d, and display filters on the fields and the expert infos.
lucy=$(decode -o "netlab.port:$port" -Y 'netlab.name == "Lucy" && netlab.math == 90' -T fields -e frame.number)
expect "display filter with -o netlab.port:$port" "$lucy" "1"
malformed=$(decode -o "netlab.port:$port" \
    -Y 'netlab.too_short || netlab.no_terminator || netlab.too_long || netlab.trailing_bytes' -T fields -e frame.number |
    tr '\n' ' ')
expect "malformed records" "$malformed" "3 4 5 6 "
summary=$(decode -o "netlab.port:$port" -Y 'frame.number == 1' -T fields -e _ws.col.Protocol -e _ws.col.Info)
expect "summary line" "$summary" "NETLAB	Score record: Lucy math 90 chinese 85"
exit "$fail"
