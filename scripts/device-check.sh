#!/usr/bin/env bash
# The GPU check, in one call of the device tool (an NVIDIA machine: python3 with CUDA PyTorch, no
# Node, no network). Pack first, here: `bash scripts/device-pack.sh`. Then, with the device tool:
#
#   run  command: "bash scripts/device-check.sh"   carry: [".devpack"]   timeout_s: 540
#
# It runs, and writes into oracle/results/ (and copies to $OUT, which comes back):
#   1. the PyTorch CUDA oracle agreement against the goldens (python3 -m oracle agreement --device cuda)
#      -> oracle/results/gpu-agreement.md and .json;
#   2. the references on webgpu with the hardware adapter the default ladder must take: oracle and
#      backend agreement, and the reference stage per backend (scripts/webgpu-check.ts)
#      -> appended to gpu-agreement.md, figures in oracle/results/webgpu-bench.json.
#
# `bash scripts/device-check.sh --software` tests the same script on a machine without a GPU (this
# project's CI machines): the webgpu rung forced onto Mesa's llvmpipe, PyTorch on the CPU, results
# in $OUT or bench-results/device-check (never over the committed files). Extra arguments name
# exercises (default: every covered one).
set -uo pipefail
cd "$(dirname "$0")/.."
mode=hardware
if [ "${1:-}" = "--software" ]; then
  mode=software
  shift
fi
out=${OUT:-bench-results/device-check}
mkdir -p "$out"
pack=.devpack
status=0
step() { echo "== $(date -u +%H:%M:%S) $*"; }
unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi; }

if [ "$mode" = hardware ]; then
  step "unpacking node, node_modules and the oracle inputs (.devpack)"
  [ -f "$pack/node.xz" ] || { echo "no $pack: run 'bash scripts/device-pack.sh' and carry .devpack"; exit 2; }
  bin=$(mktemp -d)
  unxz "$pack/node.xz" >"$bin/node" && chmod +x "$bin/node"
  export PATH="$bin:$PATH"
  unxz "$pack/node_modules.tar.xz" | tar -xf -
  unxz "$pack/cases.tar.xz" | tar -xf -
  # The npm workspaces' links (node_modules/@tfm/* -> the checkout), as npm ci would make them.
  for d in packages/* apps/* exercises reference test; do
    [ -f "$d/package.json" ] || continue
    name=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$d/package.json")
    mkdir -p "node_modules/$(dirname "$name")"
    ln -sfn "$(realpath --relative-to="node_modules/$(dirname "$name")" "$d")" "node_modules/$name"
  done
  step "Vulkan and EGL loaders (as the device README says)"
  for f in "$pack"/gl/*.deb; do dpkg -x "$f" /; done
  # dawn.node opens the unversioned libEGL.so (its GL route, tried when Vulkan finds nothing).
  lib=/usr/lib/x86_64-linux-gnu
  [ -e "$lib/libEGL.so" ] || [ ! -e "$lib/libEGL.so.1" ] || ln -s libEGL.so.1 "$lib/libEGL.so"
  ldconfig
  if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  results=oracle/results
  torch_device=cuda
else
  results=$out
  torch_device=cpu
  export TFM_TF_BACKEND=webgpu
  [ -d oracle/cases ] || node --import tsx oracle/export.ts >/dev/null
fi
echo "node $(node --version)"

# The first python3 that has PyTorch (the device's own; Debian's /usr/bin/python3 here).
python=python3
for c in python3 /usr/bin/python3; do
  if "$c" -c 'import torch' 2>/dev/null; then python=$c; break; fi
done
step "PyTorch oracle agreement (--device $torch_device, $python)"
py=$(mktemp -d)
if ! "$python" -c 'import rdkit' 2>/dev/null; then
  # The device machine has no RDKit; the agreement computes no RDKit exercise (their goldens hold no
  # device arithmetic) but the oracle imports RDKit at start. A stand-in that answers every name.
  mkdir -p "$py/rdkit/Chem"
  cat >"$py/rdkit/__init__.py" <<'EOF'
class _Absent:
    rdkitVersion = "absent (device machine)"
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
Chem = RDLogger = rdBase = _Absent()
EOF
  echo 'from rdkit import Chem as rdChemReactions' >"$py/rdkit/Chem/__init__.py"
fi
PYTHONPATH="$py${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 "$python" -m oracle agreement --device "$torch_device" --out "$results" || status=1

step "TensorFlow.js references on webgpu: oracle and backend agreement, reference stage per backend"
hw=()
[ "$mode" = hardware ] && hw=(--require-hardware)
node --no-node-snapshot --import tsx scripts/webgpu-check.ts "${hw[@]}" --out "$results/webgpu" "$@" || status=1
if [ -f "$results/webgpu/webgpu-agreement.md" ] && [ -f "$results/gpu-agreement.md" ]; then
  { echo; cat "$results/webgpu/webgpu-agreement.md"; } >>"$results/gpu-agreement.md"
fi
[ -f "$results/webgpu/webgpu-bench.json" ] && mv "$results/webgpu/webgpu-bench.json" "$results/webgpu-bench.json"
rm -rf "$results/webgpu"

if [ "$results" != "$out" ]; then cp "$results"/gpu-agreement.md "$results"/gpu-agreement.json "$results"/webgpu-bench.json "$out"/ 2>/dev/null; fi
step "done (status $status); results in $results"
exit $status
