#!/usr/bin/env bash
# The demo behind `make demo`: detect a real checkpoint layout, run it on photos, and show how the
# per-layer token norms evolve (the first look at high-norm artifacts); then find and fix planted
# artifacts with test-time registers (before/after report at out/demo/report.html). The LLM half:
# attention-sink metrics of a real pretrained LM and of the shipped small models trained with softmax
# and with gated attention, side by side, and KV-cache streaming comparisons (out/demo/lm.html).
set -euo pipefail
bin=${1:-build/sinkscope}
assets=${SINKSCOPE_ASSETS:-../shared}
out=${DEMO_OUT:-out/demo}
mkdir -p "$out"
fx="$assets/fixtures/dinov2_vit_noreg_224"
if [[ ! -d "$fx" ]]; then
  echo "demo: assets not found at $assets (set SINKSCOPE_ASSETS or run scripts/fetch-assets.sh)" >&2
  exit 1
fi

echo "== sinkscope info: an original DINOv2 .pth state dict (tiny test model with the official layout)"
"$bin" info "$fx/original/model.pth"

echo
echo "== sinkscope trace: two photos through its DINOv2 eval transform (resize 256 bicubic, crop 224)"
photos=("$assets/images/imagenet_sample/n01440764_tench.JPEG" "$assets/images/voc_sample/JPEGImages/2007_000027.jpg")
"$bin" trace "$fx/original/model.pth" "${photos[@]}" --out "$out/trace.safetensors" \
  --tensors 'blocks.*.attn.probs' --summary

echo
echo "== conformance: the same model on the official pipeline's pixels vs the official outputs"
"$bin" trace "$fx/original/model.pth" --pixels "$fx/inputs.safetensors" --out "$out/fixture.safetensors" --summary

echo
echo "== a DINOv2-S/14-shaped random model: info and a short f32 vs bf16 benchmark"
"$bin" init configs/dinov2-s14.json --out "$out/dinov2-s14-random" --seed 0
"$bin" bench vit "$out/dinov2-s14-random" --batch 1 --reps 1 --warmup 0 --dtype f32,bf16 --json "$out/bench.json"
echo
echo "== diagnostics on the fixture model and two photos (random weights: no artifacts expected)"
"$bin" inspect "$fx/original/model.pth" "${photos[@]}" --out "$out/fixture-inspect"

echo
echo "== the planted model (docs/planted-model.md): known register neurons fire on flat patches"
"$bin" plant configs/planted-dinov2.json --out "$out/planted" --images 12
echo "-- inspect: where are the high-norm outliers?"
"$bin" inspect "$out/planted" "$out/planted/images" --out "$out/planted-inspect"
echo "-- registers find: which MLP neurons write them? (Jiang et al. 2025, Algorithm 1)"
"$bin" registers find "$out/planted" "$out/planted/images" --out "$out/planted/neurons.json"
echo "-- inspect with test-time registers: before/after report (Algorithm 2)"
"$bin" inspect "$out/planted" "$out/planted/images" --out "$out" --tt-registers "$out/planted/neurons.json"
echo
echo "== language models: stories260K (real, pretrained) - sink metrics on natural text, then a stream"
m260="$assets/models/stories260K"
"$bin" inspect "$m260/stories260K.bin" --tokenizer "$m260/tok512.bin" --text "$assets/data/tinystories_val.txt" \
  --num-seqs 20 --out "$out/lm-stories260K"
"$bin" stream "$m260/stories260K.bin" --tokenizer "$m260/tok512.bin" --text "$assets/data/tinystories_val.txt" \
  --max-tokens 1500 --ppl-window 100 --cache dense,window:128,sink:4+124 --dense-limit 0 \
  --out "$out/stream-stories260K.json" --plot "$out/stream-stories260K.png"
echo
echo "== the shipped Bigram-Backcopy models (docs/training.md): softmax vs gated attention, side by side"
"$bin" data sample models/bb-softmax -n 50 --length 64 --out "$out/bb-probe.txt"
"$bin" data stream models/bb-softmax -n 2048 --seed 7 --out "$out/bb-stream.txt"
for v in softmax gated; do
  "$bin" eval backcopy "models/bb-$v" -n 32 --out "$out/bb-$v-backcopy.json"
  "$bin" inspect "models/bb-$v" --ids "$out/bb-probe.txt" --out "$out/lm-bb-$v"
  "$bin" stream "models/bb-$v" --ids "$out/bb-stream.txt" --cache window:32,sink:4+28 --ppl-window 256 \
    --out "$out/stream-bb-$v.json" --plot "$out/stream-bb-$v.png"
done
{
  echo "<!doctype html><meta charset=utf-8><title>sinkscope demo: attention sinks in LMs</title>"
  echo "<style>body{font-family:sans-serif;margin:2em}td{vertical-align:top;padding:0 1em}img{width:360px;image-rendering:pixelated}</style>"
  echo "<h1>Attention sinks: softmax vs gated attention</h1><table><tr><th></th><th>bb-softmax</th><th>bb-gated</th><th>stories260K</th></tr>"
  for h in alpha1 f_attn hidden_norm; do
    echo "<tr><td>$h</td>"
    for d in lm-bb-softmax lm-bb-gated lm-stories260K; do echo "<td><img src=\"$d/heatmaps/$h.png\"></td>"; done
    echo "</tr>"
  done
  echo "<tr><td>verdict</td>"
  for d in lm-bb-softmax lm-bb-gated lm-stories260K; do
    echo "<td>$(/usr/bin/python3 -c "import json,html,sys;print(html.escape(json.load(open(sys.argv[1]))['verdict']))" "$out/$d/report.json")</td>"
  done
  echo "</tr><tr><td>stream</td><td><img src=\"stream-bb-softmax.png\"></td><td><img src=\"stream-bb-gated.png\"></td>"
  echo "<td><img src=\"stream-stories260K.png\"></td></tr></table>"
  echo "<p>Full reports: <a href=lm-bb-softmax/report.html>bb-softmax</a>, <a href=lm-bb-gated/report.html>bb-gated</a>,"
  echo "<a href=lm-stories260K/report.html>stories260K</a>. Measured results and their caveats: docs/results.md.</p>"
} > "$out/lm.html"
echo
echo "outputs in $out/; open $out/report.html (before/after with test-time registers) and $out/lm.html (LM sinks)"
