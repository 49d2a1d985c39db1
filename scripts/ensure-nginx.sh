#!/usr/bin/env bash
# deploy/nginx/scale-out.test.ts runs Debian nginx (own config in a temp dir, not the system service).
PATH="$PATH:/usr/sbin" exec bash "$(dirname "$0")/ensure-debian-package.sh" nginx nginx "scale-out test behind a load balancer"
