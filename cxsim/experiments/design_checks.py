"""Checks of an experiment file against its base scenario, before anything runs.

The base scenario and the fixed overrides must load; each parameter path must
name a single value of the base scenario, and each listed value or range end is
tried as an override of it; column names must be free; the sampler must suit
the parameters. Every failure is an :class:`~cxsim.core.errors.InputError`
naming the experiment file and the key.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from cxsim.core.errors import InputError, ScenarioError, did_you_mean
from cxsim.experiments.design_schema import (
    _NAME_RE,
    RESERVED_PATHS,
    RUN_COLUMNS,
    ExperimentSpec,
    GridSampler,
    MorrisSampler,
    Parameter,
    RandomSampler,
    ResolvedParameter,
    SobolSampler,
    toml_literal,
)
from cxsim.model.metrics import STORE_COLUMNS, SUMMARY_METRICS, TIMESERIES_COLUMNS
from cxsim.model.scenario import Scenario, canonical_path, find_scenario_file, load_scenario


def resolve_base(spec: ExperimentSpec, path: Path) -> Scenario:
    """The base scenario with the file's fixed overrides, horizon and collection settings."""
    source = str(path)
    try:
        base = load_scenario(find_scenario_file(spec.scenario, path.parent))
    except ScenarioError as exc:
        raise InputError(source, "scenario", exc.expected, spec.scenario, exc.hint) from None
    for i, text in enumerate(spec.overrides):
        try:
            base = load_scenario(base, [text])
        except ScenarioError as exc:
            raise InputError(source, f"set.{i}", exc.expected, text, exc.hint) from None
    extra = [f"collect_purchases={'true' if 'purchases' in spec.output.tables else 'false'}"]
    if spec.output.collect_every is not None:
        extra.append(f"collect_every={spec.output.collect_every}")
    try:
        return load_scenario(base, extra, days=spec.days)
    except ScenarioError as exc:  # e.g. an event beyond a shortened horizon
        raise InputError(source, "days", exc.expected, spec.days, f"{exc.key} of the scenario") from None


def _walk(data: Any, parts: list[str]) -> tuple[Any, str | None, list[str]]:
    """Follow ``parts`` in resolved scenario data; return (value, bad part, its siblings)."""
    node = data
    for i, part in enumerate(parts):
        if isinstance(node, dict):
            if part not in node:
                return None, ".".join([*parts[:i], part]), [".".join([*parts[:i], k]) for k in node]
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                opts = [".".join([*parts[:i], str(k)]) for k in range(len(node))]
                return None, ".".join([*parts[:i], part]), opts
            node = node[int(part)]
        else:
            return None, ".".join(parts[: i + 1]), []
    return node, None, []


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def resolve_parameter(
    i: int, p: Parameter, spec: ExperimentSpec, base: Scenario, source: str
) -> ResolvedParameter:
    """Parameter ``i`` checked against the base scenario: its kind, its values or range."""
    key = f"parameters.{i}"
    parts = [s for s in canonical_path(p.path).split(".") if s]  # old behaviour keys too
    top = parts[0] if parts else ""
    if top in RESERVED_PATHS and len(parts) == 1:
        raise InputError(source, f"{key}.path", "a model parameter", p.path, RESERVED_PATHS[top])
    data = base.model_dump(mode="python")
    current, bad, siblings = _walk(data, parts)
    if bad is not None or isinstance(current, dict | list) or not parts:
        if bad is None:
            what = "a table" if isinstance(current, dict) else "a list"
            raise InputError(
                source,
                f"{key}.path",
                "the path of a single value (e.g. stores.giant.price)",
                p.path,
                f"{p.path} is {what}",
            )
        suggestion = did_you_mean(bad, siblings)
        if suggestion and len(bad.split(".")) < len(parts):
            suggestion = suggestion.rstrip("'?") + "." + ".".join(parts[len(bad.split(".")) :]) + "'?"
        raise InputError(
            source,
            f"{key}.path",
            f"a parameter path of scenario '{base.name}' (e.g. stores.giant.price)",
            p.path,
            suggestion or f"no key {bad!r}; see `cxsim show {base.name}`",
        )
    found = _kind(current)
    if found is None:  # an optional value that is unset (None): infer from the experiment
        sample = p.values[0] if p.values else None
        found = (_kind(sample) if sample is not None else None) or "float"
        found = "float" if found == "int" else found
    kind: str = found
    values: tuple[Any, ...] | None = None
    low = high = None
    if (p.values is None) == (p.range is None):
        raise InputError(
            source,
            key,
            "either `values = [...]` or `range = {low = ..., high = ...}`",
            "both" if p.values is not None else "neither",
        )
    if p.values is not None:
        if not p.values:
            raise InputError(source, f"{key}.values", "at least one value", [])
        values = tuple(_convert_value(source, f"{key}.values", kind, v) for v in p.values)
        if len(set(values)) != len(values):
            raise InputError(source, f"{key}.values", "distinct values", list(p.values))
        for j, v in enumerate(values):
            _trial(source, f"{key}.values.{j}", base, p, v)
    else:
        r = p.range
        assert r is not None
        if kind not in ("float", "int"):
            raise InputError(source, f"{key}.range", f"`values = [...]` for a {kind} parameter", "a range")
        if not r.high > r.low:
            raise InputError(
                source, f"{key}.range.high", f"a value above low ({r.low})", r.high, "empty range"
            )
        low, high = float(r.low), float(r.high)
        if kind == "int" and (low != int(low) or high != int(high)):
            raise InputError(
                source, f"{key}.range", "whole-number bounds for an integer parameter", [r.low, r.high]
            )
        for bound, v in (("low", low), ("high", high)):
            _trial(source, f"{key}.range.{bound}", base, p, int(v) if kind == "int" else v)
        if r.steps is not None:
            grid = np.linspace(low, high, r.steps)
            values = tuple(round(v) if kind == "int" else float(f"{v:.12g}") for v in grid)
            if len(set(values)) != len(values):
                raise InputError(
                    source,
                    f"{key}.range.steps",
                    f"at most {int(high - low) + 1} steps for an integer range",
                    r.steps,
                )
    return ResolvedParameter(i, p.path, p.column, kind, values, low, high)


def _convert_value(source: str, key: str, kind: str, value: Any) -> Any:
    ok = {
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
    }[kind]
    if kind == "int" and isinstance(value, float) and value == int(value):
        ok, value = True, int(value)
    if not ok:
        raise InputError(source, key, f"{'an' if kind == 'int' else 'a'} {kind} value", value)
    return float(value) if kind == "float" else value


def _trial(source: str, key: str, base: Scenario, p: Parameter, value: Any) -> None:
    """Apply ``path=value`` to the base scenario; a ScenarioError becomes an error of this file."""
    try:
        load_scenario(base, [f"{p.path}={toml_literal(value)}"])
    except ScenarioError as exc:
        raise InputError(source, key, f"{exc.expected} (at {exc.key or p.path})", value, exc.hint) from None


def check_names(params: list[ResolvedParameter], source: str) -> None:
    """Each path once; column names that are valid, unique and not taken by the result tables."""
    reserved = {*RUN_COLUMNS, *SUMMARY_METRICS, *TIMESERIES_COLUMNS, *STORE_COLUMNS}
    reserved |= {"scenario", "days", "window_days", "shoppers"}
    seen_paths: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for p in params:
        key = f"parameters.{p.index}"
        if p.path in seen_paths:
            raise InputError(
                source, f"{key}.path", "each path once", p.path, f"also parameters.{seen_paths[p.path]}"
            )
        if not _NAME_RE.match(p.column):
            raise InputError(source, f"{key}.name", "a name of letters, digits and _", p.column)
        if p.column in reserved:
            raise InputError(
                source, f"{key}.name", "a column name not used by the result tables", p.column, "set `name`"
            )
        if p.column in seen_names:
            raise InputError(source, f"{key}.name", "a unique name", p.column)
        seen_paths[p.path] = p.index
        seen_names[p.column] = p.index


def check_sampler(spec: ExperimentSpec, params: list[ResolvedParameter], source: str) -> None:
    """The sampler suits the parameters (grid steps, ranges, Sobol' N, Morris levels)."""
    s = spec.sampler
    for p in params:
        key = f"parameters.{p.index}"
        has_steps = p.values is not None and p.low is not None
        if isinstance(s, GridSampler):
            if p.values is None:
                raise InputError(
                    source,
                    f"{key}.range.steps",
                    "a number of steps (>= 2) for the grid sampler",
                    "nothing",
                    "or give `values = [...]`",
                )
        elif has_steps:
            raise InputError(
                source,
                f"{key}.range.steps",
                "no steps: only the grid sampler uses them",
                len(p.values or ()),
            )
        elif p.low is None and not isinstance(s, RandomSampler):
            raise InputError(
                source,
                f"{key}.values",
                f"a range = {{low = ..., high = ...}}: the {s.method} sampler draws from continuous ranges",
                list(p.values or ()),
            )
    if isinstance(s, SobolSampler):
        if s.samples & (s.samples - 1):
            lower = 1 << (s.samples.bit_length() - 1)
            raise InputError(
                source,
                "sampler.samples",
                "a power of 2 (the Sobol' sequence is balanced only then)",
                s.samples,
                f"try {lower} or {lower * 2}",
            )
        if len(params) < 2:
            raise InputError(source, "parameters", "at least 2 parameters for a Sobol analysis", len(params))
    if isinstance(s, MorrisSampler):
        if s.levels % 2:
            raise InputError(
                source,
                "sampler.levels",
                "an even number of levels (Morris steps of levels/(2(levels-1)) are symmetric only then)",
                s.levels,
            )
        for p in params:
            step = (p.high - p.low) / (s.levels - 1) if p.high is not None and p.low is not None else 0
            if p.kind == "int" and not math.isclose(step, round(step)):
                raise InputError(
                    source,
                    f"parameters.{p.index}.range",
                    f"for an integer parameter, a range whose {s.levels} levels are whole numbers",
                    [p.low, p.high],
                    f"make high - low a multiple of {s.levels - 1}",
                )


MAX_RUNS = 1_000_000
"""The largest design (points x replications) by default: a million runs is weeks of computing
for the default town, and the design table, its overrides and its digest still fit in memory
(about 1 GB). Set the environment variable ``CXSIM_MAX_RUNS`` to allow more."""
MAX_RUNS_ENV = "CXSIM_MAX_RUNS"


def max_runs() -> int:
    """The largest design allowed: ``CXSIM_MAX_RUNS`` if set (a whole number >= 1), else :data:`MAX_RUNS`."""
    text = os.environ.get(MAX_RUNS_ENV, "").strip()
    if not text:
        return MAX_RUNS
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(MAX_RUNS_ENV, "", "a whole number of runs >= 1", text)
    return value


def design_points(spec: ExperimentSpec) -> int:
    """The number of design points, computed from the file alone (nothing is sampled or tried)."""
    s = spec.sampler
    d = len(spec.parameters)
    if isinstance(s, GridSampler):
        return math.prod(
            len(p.values) if p.values is not None else (p.range.steps if p.range and p.range.steps else 1)
            for p in spec.parameters
        )
    if isinstance(s, SobolSampler):
        return s.samples * ((2 * d + 2) if s.second_order else (d + 2))
    if isinstance(s, MorrisSampler):
        return s.trajectories * (d + 1)
    return s.samples


def check_size(spec: ExperimentSpec, source: str) -> int:
    """The number of runs (points x replications), refused above :func:`max_runs` before sampling."""
    points = design_points(spec)
    runs = points * spec.replications
    limit = max_runs()
    if runs > limit:
        key = "sampler" if not isinstance(spec.sampler, GridSampler) else "parameters"
        raise InputError(
            source,
            key,
            f"a design of at most {limit:,} runs",
            f"{points:,} points x {spec.replications:,} replications = {runs:,} runs",
            f"fewer points or replications, or set {MAX_RUNS_ENV}",
        )
    return runs
