#!/usr/bin/env bash
# Model fitting runs on Debian's PyTorch (python3-torch) through /usr/bin/python3; install it when
# missing. The python3 first on PATH may be another interpreter without torch.
set -euo pipefail
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then exit 0; fi
echo "Installing Debian python3-torch (model fitting)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch >/dev/null
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)' >&2
