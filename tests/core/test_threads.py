"""One BLAS thread while a day is simulated (cxsim.core.threads)."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from cxsim.core.threads import one_blas_thread


def _blas_threads() -> list[int]:
    return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


def test_one_blas_thread_inside_and_the_callers_setting_after() -> None:
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    before = _blas_threads()
    with one_blas_thread():
        inside = _blas_threads()
    assert inside and all(n == 1 for n in inside)
    assert _blas_threads() == before
