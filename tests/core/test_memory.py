"""The process-level memory setting for big towns (cxsim.core.memory)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_big_blocks_are_reused_not_mapped_afresh() -> None:
    """After keep_freed_memory a freed 64 MB block is reused: the kernel no longer maps and zeroes it."""
    code = textwrap.dedent(
        """
        import resource, sys
        import numpy as np
        from cxsim.core.memory import keep_freed_memory

        def faults():
            for _ in range(3):
                x = np.ones(8_000_000)  # 64 MB: above glibc's largest dynamic mmap threshold
                del x
            before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
            for _ in range(40):
                x = np.ones(8_000_000)
                del x
            return resource.getrusage(resource.RUSAGE_SELF).ru_stime - before

        default = faults()
        assert keep_freed_memory() is True
        kept = faults()
        print(default, kept)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    default, kept = map(float, out.stdout.split())  # kernel (system) CPU seconds of 40 blocks
    assert kept < default / 3, (default, kept)
