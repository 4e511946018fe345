#!/usr/bin/env bash
# Runs the Stryker parts one after another (default: cpu layers wasm), each with its own report
# and incremental file in test-output/mutation/, so an interrupted run keeps the parts it finished.
# Usage: scripts/mutation-parts.sh [part ...]   (extra Stryker flags via STRYKER_FLAGS)
set -u
cd "$(dirname "$0")/.."
mkdir -p test-output/mutation
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(cpu layers wasm)
for part in "${parts[@]}"; do
  start=$(date +%s)
  echo "== $part start $(date -u +%H:%M:%S)"
  TFJS_FAKE_QUANT_MUTATE=$part npx stryker run --incremental ${STRYKER_FLAGS:-} \
    > "test-output/mutation/$part.log" 2>&1
  echo "== $part exit $? after $(( $(date +%s) - start )) s"
done
