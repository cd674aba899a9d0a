"""Figures of a validation: one per pattern, its replications, mean and 95% CI against the target."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim.experiments.validation import Validation
from cxsim.experiments.validation_measures import store_band
from cxsim.experiments.validation_patterns import Pattern, fmt_num, fmt_pct

STATUS_TITLE = {"pass": "pass", "fail": "FAIL", "finding": "finding (documented)"}
"""A check's status as a panel's title shows it."""


def write_figures(result: Validation, folder: Path) -> None:
    """Draw ``folder/<pattern id>.png`` for every pattern of a validation."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in result.patterns:
        pattern_figure(p, result.table, result.replications, folder / f"{p.id}.png")
    if not result.elasticities.empty:
        elasticity_figure(result.elasticities, folder / "elasticities.png", store_band(result.table))


def elasticity_figure(table: pd.DataFrame, path: Path, band: tuple[float, float] | None = None) -> None:
    """Each store's own-price elasticity and the category's, with 95% CIs, against a store's band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(table) + 2), 4.5))
    x = np.arange(len(table))
    if band is not None:
        lo_b, hi_b = band
        ax.axhspan(
            lo_b, hi_b, color="tab:green", alpha=0.15, lw=0, label=f"band of a store ({lo_b:g} to {hi_b:g})"
        )
    ax.axhline(0, color="0.3", lw=0.8)
    value = table["elasticity"].to_numpy(float)
    lo, hi = table["ci_low"].to_numpy(float), table["ci_high"].to_numpy(float)
    err = np.where(np.isfinite(lo), [value - lo, hi - value], 0.0)
    colors = ["tab:purple" if k == "category" else "tab:blue" for k in table["kind"]]
    ax.bar(x, value, color=colors, alpha=0.75)
    ax.errorbar(x, value, yerr=err, fmt="none", ecolor="black", capsize=5, label="mean, 95% CI")
    ax.set_xticks(x, [textwrap.fill(str(s), 12) for s in table["store"]], fontsize=8)
    ax.set_ylabel("price elasticity of purchases")
    step = float(table["step"].iloc[0])
    reps = int(table["reps"].max())
    ax.set_title(
        f"Own-price elasticities (each store's price x (1 ± {step:.0%}), rivals fixed) and the category's "
        f"(all prices together); {reps} paired replications",
        fontsize=9,
        wrap=True,
    )
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pattern_figure(p: Pattern, table: pd.DataFrame, reps: pd.DataFrame, path: Path) -> None:
    """One figure per pattern: each check's replications, mean and 95% CI against the band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    rows = table[table["pattern"] == p.id].reset_index(drop=True)
    n = len(rows)
    fig, axes = plt.subplots(1, n, figsize=(max(6.5, 0.6 + 3.0 * n), 5.0), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, (_, r), check in zip(axes[0], rows.iterrows(), p.checks, strict=True):
        vals = reps[(reps["pattern"] == p.id) & (reps["check"] == r["check"])]["value"].to_numpy(float)
        finite = vals[np.isfinite(vals)]
        lo, hi = float(r["band_low"]), float(r["band_high"])
        shown = [*finite.tolist(), *(v for v in (lo, hi, r["ci_low"], r["ci_high"]) if np.isfinite(v))]
        if check.is_comparison:
            shown.append(0.0)
        ymin, ymax = (min(shown), max(shown)) if shown else (0.0, 1.0)
        pad = 0.15 * (ymax - ymin or abs(ymax) or 1.0)
        ymin, ymax = ymin - pad, ymax + pad
        ax.axhspan(max(lo, ymin), min(hi, ymax), color="tab:green", alpha=0.18, lw=0, label="target")
        if check.point is not None:
            ymin, ymax = min(ymin, check.point), max(ymax, check.point)
            ax.axhline(check.point, color="tab:orange", lw=1.5, ls=":", label="published figure")
        for b in (lo, hi):
            if ymin <= b <= ymax:
                ax.axhline(b, color="tab:green", lw=1, ls="--" if check.is_comparison else "-")
        ax.scatter(
            rng.uniform(-0.12, 0.12, finite.size), finite, s=22, color="0.55", zorder=3, label="replications"
        )
        if np.isfinite(r["value"]):
            err = None
            if np.isfinite(r["ci_low"]):
                err = [[r["value"] - r["ci_low"]], [r["ci_high"] - r["value"]]]
            color = {"pass": "tab:blue", "finding": "tab:orange"}.get(str(r["status"]), "tab:red")
            ax.errorbar(
                [0.3],
                [r["value"]],
                yerr=err,
                fmt="D",
                color=color,
                capsize=6,
                ms=7,
                zorder=4,
                label="mean, 95% CI",
            )
        ax.set_xlim(-0.5, 0.7)
        ax.set_ylim(ymin, ymax)
        ax.set_xticks([])
        ax.set_title(
            textwrap.fill(str(r["label"]), 34) + f"\n{STATUS_TITLE[str(r['status'])]}",
            fontsize=9,
            color={"pass": "black", "finding": "tab:orange"}.get(str(r["status"]), "tab:red"),
        )
        if r["percent"]:
            digits = 1 if ymax - ymin < 0.08 else 0
            if check.is_comparison:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, d=digits: f"{100 * v:+.{d}f} pp"))
            else:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, d=digits: f"{v:.{d}%}"))
        if check.is_comparison:
            sub = reps[(reps["pattern"] == p.id) & (reps["check"] == r["check"])]
            fmt = fmt_pct if r["percent"] else fmt_num
            sides = check.metric.split(check.op or ">")
            left, right = fmt(sub["left"].mean()), fmt(sub["right"].mean())
            note = "\n".join(
                textwrap.fill(f"{side.strip()}: {val}", 44)
                for side, val in zip(sides, (left, right), strict=True)
            )
            ax.text(
                0.5,
                -0.04,
                note,
                transform=ax.transAxes,
                ha="center",
                va="top",
                fontsize=7,
                wrap=True,
            )
            ax.set_ylabel(f"difference ({'left − right' if check.op == '>' else 'right − left'})", fontsize=8)
        else:
            ylabel = check.metric if len(check.metric) <= 40 else "value"
            ax.set_ylabel(ylabel, fontsize=8)
    legend: dict[str, Any] = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    fig.legend(
        list(legend.values()),
        list(legend),
        fontsize=7,
        loc="lower center",
        ncol=4,
        frameon=False,
        bbox_to_anchor=(0.5, 0.055),
    )
    statuses = set(rows["status"])
    verdict = "FAIL" if "fail" in statuses else ("a documented finding" if "finding" in statuses else "pass")
    fig.suptitle(textwrap.fill(f"{p.id} {p.name} — {verdict}", 90), fontsize=10)
    width = int(fig.get_figwidth() * 15)
    fig.text(0.01, 0.01, textwrap.fill(f"Source: {p.source}. {p.figure}", width), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.13, 1, 0.94))
    fig.savefig(path, dpi=110)
    plt.close(fig)
