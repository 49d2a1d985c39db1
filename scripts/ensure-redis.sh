#!/usr/bin/env bash
# The Redis tests (server/events/redis-bus.test.ts) start their own Debian redis-server on a free
# port (never the system service); install it when missing (the tests fail, never skip, without it).
set -euo pipefail
if [ -x /usr/bin/redis-server ]; then exit 0; fi
echo "Installing Debian redis-server (session bus tests)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
# Debian enables the service; the tests do not use it.
$SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
/usr/bin/redis-server --version >&2
