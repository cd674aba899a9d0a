"""What machine a benchmark ran on: CPU, cores, memory, load, Python, numpy, BLAS."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (other people's work on a shared machine)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not Unix
        return []


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [f for f in ("avx2", "avx512f", "fma") if f in flags]
    except OSError:  # pragma: no cover
        pass
    return []


def _memory_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    return int(line.split()[1]) / 2**20
    except OSError:  # pragma: no cover
        pass
    return float("nan")


def _blas() -> str:
    """The BLAS numpy uses (threadpoolctl if installed, else numpy's build configuration)."""
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            i = infos[0]
            arch, threads = i.get("architecture"), i.get("num_threads")
            return f"{i.get('internal_api')} {i.get('version')} ({arch}, {threads} threads)"
    except ImportError:
        pass
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{cfg.get('name')} {cfg.get('version')} (from numpy's build configuration)"
    except Exception:  # pragma: no cover - numpy without show_config dicts
        return "unknown"


def _version(lib: str) -> str:
    try:
        return version(lib)
    except PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    """Everything about the machine and software that a figure depends on."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cpu_flags": _cpu_flags(),
        "cores": os.cpu_count(),
        "memory_gb": round(_memory_gb(), 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": _version("numpy"),
        "mesa": _version("mesa"),
        "pandas": _version("pandas"),
        "dask": _version("distributed"),
        "cxsim": _version("cxsim"),
        "blas": _blas(),
        "openblas_env": {
            k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ
        },
        "load_at_start": load_average(),
    }
