#!/usr/bin/env bash
# Training throughput of `sinkscope train lm` vs a plain PyTorch-eager implementation of the same
# model and optimiser (bench/python/train_baseline.py, Debian python3-torch), measured alternately
# in one run with the same threads; prints each repeat and the medians (docs/benchmarks.md).
# Usage: scripts/bench-train.sh [CONFIG] [--steps N] [--threads T] [--repeats R] [--bf16]
set -euo pipefail
cd "$(dirname "$0")/.."
config=configs/train/bb-softmax.json steps=40 threads=1 repeats=3 bf16=""
[[ $# -gt 0 && $1 != --* ]] && { config=$1; shift; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --steps) steps=$2; shift 2 ;; --threads) threads=$2; shift 2 ;; --repeats) repeats=$2; shift 2 ;;
    --bf16) bf16=--bf16; shift ;; *) echo "bench-train: unknown option $1" >&2; exit 2 ;;
  esac
done
bin=${SINKSCOPE:-build/sinkscope}
py=/usr/bin/python3  # Debian's python, where python3-torch lives
$py -c 'import torch' 2>/dev/null || { echo "bench-train: needs Debian python3-torch (apt-get install python3-torch)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Same config, untimed extras off; 3 warm-up steps are excluded on both sides.
$py - "$config" "$tmp/c.json" "$steps" "$bf16" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); t = c["train"]
t.update(steps=int(sys.argv[3]) + 3, log_every=1, eval_every=0, checkpoint_every=0, eval_batches=1)
t["dtype"] = "bf16" if sys.argv[4] else "f32"
json.dump(c, open(sys.argv[2], "w"))
PY
ours=() theirs=()
for r in $(seq "$repeats"); do
  rm -rf "$tmp/run"
  "$bin" --threads "$threads" train lm --config "$tmp/c.json" --out "$tmp/run" >/dev/null
  o=$($py - "$tmp/run/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
a, b = rows[2], rows[-1]  # after step 3 .. the last step
print((b["tokens"] - a["tokens"]) / (b["elapsed_s"] - a["elapsed_s"]))
PY
)
  p=$($py bench/python/train_baseline.py "$tmp/c.json" --steps "$steps" --threads "$threads" $bf16 |
      $py -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])')
  printf 'repeat %d: sinkscope %.0f tok/s, pytorch-eager %.0f tok/s, ratio %.2f\n' "$r" "$o" "$p" "$(echo "$o / $p" | bc -l)"
  ours+=("$o") theirs+=("$p")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ours[@]}") mp=$(median "${theirs[@]}")
printf 'median: sinkscope %.0f tok/s, pytorch-eager %.0f tok/s, ratio %.2f (config %s, %d steps, %d threads%s)\n' \
  "$mo" "$mp" "$(echo "$mo / $mp" | bc -l)" "$config" "$steps" "$threads" "${bf16:+, bf16 autocast}"
