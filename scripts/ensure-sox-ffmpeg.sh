#!/usr/bin/env bash
# The file-format tests (core/audio/formats.test.ts, cli/predict-formats.test.ts) transcode corpus
# clips with Debian's sox and ffmpeg in their setup (no audio is committed); install them when missing.
set -euo pipefail
bash "$(dirname "$0")/ensure-debian-package.sh" sox sox "transcoding test recordings"
bash "$(dirname "$0")/ensure-debian-package.sh" ffmpeg ffmpeg "transcoding test recordings to MP3, FLAC, Vorbis, Opus"
