#!/usr/bin/env bash
# Model fitting runs on Debian's PyTorch (python3-torch) through /usr/bin/python3; install it when
# missing. The python3 first on PATH may be another interpreter without torch.
# Debian's torch is built against the generic BLAS interface (libblas.so.3), which on a plain
# install is the reference BLAS: a 9600x168 by 168x64 product took 31.6 ms on one thread, 3.1 ms
# with OpenBLAS. libopenblas0-serial (single-threaded: fitting runs one PyTorch thread per process)
# takes over libblas.so.3 through update-alternatives, so torch and numpy use it (docs/decisions.md).
set -euo pipefail
has_torch() { /usr/bin/python3 -c 'import torch' 2>/dev/null; }
has_openblas() { dpkg-query -W -f='${Status}' libopenblas0-serial 2>/dev/null | grep -q 'install ok installed'; }
if has_torch && has_openblas; then exit 0; fi
echo "Installing Debian python3-torch and libopenblas0-serial (model fitting)..." >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch libopenblas0-serial >/dev/null
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)' >&2
