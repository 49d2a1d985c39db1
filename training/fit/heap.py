"""glibc malloc settings for the fitting processes.

By default glibc hands every block above a threshold (which adapts, but never above 32 MB) back to
the kernel when it is freed, and trims the heap's top whenever more than twice that is free; the
next allocation then faults in fresh zeroed pages. PyTorch frees and re-allocates its activation
maps every batch, so the 2-D convolutions' multi-megabyte maps paid page faults in every
operation: measured here (torch 1.13, one thread), a ReLU over a 49 MB map took 142 ms, 2.3 ms
with the settings below, and a training step of the 2-D CNN (`--arch cnn2d`) went from 13-22 ms
to 4.8 ms a window (docs/decisions.md). The 1-D CNN's maps are small and did not change.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Blocks up to 256 MB come from the heap and stay there when freed; the heap is never trimmed.
MMAP_THRESHOLD_BYTES = 256 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 2**31 - 1


def keep_freed_memory():
    """Keeps freed blocks in the process (no mmap/munmap or heap trim per batch). Returns whether
    glibc took the settings (False on a C library without mallopt, where nothing changes)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
