#!/usr/bin/env bash
# usage: ensure-debian-package.sh BINARY PACKAGE WHY
# Installs Debian PACKAGE when BINARY is not on PATH (tests that need it fail, never skip, without it).
set -euo pipefail
binary="$1"; package="$2"; why="$3"
if command -v "$binary" >/dev/null 2>&1; then exit 0; fi
echo "Installing Debian $package ($why)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null
command -v "$binary" >&2
