"""Scenario schema: loading, extends, overrides, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxsim.core.errors import ScenarioError
from cxsim.model.scenario import Scenario, load_scenario, parse_override


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_baseline_is_a_meaningful_town():
    s = load_scenario("baseline")
    kinds = [st.kind for st in s.stores.values()]
    assert kinds.count("physical") >= 3 and "online" in kinds and "omnichannel" in kinds
    assert s.town.shoppers >= 5000
    assert set(s.segments) >= {
        "bargain_hunter",
        "convenience_seeker",
        "experience_seeker",
        "loyal_local",
        "digital_native",
    }
    assert sum(g.share for g in s.segments.values()) == pytest.approx(1.0)


def test_extends_and_single_value_override(tmp_path):
    write(tmp_path, "parent", 'name = "parent"\ndays = 200\n[stores.giant]\nkind = "online"\nprice = 0.8\n')
    child = write(tmp_path, "child", 'extends = "parent"\n[stores.giant]\nservice_quality = 0.7\n')
    s = load_scenario(child)
    assert s.days == 200
    assert s.stores["giant"].price == 0.8 and s.stores["giant"].service_quality == 0.7
    s2 = load_scenario(child, ["stores.giant.price=0.75", "town.shoppers=123"])
    assert s2.stores["giant"].price == 0.75 and s2.town.shoppers == 123


def test_override_value_types():
    assert parse_override("a.b=0.5") == (["a", "b"], 0.5)
    assert parse_override("a=true") == (["a"], True)
    assert parse_override("a=word") == (["a"], "word")


def test_days_and_seed_override():
    s = load_scenario("baseline", days=30, seed=7)
    assert (s.days, s.seed) == (30, 7)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (
            '[stores.corner_shop]\nkind = "physical"\nservce_quality = 0.9\n',
            "stores.corner_shop.servce_quality",
            "did you mean 'service_quality'",
        ),
        ('[town]\nshoppers = "many"\n', "town.shoppers", "'many'"),
        ('[stores.giant]\nkind = "online"\nprice = -1.0\n', "stores.giant.price", "-1.0"),
        ('[stores.giant]\nkind = "online"\nservice_quality = 1.5\n', "stores.giant.service_quality", "1.5"),
        (
            '[[events]]\ntype = "promotion"\nstore = "gaint"\nstart = 5\ndays = 2\ndiscount = 0.2\n',
            "events.0.store",
            "did you mean 'giant'",
        ),
        ('days = 100\n[[events]]\ntype = "lockdown"\nstart = 150\ndays = 10\n', "events.0.start", "150"),
        ('[[events]]\ntype = "lockdwn"\nstart = 5\ndays = 2\n', "events.0.type", "did you mean 'lockdown'"),
        ("[segments.bargain_hunter]\nshare = 0.9\n", "segments.*.share", "sum to 1"),
    ],
)
def test_bad_values_name_file_key_expected_found(tmp_path, text, key, fragment):
    path = write(tmp_path, "bad", 'extends = "baseline"\n' + text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    msg = info.value.message
    assert str(path) in msg and key in msg and "expected" in msg and fragment in msg


def test_circular_extends(tmp_path):
    write(tmp_path, "a", 'extends = "b"\n')
    write(tmp_path, "b", 'extends = "a"\n')
    with pytest.raises(ScenarioError, match=r"extends: expected a chain of scenarios without a cycle"):
        load_scenario(tmp_path / "a.toml")


def test_malformed_toml(tmp_path):
    path = write(tmp_path, "broken", "days = = 3\n")
    with pytest.raises(ScenarioError, match="expected valid TOML"):
        load_scenario(path)


def test_unknown_scenario_name_suggests_nearest():
    with pytest.raises(ScenarioError, match="did you mean 'baseline'"):
        load_scenario("baselin")


def test_unknown_override_key_suggests():
    with pytest.raises(ScenarioError, match="did you mean 'shoppers'"):
        load_scenario("baseline", ["town.shopers=10"])


def test_unknown_store_in_override():
    with pytest.raises(ScenarioError, match="did you mean 'giant'"):
        load_scenario("baseline", ["stores.gaint.price=0.8"])


def test_set_event_checks_attribute_and_value(tmp_path):
    bad_attr = write(
        tmp_path,
        "e1",
        'extends = "baseline"\n[[events]]\ntype = "set"\nstore = "giant"\n'
        'start = 3\nattribute = "prize"\nvalue = 0.8\n',
    )
    with pytest.raises(ScenarioError, match="did you mean 'price'"):
        load_scenario(bad_attr)
    bad_value = write(
        tmp_path,
        "e2",
        'extends = "baseline"\n[[events]]\ntype = "set"\nstore = "giant"\n'
        'start = 3\nattribute = "service_quality"\nvalue = 3.0\n',
    )
    with pytest.raises(ScenarioError, match=r"events\.0\.value"):
        load_scenario(bad_value)
    outside = write(
        tmp_path,
        "e3",
        'extends = "baseline"\n[[events]]\ntype = "set"\nstore = "chain"\n'
        'start = 3\nattribute = "x"\nvalue = 40.0\n',
    )
    with pytest.raises(ScenarioError, match=r"events\.0\.value.*within the town"):
        load_scenario(outside)


def test_store_entry_requires_closed_store(tmp_path):
    path = write(
        tmp_path,
        "entry",
        'extends = "baseline"\n[[events]]\ntype = "store_entry"\nstore = "giant"\nstart = 10\n',
    )
    with pytest.raises(ScenarioError, match=r"stores\.giant\.open"):
        load_scenario(path)


def test_resolved_scenario_round_trips():
    s = load_scenario("baseline")
    again = Scenario.model_validate(s.to_toml_dict())
    assert again == s


# ----------------------------------------------------------------- old flat behaviour keys


def test_old_flat_behaviour_keys_still_work(tmp_path):
    """Files and overrides written before the behaviour groups mean the same values."""
    old = write(tmp_path, "old", 'extends = "baseline"\n[behaviour]\nresearch_visit = -0.6\nwom_reach = 5\n')
    new = write(
        tmp_path,
        "new",
        'extends = "baseline"\n[behaviour.research]\nvisit = -0.6\n[behaviour.word_of_mouth]\nreach = 5\n',
    )
    a, b = load_scenario(old), load_scenario(new)
    assert a.behaviour == b.behaviour
    assert a.behaviour.research.visit == -0.6 and a.behaviour.word_of_mouth.reach == 5
    by_flag = load_scenario("baseline", ["behaviour.research_visit=-0.6", "behaviour.wom_reach=5"])
    assert by_flag.behaviour == a.behaviour
    assert load_scenario("baseline", ["behaviour.loyalty=3.0"]).behaviour.choice.loyalty == 3.0


def test_a_childs_old_key_wins_over_its_parents_group(tmp_path):
    write(tmp_path, "parent", 'extends = "baseline"\n[behaviour.research]\nvisit = -0.2\n')
    child = write(tmp_path, "child", 'extends = "parent"\n[behaviour]\nresearch_visit = -0.7\n')
    assert load_scenario(child).behaviour.research.visit == -0.7
    write(tmp_path, "old_parent", 'extends = "baseline"\n[behaviour]\nresearch_visit = -0.2\n')
    new_child = write(tmp_path, "new_child", 'extends = "old_parent"\n[behaviour.research]\nvisit = -0.7\n')
    assert load_scenario(new_child).behaviour.research.visit == -0.7


def test_misspelt_behaviour_keys_suggest_either_spelling(tmp_path):
    with pytest.raises(ScenarioError, match="did you mean 'digital_habit'"):
        load_scenario("baseline", ["behaviour.digital_habbit=1.0"])
    with pytest.raises(ScenarioError, match="did you mean 'visit'"):
        load_scenario("baseline", ["behaviour.research.vist=1.0"])
    bad = write(tmp_path, "bad", 'extends = "baseline"\n[behaviour]\nresearch_vist = 1.0\n')
    with pytest.raises(ScenarioError, match=r"behaviour\.research_vist.*did you mean 'research_visit'"):
        load_scenario(bad)


# ----------------------------------------------------------------- references to scenarios


def test_a_reference_is_a_name_or_a_toml_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names beside the file, then the library; .toml paths relative to the file; nothing else is read."""
    from cxsim.model.library import find_scenario_file

    monkeypatch.chdir(tmp_path)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "parent.toml").write_text('extends = "baseline"\ndays = 9\n')
    (sub / "by_name.toml").write_text('extends = "parent"\n')
    (tmp_path / "by_path.toml").write_text('extends = "sub/parent.toml"\n')
    (tmp_path / "notes.txt").write_text("days = 3\n")
    assert load_scenario(sub / "by_name.toml").days == 9
    assert load_scenario(tmp_path / "by_path.toml").days == 9
    assert find_scenario_file("price_war").name == "price_war.toml"
    for bad in ("notes.txt", "/etc/passwd", "sub/parent", "../x"):
        with pytest.raises(ScenarioError, match=r"or a path to a \.toml file"):
            find_scenario_file(bad, tmp_path)


def test_a_missing_parent_names_the_file_and_the_key(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text('extends = "no_such_parent"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert err.value.source == str(child) and err.value.key == "extends"
    assert err.value.found == "no_such_parent"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("behaviour.walk_out_effort=nan", "behaviour.choice.walk_out_effort"),
        ("stores.giant.fixed_cost=inf", "stores.giant.fixed_cost"),
        ("town.size_km=1e300", "town.size_km"),
        ("stores.giant.delivery_days=-inf", "stores.giant.delivery_days"),
        ("stores.giant.x=nan", "stores.giant.x"),
        ("seed=9223372036854775808", "seed"),
        ("behaviour.word_of_mouth.nps_window_days=999999999999", "behaviour.word_of_mouth.nps_window_days"),
        ("stores.giant.cash=-inf", "stores.giant.cash"),
    ],
)
def test_non_finite_and_unbounded_values_are_refused_at_load(override: str, key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", [override])
    assert err.value.key == key


@pytest.mark.parametrize(
    "key", ["review_rate", "wom_weight", "wom_negative_weight", "research_reputation_weight"]
)
def test_a_removed_key_names_its_replacement(tmp_path, key):
    """A key removed in 0.2.0 gets one error naming what replaced it, in a file and in --set."""
    from cxsim.core.errors import InputError

    with pytest.raises(InputError, match=f"'{key}' was removed: since 0.2.0"):
        load_scenario("baseline", [f"behaviour.{key}=0.1"])
    path = tmp_path / "old.toml"
    path.write_text(f'extends = "baseline"\n[behaviour]\n{key} = 0.1\n')
    with pytest.raises(InputError, match=f"'{key}' was removed: since 0.2.0"):
        load_scenario(str(path))
