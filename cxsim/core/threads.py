"""One BLAS thread while the model simulates a day.

The nested logit sums each nest's weights with one small matrix product
(:func:`cxsim.rules.nesting`), the model's only BLAS call. From about 1,000 rows (the
day's shoppers of a town of some 50,000) OpenBLAS runs such a product on every core:
on a 2-core machine whose other core is busy (a second sweep worker, another
process) its threads wait for each other, and a day of a 1,000,000-shopper town took
1.7x as long (docs/PERFORMANCE.md). Each output element is computed by one thread
either way, so the results do not change. ``threadpoolctl`` sets the limit for the
day and restores the caller's setting after it.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> Any:
    """The process's BLAS libraries, found once (``threadpoolctl`` is untyped)."""
    return ThreadpoolController()


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """A context in which BLAS uses one thread (about 16 µs to enter and leave)."""
    limit: contextlib.AbstractContextManager[Any] = _controller().limit(limits=1, user_api="blas")
    return limit
