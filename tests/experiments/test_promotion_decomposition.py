"""The decomposition of a promotion's bump: switching, acceleration, expansion (experiments/promotions.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim.analysis.report.comparison import promotion_tables
from cxsim.core.errors import InputError
from cxsim.experiments.compare import load_comparison, run_comparison
from cxsim.experiments.promotions import (
    COMPONENTS,
    added_promotions,
    decompose_promotion,
    decomposition_text,
    promotion_components,
    run_decomposition,
)
from cxsim.model.scenario import load_scenario


def table(rows: list[tuple[int, str, float]], rep: int | None = None) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["day", "store", "purchases"]).assign(returns=0.0)
    return df if rep is None else df.assign(rep=rep)


def flat(days: int = 20, q: float = 10.0) -> list[tuple[int, str, float]]:
    return [(d, s, q) for d in range(1, days + 1) for s in ("a", "b", "c")]


def promoted(extra: float, lost_b: float, dip: float) -> list[tuple[int, str, float]]:
    """Store a +extra on day 5, b -lost_b on day 5, and c -dip spread over days 6-10."""
    rows = []
    for d, s, q in flat():
        if d == 5 and s == "a":
            q += extra
        if d == 5 and s == "b":
            q -= lost_b
        if 6 <= d <= 10 and s == "c":
            q -= dip / 5
        rows.append((d, s, q))
    return rows


def test_components_of_a_known_pair():
    got = promotion_components(table(promoted(30, 6, 10)), table(flat()), "a", 5, 1, 5)
    assert got == {"bump": 30.0, "switching": 6.0, "acceleration": 10.0, "expansion": 14.0}


def test_the_dip_is_counted_only_within_the_window_and_the_table():
    got = promotion_components(table(promoted(30, 6, 10)), table(flat()), "a", 5, 1, 2)
    assert got["acceleration"] == pytest.approx(4.0)  # days 6-7 only
    short = [r for r in promoted(30, 6, 10) if r[0] <= 7]
    assert promotion_components(table(short), table(flat()), "a", 5, 1, 30)["acceleration"] == pytest.approx(
        4.0
    )


def test_kept_units_leave_out_returned_purchases():
    # 30 needs bought early at a (none from rivals, all missing in the days after); 8 of the
    # early buys come back and are bought again on day 7
    pro = table(promoted(30, 0, 30))
    pro.loc[(pro.day == 5) & (pro.store == "a"), "returns"] = 8.0
    pro.loc[(pro.day == 7) & (pro.store == "a"), "purchases"] += 8.0
    kept = promotion_components(pro, table(flat()), "a", 5, 1, 5)
    every = promotion_components(pro, table(flat()), "a", 5, 1, 5, units="purchases")
    assert kept == {"bump": 22.0, "switching": 0.0, "acceleration": 22.0, "expansion": 0.0}
    assert every == {"bump": 30.0, "switching": 0.0, "acceleration": 22.0, "expansion": 8.0}
    with pytest.raises(ValueError, match="returns"):
        promotion_components(pro.drop(columns="returns"), table(flat()), "a", 5, 1, 5)


def test_a_store_missing_from_one_table_counts_zero():
    ref = [r for r in flat() if r[1] != "b"]  # b had no rows without the promotion
    got = promotion_components(table(promoted(30, 0, 0)), table(ref), "a", 5, 1, 5)
    assert got["switching"] == -10.0  # b sold 10 it would not have sold


def test_decomposition_sums_to_the_bump_with_intervals_over_replications():
    reps = range(5)
    pro = pd.concat([table(promoted(30 + r, 6 + r % 2, 10 - r), r) for r in reps])
    ref = pd.concat([table(flat(), r) for r in reps])
    out = decompose_promotion(pro, ref, "a", 5, 1, 5).set_index("component")
    assert list(out.index) == list(COMPONENTS)
    parts = out.loc[["switching", "acceleration", "expansion"]]
    assert parts["mean"].sum() == pytest.approx(out.loc["bump", "mean"])
    assert parts["share"].sum() == pytest.approx(1.0)
    assert (out["n"] == 5).all()
    assert out.loc["bump", "ci_low"] < 32 < out.loc["bump", "ci_high"]
    assert (
        out.loc["switching", "share_ci_low"]
        < out.loc["switching", "share"]
        < out.loc["switching", "share_ci_high"]
    )


def test_added_promotions_are_those_the_variant_adds_and_nothing_else():
    base = load_scenario("baseline").to_toml_dict()
    day = load_scenario("singles_day").to_toml_dict()
    assert [e["store"] for e in added_promotions(day, base)] == ["giant"]
    assert added_promotions(base, day) == []  # the reference has the promotion: nothing added
    cheaper = dict(day, stores={**day["stores"], "giant": {**day["stores"]["giant"], "price": 0.8}})
    assert added_promotions(cheaper, base) == []  # more than a promotion differs
    shallow = dict(day, events=[{**day["events"][0], "discount": 0.1}])
    assert [e["discount"] for e in added_promotions(day, shallow)] == [0.3]  # deeper: decomposed
    assert added_promotions(shallow, day) == []


def test_run_decomposition_pairs_runs_and_sums_to_the_bump():
    out = run_decomposition(
        "baseline",
        overrides=[
            "town.shoppers=1000",
            "events=[{type='promotion', store='chain', start=20, days=2, discount=0.4, response=0.8,"
            " pull_forward_days=15}]",
        ],
        reps=2,
        seed=5,
        days=60,
    ).set_index("component")
    assert out.loc["bump", "mean"] > 0
    assert out.loc[["switching", "acceleration", "expansion"], "mean"].sum() == pytest.approx(
        out.loc["bump", "mean"]
    )
    assert out.loc["acceleration", "mean"] > 0  # the post-promotion dip
    assert out.loc["bump", "after_days"] == 15


def test_run_decomposition_needs_a_promotion():
    with pytest.raises(InputError, match="promotion"):
        run_decomposition("baseline", overrides=["town.shoppers=200"], reps=2, days=5)


def test_compare_decomposes_a_promotion_the_variant_adds(tmp_path):
    event = "events=[{type='promotion', store='chain', start=15, days=1, discount=0.4, response=0.8}]"
    comp = run_comparison(
        ["baseline", f"deal=baseline+{event}"], reps=2, days=40, overrides=["town.shoppers=800"], seed=3
    )
    out = comp.promotion_decomposition()
    assert set(out["scenario"]) == {"deal"}
    assert set(out["reference"]) == {"baseline"}
    bump = out.set_index("component")["mean"]
    assert bump["bump"] > 0
    assert np.isclose(bump[["switching", "acceleration", "expansion"]].sum(), bump["bump"])
    ((title, rows),) = decomposition_text(out)
    assert "chain" in title and "40% off" in title and "kept purchases" in title
    assert [r[0] for r in rows] == list(COMPONENTS.values())
    (section,) = promotion_tables(comp)  # the report's section
    assert section.title == "Where the promotion's sales came from"
    assert [row.cells[0].text for row in section.rows] == list(COMPONENTS.values())
    comp.save(tmp_path / "c")
    assert (tmp_path / "c" / "promotion_decomposition.csv").is_file()
    again = load_comparison(tmp_path / "c").promotion_decomposition()
    pd.testing.assert_frame_equal(again, out)
    plain = run_comparison(["baseline", "baseline+seed=7"], reps=2, days=5, overrides=["town.shoppers=200"])
    assert plain.promotion_decomposition().empty
