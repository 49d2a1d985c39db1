#!/usr/bin/env bash
# The demo page test (web/demo.test.ts) drives Debian's Chromium at /usr/bin/chromium through
# playwright-core; install it when missing (the test fails, never skips, without it).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing Debian chromium (browser test of the demo page)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2
