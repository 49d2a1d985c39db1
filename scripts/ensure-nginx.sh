#!/usr/bin/env bash
# deploy/nginx/scale-out.test.ts runs Debian's nginx (its own config in a temp dir, not the
# system service) in front of two servers; install it when missing (the test fails without it).
set -euo pipefail
if [ -x /usr/sbin/nginx ]; then exit 0; fi
echo "Installing Debian nginx (scale-out test behind a load balancer)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
/usr/sbin/nginx -v >&2
