#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, lints (biome), builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-torch.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-prometheus.sh
bash scripts/ensure-nginx.sh
bash scripts/ensure-redis.sh
bash scripts/ensure-sox-ffmpeg.sh
[ -d node_modules ] || npm ci
npm run lint
npm run build
npx vitest run "$@"
