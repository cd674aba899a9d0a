"""Process-level memory settings for big towns.

glibc's ``malloc`` serves every block above a threshold (at most 32 MB, adjusted
dynamically) with a fresh ``mmap`` and returns it to the system when freed. A day
of a 10,000,000-shopper town allocates and frees many temporaries of 50-100 MB
(the day's ~195,000 shoppers, 2% of the town, x stores x attributes), so each of them is mapped
afresh and every page of it faults in again: 15% of the process's CPU time went
to the kernel in `benchmarks/child.py` runs (docs/PERFORMANCE.md). Raising the
threshold keeps such blocks in the heap and reuses them; the results do not
change (only where memory comes from).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
KEEP_BYTES = 1 << 30
"""Blocks up to 1 GiB come from the heap and freed memory up to 1 GiB stays there."""


@functools.cache
def keep_freed_memory() -> bool:
    """Have glibc keep freed blocks of up to 1 GiB for reuse (once per process; Linux with glibc only).

    Returns whether the setting took effect (``False`` elsewhere: nothing changes).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: leave it
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
