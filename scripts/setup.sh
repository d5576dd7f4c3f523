#!/usr/bin/env bash
# Installs the Debian packages that sinkscope's build, tests and demo need.
# Idempotent: prints nothing and touches nothing when everything is already there.
# Usage: scripts/setup.sh [--fuzz]
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev              # tensors, autograd, oneDNN bf16 (Debian 1.13)
  libopenblas0-openmp       # fp32 BLAS for torch (not the reference BLAS)
  nlohmann-json3-dev        # JSON (safetensors headers, configs, reports)
  libcli11-dev              # command line
  libpng-dev libjpeg-dev    # image decoding/encoding
  libzip-dev                # .pth (torch.save zip) archives
  libyaml-cpp-dev           # training configs written in YAML
  libgloo-dev               # gloo headers for libtorch's c10d ProcessGroupGloo (multi-process training)
  libpcre2-dev              # tokenizer pre-tokenization regexes (Unicode properties)
  sentencepiece             # spm_encode/spm_decode: the reference for .model tests (tests only)
  libgtest-dev libgmock-dev # unit tests
  libbenchmark-dev          # micro benchmarks
  python3-pil python3-numpy # test oracle for PIL's resampling (tests only)
)
# node + npm run the transformers.js tokenizer oracle (tests only). Any node already on the
# machine (e.g. NodeSource's, which bundles npm and conflicts with Debian's npm) is kept.
if ! command -v node >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi
if [[ "${1:-}" == "--fuzz" ]]; then
  pkgs+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
