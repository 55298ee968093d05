#!/usr/bin/env bash
# Packs what scripts/device-check.sh needs on the lent GPU machine, which has python3 with CUDA
# PyTorch but no Node and no network, and takes at most 64 MiB per call (working tree included):
#
#   .devpack/node.xz               this machine's node binary (statically linked to glibc only)
#   .devpack/node_modules.tar.xz   exactly the node_modules files a traced smoke run of
#                                  scripts/webgpu-check.ts opened (tsx, esbuild, tfjs, dawn.node, ...)
#   .devpack/gl/*.deb              the Vulkan/EGL loaders (Debian), unpacked there as the device README says
#   .devpack/cases.tar.xz          the oracle's inputs, oracle/cases (node --import tsx oracle/export.ts)
#
# Usage: bash scripts/device-pack.sh        (then call the device tool with carry [".devpack"]; README "Reference backends")
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pack=.devpack
grep -qx '/.devpack/' .git/info/exclude 2>/dev/null || echo '/.devpack/' >>.git/info/exclude
rm -rf "$pack" && mkdir -p "$pack/gl"
trace=$(mktemp -d)
trap 'rm -rf "$trace"' EXIT

echo "== oracle inputs (oracle/cases)"
node --import tsx oracle/export.ts >/dev/null

echo "== tracing a smoke run on the software adapter to list the node_modules files it opens"
# TSX_DISABLE_CACHE: tsx must transpile (and so start esbuild's binary, an execve) as it will there.
TSX_DISABLE_CACHE=1 TFM_TF_BACKEND=webgpu strace -f -qq -e trace=openat,open,execve -o "$trace/strace" \
  node --no-node-snapshot --import tsx scripts/webgpu-check.ts --smoke --runs 1 --out "$trace/out" >"$trace/log" 2>&1 || {
  cat "$trace/log"
  exit 1
}
# Successful opens of regular files; resolved through the workspace links (node_modules/@tfm/* are
# links into the checkout, which travels by itself).
grep -v ' = -1 ' "$trace/strace" | grep -o '"[^"]*node_modules/[^"]*"' | tr -d '"' | sort -u |
  while read -r f; do
    [ -f "$f" ] || continue
    real=$(realpath "$f")
    case "$real" in
    "$root"/node_modules/.cache/*) ;; # the drivers' shader caches: built there
    "$root"/node_modules/*) echo "${real#"$root"/}" ;;
    esac
  done | sort -u >"$trace/files"
# Every package.json on the way (module resolution reads them; some were only stat'ed).
while read -r f; do
  d=$(dirname "$f")
  while [ "$d" != "node_modules" ] && [ "$d" != "." ]; do
    [ -f "$d/package.json" ] && echo "$d/package.json"
    d=$(dirname "$d")
  done
done <"$trace/files" | sort -u >>"$trace/files"
sort -u -o "$trace/files" "$trace/files"
echo "   $(wc -l <"$trace/files") files, $(xargs -a "$trace/files" du -cb | tail -1 | cut -f1) bytes before compression"
grep -q 'dawn.node$' "$trace/files" || { echo "dawn.node was not opened: is the software adapter (Mesa EGL) there?"; exit 1; }

echo "== compressing (xz)"
tar -cf - -T "$trace/files" | xz -T2 -6 >"$pack/node_modules.tar.xz"
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" >"$pack/node.xz"

echo "== Vulkan and EGL loaders (Debian packages, unpacked on the device machine)"
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64'
(cd "$pack/gl" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)

tar -cf - oracle/cases | xz -T2 -6 >"$pack/cases.tar.xz"

du -sh "$pack"/*
total=$(du -cb "$pack" | tail -1 | cut -f1)
# Tracked files that exist (another change may have deleted some): the rest of what travels.
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1 || true)
echo "carried: $((total / 1048576)) MiB + working tree $((tree / 1048576)) MiB (limit 64 MiB)"
[ $((total + tree)) -lt $((64 * 1048576)) ] || { echo "over the device tool's 64 MiB"; exit 1; }
