#!/usr/bin/env bash
# The demo behind `make demo`: detect a real checkpoint layout, run it on photos, and show how the
# per-layer token norms evolve (the first look at high-norm artifacts); then find and fix planted
# artifacts with test-time registers (before/after report at out/demo/report.html).
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
echo "outputs in $out/; open $out/report.html (before/after with test-time registers)"
