#!/usr/bin/env bash
# The .deb: built by CPack from BUILD_DIR, checked and unpacked (dpkg -x); as root also installed into
# the system (dpkg -i), run from there (netlab --version, netlab demo, man -w) and removed (dpkg -r)
# whatever happens.   usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
installed=no

cleanup() {
    if [ "$installed" = yes ]; then
        dpkg -r netlab >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; echo "FAIL: dpkg -r netlab" >&2; }
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

version=$("$build/app/netlab" --version)
version=${version#netlab }

step "cpack -G DEB"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/out/netlab_*.deb)
dpkg-deb -f "$deb" Package Version Architecture Maintainer Depends Section Description
[ "$(dpkg-deb -f "$deb" Package)" = netlab ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "version is not the project's $version"
dpkg-deb -f "$deb" Depends | grep -q '^libc6 (>= ' || fail "Depends has no libc6"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no maintainer"

step "contents"
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for path in ./usr/bin/netlab ./usr/share/man/man1/netlab.1 ./usr/share/man/man1/netlab-udp-recv.1 \
            ./usr/share/bash-completion/completions/netlab ./usr/share/zsh/vendor-completions/_netlab; do
    grep -qx "$path" "$work/contents" || fail "$path is not in the package"
done
pages=$(grep -c '^./usr/share/man/man1/netlab-.*\.1$' "$work/contents")
[ "$pages" -eq "$("$build/app/netlab" --list | wc -l)" ] || fail "$pages man pages for $("$build/app/netlab" --list | wc -l) subcommands"

# Runs the installed netlab found under ROOT (/ or an unpacked tree) as a user would.
check_installed() {
    local root=$1 bin=$1/usr/bin/netlab
    [ "$("$bin" --version)" = "netlab $version" ] || fail "$bin --version"
    (cd "$work" && timeout 60 "$bin" demo >"$work/demo.log" 2>&1) || { cat "$work/demo.log" >&2; fail "$bin demo"; }
    local page
    if [ "$root" = / ]; then page=$(man -w netlab-udp-recv); else page=$(man -M "$root/usr/share/man" -w netlab-udp-recv); fi
    [ "$page" = "${root%/}/usr/share/man/man1/netlab-udp-recv.1" ] || fail "man -w netlab-udp-recv: $page"
    MANWIDTH=80 man -l "$page" | grep -q "EXIT STATUS" || fail "man -l $page"
}

step "dpkg -x and run"
dpkg -x "$deb" "$work/root"
check_installed "$work/root"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED: needs root: dpkg -i / dpkg -r of the package"
    exit 77
fi
if dpkg-query -W -f='${Status}' netlab 2>/dev/null | grep -q "ok installed" || [ -e /usr/bin/netlab ]; then
    echo "SKIPPED: a netlab package or /usr/bin/netlab is already there: dpkg -i not tried, not touching it"
    exit 77
fi

step "dpkg -i, run, dpkg -r"
installed=yes
# Another dpkg or apt-get may hold the lock for a while on a shared machine: retry a few times.
for attempt in 1 2 3 4 5 6; do
    if dpkg -i "$deb" >"$work/install.log" 2>&1; then break; fi
    grep -q "lock" "$work/install.log" && [ "$attempt" -lt 6 ] || { cat "$work/install.log" >&2; fail "dpkg -i"; }
    sleep 5
done
[ "$(command -v netlab)" = /usr/bin/netlab ] || fail "netlab is not /usr/bin/netlab on PATH"
check_installed /
dpkg -r netlab >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r"; }
installed=no
[ ! -e /usr/bin/netlab ] || fail "/usr/bin/netlab still there after dpkg -r"
[ ! -e /usr/share/man/man1/netlab-udp-recv.1 ] || fail "man page still there after dpkg -r"
echo "PASS"
