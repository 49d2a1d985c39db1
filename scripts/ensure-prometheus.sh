#!/usr/bin/env bash
# deploy/monitoring.test.ts checks deploy/prometheus/alerts.yml with promtool, from Debian's
# prometheus package; install it when missing (the test fails, never skips, without it). Only
# the promtool binary is used: the package's prometheus service is stopped if it started.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then exit 0; fi
echo "Installing Debian prometheus (promtool checks the alert rules)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq prometheus >/dev/null
promtool --version 2>&1 | head -1 >&2
