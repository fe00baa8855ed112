#!/usr/bin/env bash
# Installs the Debian 12 packages llmc needs to build, cross-link and test:
# LLVM/MLIR 22, clang/lld 22, the AArch64 and RISC-V cross C libraries, qemu
# user mode, ONNX/protobuf, GoogleTest sources, python3-numpy for the test
# model generator and the numerical reference, Eigen (SVD of the low-rank
# factorization pass), python3-regex for the byte-level BPE reference
# (utils/hf-bpe-reference.py).
set -euo pipefail

packages=(
  cmake ninja-build ccache file
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libclang-rt-22-dev
  qemu-user libc6-dev-arm64-cross libc6-dev-riscv64-cross
  libgcc-12-dev-arm64-cross libgcc-12-dev-riscv64-cross
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev python3 python3-numpy libeigen3-dev
  python3-regex
  python3-onnx nodejs
)
# Debian's npm (a nodejs from elsewhere may bundle its own).
command -v npm >/dev/null || packages+=(npm)

# ONNX Runtime for node (the numerical reference of the ONNX importer tests),
# pinned by third_party/onnxruntime/package-lock.json.
install_onnxruntime() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/third_party/onnxruntime"
  if [ ! -d "$dir/node_modules/onnxruntime-node" ]; then
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund)
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  install_onnxruntime
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
install_onnxruntime
