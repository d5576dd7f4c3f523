#!/usr/bin/env bash
# Builds the fuzzers (clang, ASan+UBSan+libFuzzer) into BUILD_DIR, writes the seed corpora and
# runs every harness in turn, one process at a time; exits non-zero on the first crash, leak,
# timeout or out-of-memory. What each run reached is summarised from libFuzzer's final stats.
#
# Usage: fuzz/run.sh BUILD_DIR
#   FUZZ_SECONDS=20    seconds per harness (ignored when FUZZ_RUNS is set)
#   FUZZ_RUNS=N        executions per harness instead of a time budget
#   FUZZ_ONLY="a b"    only these harnesses (names without the fuzz_ prefix)
#   FUZZ_KEEP_GOING="a b"  these harnesses (1: all) in libFuzzer's fork mode (one worker): it
#                      carries on after a crash, timeout or OOM, saving each input, and they are
#                      reported at the end. Several times slower (the worker restarts every job),
#                      so only for a harness with known, not yet fixed findings.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz/run.sh BUILD_DIR}
seconds=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:-}

if [[ ! -f $build/build.ninja ]]; then
  cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
cmake --build "$build"

# Debian's python3 has PIL for the JPEG seeds; any python3 writes the rest.
py=/usr/bin/python3
[[ -x $py ]] || py=python3
"$py" fuzz/make_corpus.py "$build/corpus"

# Stack traces for UBSan reports too (ASan prints them anyway).
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The harnesses write their inputs here (tmpfs when there is one); libFuzzer ends with _Exit, so
# the harnesses cannot clean up after themselves.
SS_FUZZ_SCRATCH=$(mktemp -d "$( [[ -d /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/sinkscope-fuzz.XXXXXX")
export SS_FUZZ_SCRATCH
trap 'rm -rf "$SS_FUZZ_SCRATCH"' EXIT
harnesses=${FUZZ_ONLY:-$(cd fuzz && ls fuzz_*.cpp | sed 's/^fuzz_//; s/\.cpp$//')}
mkdir -p "$build/logs"
status=0
for h in $harnesses; do
  keep_going=
  [[ ${FUZZ_KEEP_GOING:-} == 1 || " ${FUZZ_KEEP_GOING:-} " == *" $h "* ]] && keep_going=1
  # The image harness caps headers at 2^20 pixels (not image.h's 2^28, which took a minute per
  # input under ASan), but a legal progressive JPEG of that size with up to 1000 scans still
  # needs tens of seconds: slow, not hung.
  timeout=10
  [[ $h != image ]] || timeout=60
  args=(-timeout=$timeout -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$h/")
  case $h in
    pickle|pth) args+=(-dict=fuzz/dict/pickle.dict) ;;
    config_json|hf_tokenizer|gpt2_vocab|safetensors) args+=(-dict=fuzz/dict/json.dict) ;;
  esac
  if [[ -n $runs ]]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
  if [[ -n $keep_going ]]; then
    args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  rm -rf "$build/artifacts/$h"
  mkdir -p "$build/artifacts/$h"
  log=$build/logs/$h.log
  # Every input that once crashed this harness (fuzz/regressions/<harness>/) must pass first.
  if [[ -d fuzz/regressions/$h ]] &&
     ! "$build/fuzz_$h" fuzz/regressions/"$h"/* >"$build/logs/$h.regressions.log" 2>&1; then
    echo "fuzz: $h FAILED on a known regression input (log: $build/logs/$h.regressions.log)" >&2
    grep -m3 -E 'ERROR|runtime error|terminate|Running:' "$build/logs/$h.regressions.log" >&2 || true
    status=1
    [[ -n $keep_going ]] || continue
  fi
  start=$SECONDS
  if ! "$build/fuzz_$h" "${args[@]}" "$build/corpus/$h" >"$log" 2>&1; then
    echo "fuzz: $h FAILED (log: $log, input: $build/artifacts/$h/)" >&2
    grep -m3 -E 'ERROR|runtime error|terminate' "$log" >&2 || true
    status=1
    continue
  fi
  # One process: "#123456 DONE cov: 1234 ft: 5678 ..." and "stat::number_of_executed_units: N".
  # Fork mode: "#123456: cov: 1234 ft: 5678 corp: 90 exec/s 2000 oom/timeout/crash: 0/0/0 ...".
  last=$(grep -E '^#[0-9]+(:|[[:space:]]+DONE)' "$log" | tail -1)
  execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p' <<<"$last")
  per_s=$(( execs / (SECONDS - start > 0 ? SECONDS - start : 1) ))
  # crash-, leak-, timeout-, oom- files; slow-unit- ones (over 10 s, below the timeout) are not findings.
  found=$(ls "$build/artifacts/$h" | grep -vc '^slow-unit-' || true)
  printf 'fuzz: %-14s %10s execs %6s exec/s  %s  findings %s\n' "$h" "$execs" "$per_s" "$cov" "$found"
  [[ $found -eq 0 ]] || status=1
done
exit $status
