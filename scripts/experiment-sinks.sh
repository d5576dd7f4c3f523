#!/usr/bin/env bash
# The attention-variant experiment of issue #5 (docs/results.md): trains the same model with every
# variant on the same data and budget (skipped when DIR/<variant> already holds a finished run),
# then measures each: validation loss, Sink_1^0.3 / F-Attn / massive activations (`inspect --ids` on
# 100 validation sequences of 64 tokens), and streaming perplexity on one long stream under
# window:W, sink:4+(W-4) and recompute:W. On Bigram-Backcopy also copy accuracy and BOS attention at
# non-trigger positions (`eval backcopy`), streaming one long BB sequence with a single BOS; on text
# data (--text HELDOUT) the BOS column is the first-token attention of the last evaluation
# (metrics.jsonl `first_attn`) and the stream is the held-out file. Prints a Markdown table.
# Usage: scripts/experiment-sinks.sh [DIR] [--config CFG] [--text HELDOUT] [--window W]
#                                    [--stream-tokens N] [--variants "a b"]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=out/experiment-sinks config=configs/train/bb-softmax.json window=32 tokens=4096 heldout=
variants="softmax softmax1 sink_logit sigmoid elu1 gated_elementwise gated_headwise sink_token"
[[ $# -gt 0 && $1 != --* ]] && { dir=$1; shift; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --config) config=$2; shift 2 ;; --window) window=$2; shift 2 ;; --stream-tokens) tokens=$2; shift 2 ;;
    --text) heldout=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;; *) echo "experiment-sinks: unknown option $1" >&2; exit 2 ;;
  esac
done
bin=${SINKSCOPE:-build/sinkscope}
mkdir -p "$dir"
"$bin" data sample "$config" -n 100 --length 64 --out "$dir/probe.txt"
if [[ -n $heldout ]]; then stream_input=(--text "$heldout" --max-tokens "$tokens")
else "$bin" data stream "$config" -n "$tokens" --seed 7 --out "$dir/stream.txt"; stream_input=(--ids "$dir/stream.txt"); fi
for v in $variants; do
  m=$dir/$v
  if [[ ! -f $m/trainer_state.json ]] || ! grep -q "\"step\": $(/usr/bin/python3 -c "import json;print(json.load(open('$config'))['train']['steps'])")" "$m/trainer_state.json"; then
    "$bin" --threads 1 train lm --config "$config" --attention "$v" --out "$m" $([[ -f $m/trainer_state.json ]] && echo --resume)
  fi
  [[ -n $heldout ]] || "$bin" --threads 1 eval backcopy "$m" --out "$m/backcopy.json" >/dev/null
  "$bin" --threads 1 inspect "$m" --ids "$dir/probe.txt" --out "$m/inspect" >/dev/null 2>&1
  "$bin" --threads 1 stream "$m" "${stream_input[@]}" --cache "window:$window,sink:4+$((window - 4)),recompute:$window" \
    --ppl-window 512 --out "$m/stream.json" --plot "$m/stream.png" >/dev/null
done
/usr/bin/python3 - "$dir" $variants <<'PY'
import json, os, sys
d, variants = sys.argv[1], sys.argv[2:]
print("| variant | val loss | copy acc | BOS share (L0 / L1 ...) | Sink₁^0.3 | F-Attn | M-Act | massive | "
      "ppl window | ppl sink:4+ | ppl recompute |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for v in variants:
    m = f"{d}/{v}"
    last = [json.loads(l) for l in open(f"{m}/metrics.jsonl") if "val_loss" in l][-1]
    val = last["val_loss"]
    ins = json.load(open(f"{m}/inspect/report.json"))
    st = {r["cache"].split(":")[0]: r["ppl"] for r in json.load(open(f"{m}/stream.json"))["results"]}
    if os.path.exists(f"{m}/backcopy.json"):  # Bigram-Backcopy: at non-trigger positions
        bb = json.load(open(f"{m}/backcopy.json"))
        acc = f"{bb['copy_accuracy']:.3f}"
        bos = " / ".join(f"{row[0]:.3f}" for row in bb["bos_share_at_other"])
        if bb["first_position_is_sink_token"]:
            bos += " (sink token " + " / ".join(f"{row[0]:.3f}" for row in bb["first_share_at_other"]) + ")"
    else:  # text: position 0 (BOS, or the sink token) at every position of the last evaluation
        acc, bos = "—", " / ".join(f"{x:.3f}" for x in last["first_attn"])
    star = "*" if ins.get("proxy") else ""
    print(f"| {v} | {val:.4f} | {acc} | {bos} | {100 * ins['sink']['k1']:.1f}%{star} | "
          f"{ins['f_attn']['mean']:.3f}{star} | {ins['m_act']:.1f} | {ins['massive']['count']} | "
          f"{st['window']:.3f} | {st['sink']:.3f} | {st['recompute']:.3f} |")
PY
