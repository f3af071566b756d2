#!/bin/sh
# Runs every fuzz target for SECONDS (default 60) and records executions and crashes in
# ../target/kintsugi-figures/fuzz-stats.txt (read by the `figures` example).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain (`cargo +nightly`).
# The checked-in corpus (corpus/<target>) only seeds the run; new inputs go to
# target/corpus-work/<target>, so the regression corpus stays small. Crashing inputs land in
# artifacts/<target>/: copy the minimised one into corpus/<target>/ with the fix.
set -u
cd "$(dirname "$0")"
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"frame_decode session pairing_code pair_frame document store_decrypt"}
stats=../target/kintsugi-figures/fuzz-stats.txt
mkdir -p ../target/kintsugi-figures
touch "$stats"
for t in $targets; do
    mkdir -p "target/corpus-work/$t"
    log="target/fuzz-$t.log"
    cargo +nightly fuzz run -s none "$t" "target/corpus-work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 > "$log" 2>&1
    code=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    crashes=0
    [ "$code" -ne 0 ] && crashes=1
    # One line per target: a later run of a target replaces its earlier line.
    grep -v "^$t " "$stats" > "$stats.tmp"; mv "$stats.tmp" "$stats"
    echo "$t runs=${runs:-0} crashes=$crashes seconds=$secs exit=$code" | tee -a "$stats"
done
