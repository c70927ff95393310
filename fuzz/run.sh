#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang++, ASan+UBSan) and runs each one for a bounded time
# on the seed corpus; prints one line of figures per target and exits non-zero on any finding.
#   fuzz/run.sh [SECONDS] [TARGET...]   default 60 s per target, every target
# Environment: BUILD_DIR (default build-fuzz). New inputs go to $BUILD_DIR/corpus/<target>/ (the seeds in
# tests/fuzz/corpus/ are only read); a finding goes to $BUILD_DIR/findings/<target>/: copy it into the
# seed corpus once the bug is fixed, so the replay test keeps checking it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
dir=${BUILD_DIR:-build-fuzz}
seeds=tests/fuzz/corpus

cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DNETLAB_FUZZ=ON -DNETLAB_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_targets >/dev/null

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for t in "$seeds"/*/; do targets+=("$(basename "$t")"); done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
printf '%-14s %7s %10s %8s %6s %6s %8s %9s\n' target seconds execs exec/s cov ft corpus findings
for t in "${targets[@]}"; do
    bin="$dir/fuzz/${t}_fuzz"
    [ -x "$bin" ] || { echo "fuzz/run.sh: no target $t" >&2; exit 2; }
    work="$dir/corpus/$t" findings="$dir/findings/$t" log="$dir/fuzz-$t.log"
    rm -rf "$findings"
    mkdir -p "$work" "$findings"
    start=$(date +%s)
    status=0
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$findings/" "$work" "$seeds/$t" >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last() { { grep -o "$1: [0-9]*" "$log" || true; } | tail -1 | cut -d' ' -f2; }
    cov=$(last cov) ft=$(last ft) corpus=$(last corp)
    found=$(find "$findings" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
        failed=1
        [ "$found" -ne 0 ] || found="exit $status"
    fi
    printf '%-14s %7s %10s %8s %6s %6s %8s %9s\n' "$t" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "$corpus" "$found"
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz/run.sh: findings; see $dir/fuzz-<target>.log and $dir/findings/" >&2
    exit 1
fi
