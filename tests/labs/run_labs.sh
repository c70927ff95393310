#!/usr/bin/env bash
# Runs the commands of the lab book (docs/labs/*.md) so that they never go stale. In a lab, a fenced
# block opened with "```sh lab" is run as written (bash -euo pipefail, the netlab under test first on
# PATH, with its subcommand symlinks from `netlab --install`); "```sh lab hosts" marks a block that
# needs the three-host lab of docs/labs/README.md (`netlab lab up`; root only, skipped otherwise). A
# "```text output" block after a lab block lists lines its output must contain ("…" matches anything).
#
# Each lab runs in fresh namespaces of its own (unshare: network, mount, PID; a user namespace too when
# not root), so the labs' fixed ports (2333, 6969) are free even with ctest -j, the labs' namespaces
# and state files live in a private /run/netns and /run/netlab, and everything a lab started dies with
# its PID namespace.
# Usage: run_labs.sh NETLAB LAB.md...   Exit 0 all passed, 1 a block failed, 77 every block skipped.
set -euo pipefail
netlab=$(realpath "$1")
shift
labs_dir=$(cd "$(dirname "$0")/../../docs/labs" && pwd)
block_timeout=${LAB_BLOCK_TIMEOUT:-60}

work=$(mktemp -d "${TMPDIR:-/tmp}/netlab-labs.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir "$work/bin"
ln -s "$netlab" "$work/bin/netlab"
"$netlab" --install "$work/bin"

# extract FILE DIR: NN.sh and NN.tag (lab or hosts) per lab block, NN.expect for its output block;
# also helpers.sh, setup.sh and teardown.sh from the README's lab-helpers, lab-setup and lab-teardown.
extract() {
    awk -v dir="$2" '
        function open_block(name) { file = dir "/" name; printf "" > file; inside = 1 }
        /^```/ && inside { inside = 0; close(file); next }
        $1 == "```sh" && $2 == "lab" { n++; open_block(sprintf("%02d.sh", n))
                                       print ($3 == "hosts" ? "hosts" : "lab") > (file ".tag"); next }
        $1 == "```sh" && $2 ~ /^lab-(helpers|setup|teardown)$/ { open_block(substr($2, 5) ".sh"); next }
        $1 == "```text" && $2 == "output" && n { open_block(sprintf("%02d.expect", n)); next }
        inside { print >> file }
    ' "$1"
}
extract "$labs_dir/README.md" "$work"
for f in helpers setup teardown; do
    [ -s "$work/$f.sh" ] || { echo "run_labs.sh: docs/labs/README.md has no \`\`\`sh lab-$f block" >&2; exit 1; }
done

if [ "$(id -u)" -eq 0 ]; then
    mkdir -p /run/netns /run/netlab # the mount points of the private /run/netns and /run/netlab
    isolate=(unshare --net --mount --propagation private --pid --fork --mount-proc)
    hosts_ok=1
else
    isolate=(unshare --map-root-user --net --mount --pid --fork --mount-proc)
    hosts_ok=0
fi

# The driver runs as PID 1 of the lab's namespaces: it sets up, runs each block with a timeout, checks
# its output, and reports (and stops, by PID) any process a block left behind.
cat >"$work/driver.sh" <<'DRIVER'
set -uo pipefail
lab=$1 hosts_ok=$2 work=$3 block_timeout=$4
export PATH=$work/bin:$PATH
cd "$lab/run"
ip link set lo up
failed=0 ran=0
indent() { sed 's/^/    | /'; }
leftovers() {
    local p stat left=0
    for p in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$p" -ne 1 ] && [ "$p" -ne "$BASHPID" ] || continue
        stat=$(cut -d' ' -f3,4 "/proc/$p/stat" 2>/dev/null) || continue
        # Orphans of the block, reparented to this driver; zombies are just not reaped yet.
        [ "${stat#* }" = 1 ] && [ "${stat% *}" != Z ] || continue
        # A lab's multicast forwarder lives in its router until `netlab lab down`, by design.
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ' lab .*mrouted' && continue
        echo "    left running: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)(pid $p): stopped" >&2
        kill -KILL "$p" 2>/dev/null
        left=1
    done
    return "$left"
}
need_hosts=0
grep -qx hosts "$lab"/*.tag && need_hosts=$hosts_ok
if [ "$need_hosts" -eq 1 ]; then
    mount -t tmpfs netlab-labs /run/netns
    mount -t tmpfs netlab-labs-state /run/netlab
    trap 'bash -c "source $work/helpers.sh; source $work/teardown.sh" >/dev/null 2>&1' EXIT
    if ! bash -euo pipefail -c "source $work/helpers.sh; source $work/setup.sh" >"$lab/setup.out" 2>&1; then
        echo "FAIL the lab of docs/labs/README.md (netlab lab up):"; indent <"$lab/setup.out"; exit 1
    fi
fi
for block in "$lab"/[0-9]*.sh; do
    name=$(basename "$block" .sh)
    tag=$(cat "$block.tag")
    if [ "$tag" = hosts ] && [ "$hosts_ok" -eq 0 ]; then
        echo "SKIP block $name: needs root for netlab lab"
        continue
    fi
    ran=$((ran + 1))
    timeout -k 5 "$block_timeout" bash -euo pipefail -c "source $work/helpers.sh; source $block" \
        >"$lab/$name.out" 2>&1
    rc=$?
    ok=1
    [ "$rc" -eq 0 ] || { ok=0; reason="exit status $rc$([ "$rc" -eq 124 ] && echo ": timed out after ${block_timeout}s")"; }
    if [ "$ok" -eq 1 ] && [ -f "$lab/$name.expect" ]; then
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            re=$(printf '%s' "$line" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g' -e 's/…/.*/g')
            grep -Eq -- "$re" "$lab/$name.out" || { ok=0; reason="no line matching: $line"; break; }
        done <"$lab/$name.expect"
    fi
    leftovers || { [ "$ok" -eq 0 ] || { ok=0; reason="it left a process running"; }; }
    if [ "$ok" -eq 1 ]; then
        echo "ok   block $name"
    else
        failed=1
        echo "FAIL block $name: $reason"
        sed 's/^/    $ /' "$block"
        echo "    output:"
        indent <"$lab/$name.out"
    fi
done
[ "$failed" -eq 0 ] || exit 1
[ "$ran" -gt 0 ] || exit 77
exit 0
DRIVER

failed=0 passed=0
for md in "$@"; do
    name=$(basename "$md" .md)
    lab=$work/$name
    mkdir -p "$lab/run"
    chmod 777 "$lab/run"
    extract "$md" "$lab"
    ls "$lab"/[0-9]*.sh >/dev/null 2>&1 || { echo "run_labs.sh: $md has no \`\`\`sh lab block" >&2; failed=1; continue; }
    echo "== $name"
    started=$(date +%s)
    rc=0
    "${isolate[@]}" bash "$work/driver.sh" "$lab" "$hosts_ok" "$work" "$block_timeout" || rc=$?
    case $rc in
    0) result=passed passed=1 ;;
    77) result="skipped (needs root)" ;;
    *) result=FAILED failed=1 ;;
    esac
    echo "== $name: $result in $(($(date +%s) - started)) s"
done
[ "$failed" -eq 0 ] || exit 1
[ "$passed" -eq 1 ] || exit 77
