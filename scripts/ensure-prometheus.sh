#!/usr/bin/env bash
# deploy/monitoring.test.ts checks deploy/prometheus/alerts.yml with promtool (Debian prometheus).
exec bash "$(dirname "$0")/ensure-debian-package.sh" promtool prometheus "promtool checks the alert rules"
