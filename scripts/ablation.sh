#!/usr/bin/env bash
# RAVDESS 6-fold speaker-independent cross-validation of recipe variants (the ablation table in
# docs/accuracy.md). Each run writes docs/evaluation/cv-ravdess-TAG.{json,md,svg}. ~15 min a run
# on 2 idle cores. ABLATION_ARGS adds flags to every run (e.g. "--threads 1"). Usage: bash scripts/ablation.sh [TAG...]  (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
COMMON=(--cv ravdess --folds 6 --epochs 30 --patience 8 ${ABLATION_ARGS:-})
declare -A RUNS=(
  [plain]="--corpus ravdess --augment 0 --no-specaugment --no-balance"
  [aug]="--corpus ravdess --augment 2 --no-specaugment"
  [aug-spec]="--corpus ravdess --augment 2"
  [aug-spec-cmn]="--corpus ravdess --augment 2 --cmn"
  [aug-spec-extra]="--augment 2 --cv-extra"
  [aug-spec-w2]="--corpus ravdess --augment 2 --window 2"
  [aug-spec-w4]="--corpus ravdess --augment 2 --window 4"
  [aug-spec-2d]="--corpus ravdess --augment 2 --arch cnn2d --channels 8,16,32"
)
TAGS=("$@")
[ ${#TAGS[@]} -eq 0 ] && TAGS=(plain aug aug-spec aug-spec-cmn aug-spec-extra aug-spec-w2 aug-spec-w4)
for tag in "${TAGS[@]}"; do
  echo "== $tag: undertone train ${COMMON[*]} ${RUNS[$tag]} --tag $tag" >&2
  # shellcheck disable=SC2086
  node dist/cli/main.js train "${COMMON[@]}" ${RUNS[$tag]} --tag "$tag" | tail -1
done
