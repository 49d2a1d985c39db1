#!/usr/bin/env bash
# The teacher for the shipped split: mn04 embeddings of every corpus clip, a linear head, and its
# scores of the shipped split's training and validation clips in $UNDERTONE_TEACHER/soft/ship.json
# (default /work/cache/teacher), for `undertone train --preset wideband --teacher
# $UNDERTONE_TEACHER/soft/ship.json` (the distilled ensembles tried 2026-12-04; docs/accuracy.md,
# "The shipped codec recipe distilled from mn04"). About 6 minutes on 2 cores.
#
#   npm run build && npm run teacher:ship [-- --corpora DIR]
#
# Steps (docs/accuracy.md "The shipped codec recipe distilled from mn04"): trimmed PCM as core
# decodes it (dump-pcm), frozen mn04 embeddings (embed.py), the shipped split's speakers from the
# same function `undertone train` uses (ship-split), the head chosen on that split's validation
# speakers (probe.py; a plan without CV folds, so only the shipped split), and its cross-fitted
# scores of the training clips (soft_labels.py). No test speaker's clip is scored.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${UNDERTONE_TEACHER:-/work/cache/teacher}"
CORPORA=()
if [ "${1:-}" = "--corpora" ]; then CORPORA=(--corpora "$2"); fi
[ -f dist/training/teacher/dump-pcm.js ] || { echo "teacher:ship: run npm run build first (dist/ is missing)" >&2; exit 2; }
bash scripts/ensure-torch.sh
mkdir -p "$DIR"
step() { echo "teacher:ship: $1 ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }
step "1/5 trimmed PCM"
node dist/training/teacher/dump-pcm.js "${CORPORA[@]}" --out "$DIR"
step "2/5 mn04 embeddings"
/usr/bin/python3 training/teacher/embed.py --dir "$DIR" --workers 2
step "3/5 the shipped split"
node dist/training/teacher/ship-split.js "${CORPORA[@]}" --out "$DIR/ship-split.json"
echo '{"folds": []}' > "$DIR/plan-ship-only.json"
step "4/5 the head, chosen on the split's validation speakers"
/usr/bin/python3 training/teacher/probe.py --dir "$DIR" --plan "$DIR/plan-ship-only.json" --heads linear
step "5/5 soft labels"
/usr/bin/python3 training/teacher/soft_labels.py --dir "$DIR" --plan "$DIR/plan-ship-only.json" --head linear --only ship
step "done: $DIR/soft/ship.json"
