"""The one configuration path (cxsim.core.config): files, extends, overrides and error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import Field, ValidationError

from cxsim.core.config import (
    StrictModel,
    apply_override,
    packaged,
    read_toml,
    resolve_extends,
    translate_validation_error,
)
from cxsim.core.errors import InputError


class Leaf(StrictModel):
    size: Annotated[int, Field(ge=1)] = 1
    colour: Literal["red", "green"] = "red"


class Circle(StrictModel):
    shape: Literal["circle"] = "circle"
    radius: float = 1.0


class Square(StrictModel):
    shape: Literal["square"] = "square"
    side: float = 1.0


class Root(StrictModel):
    config_label = "test file"
    name: str = ""
    leaf: Leaf = Field(default_factory=Leaf)
    named: dict[str, Leaf] = Field(default_factory=dict)
    shapes: list[Annotated[Circle | Square, Field(discriminator="shape")]] = Field(default_factory=list)


def error_of(data: dict) -> InputError:
    with pytest.raises(ValidationError) as info:
        Root.model_validate(data)
    return translate_validation_error("f.toml", data, info.value, Root)


def test_read_toml_errors_are_one_line_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_toml(tmp_path / "missing.toml", "a test file")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read_toml(latin)
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\nsize = = 3\n')
    with pytest.raises(InputError) as info:
        read_toml(broken)
    assert str(broken) in info.value.message and "line 2" in info.value.message
    assert len(info.value.message.splitlines()) == 1


def test_extends_merges_tables_and_detects_cycles(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text('name = "base"\n[leaf]\nsize = 2\ncolour = "green"\n')
    (tmp_path / "child.toml").write_text('extends = "base"\n[leaf]\nsize = 3\n')
    (tmp_path / "loop.toml").write_text('extends = "loop"\n')

    def locate(name: str, folder: Path) -> Path:
        path = folder / f"{name}.toml"
        if not path.is_file():
            raise InputError(name, "", "a file")
        return path

    data = resolve_extends(tmp_path / "child.toml", locate, own_keys=("name",))
    assert data["leaf"] == {"size": 3, "colour": "green"} and "name" not in data
    with pytest.raises(InputError, match="without a cycle"):
        resolve_extends(tmp_path / "loop.toml", locate)
    (tmp_path / "orphan.toml").write_text('extends = "nobody"\n')
    with pytest.raises(InputError) as info:
        resolve_extends(tmp_path / "orphan.toml", locate)
    assert info.value.key == "extends" and info.value.found == "nobody"


def test_overrides_follow_the_schema() -> None:
    data: dict = {"named": {"a": {"size": 2}}, "shapes": [{"shape": "square"}]}
    apply_override(data, "leaf.size=4", Root)
    apply_override(data, "shapes.0.side=2.5", Root)
    assert data["leaf"] == {"size": 4} and data["shapes"][0]["side"] == 2.5
    with pytest.raises(InputError, match="did you mean 'size'"):
        apply_override(data, "leaf.sise=4", Root)
    with pytest.raises(InputError, match="did you mean 'side'"):
        apply_override(data, "shapes.0.sid=4", Root)
    with pytest.raises(InputError, match="expected one of a, found 'b'"):
        apply_override(data, "named.b.size=4", Root)  # a new entry of a table of named models


def test_validation_errors_name_key_expected_and_found() -> None:
    err = error_of({"leaf": {"sise": 2}})
    assert err.key == "leaf.sise" and "did you mean 'size'" in err.message
    err = error_of({"named": {"a": {"size": 0}}})
    assert err.key == "named.a.size" and "greater than or equal to 1" in err.message and err.found == 0
    err = error_of({"shapes": [{"shape": "square", "radius": 2}]})
    assert err.key == "shapes.0.radius" and "known key of the square" in err.message
    err = error_of({"shapes": [{"shape": "sqare"}]})
    assert err.key == "shapes.0.shape" and "did you mean 'square'" in err.message
    err = error_of({"leaf": {"colour": "gren"}})
    assert err.key == "leaf.colour" and "did you mean 'green'" in err.message
    err = error_of({"nmae": "x"})
    assert "known key of the test file" in err.message and "did you mean 'name'" in err.message


def test_old_repository_paths_find_the_package_data() -> None:
    assert packaged("experiments/sobol_six.toml") is not None
    assert packaged("cxsim/patterns.toml") is not None
    assert packaged("calibration/free_parameters.toml") is not None
    assert packaged("experiments/nope.toml") is None


def test_strict_models_refuse_nan_and_infinity() -> None:
    """Every float field of a configuration schema is finite unless it says otherwise."""
    from cxsim.core.config import MAX_SEED, Seed, StrictModel

    class Box(StrictModel):
        x: float = 0.0
        seed: Seed = 0
        end: Annotated[float, Field(allow_inf_nan=True)] = 0.0

    for bad in (
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": float("-inf")},
        {"seed": MAX_SEED + 1},
        {"seed": -1},
    ):
        try:
            Box.model_validate(bad)
        except ValidationError:
            continue
        raise AssertionError(bad)
    assert Box.model_validate({"end": float("inf"), "seed": MAX_SEED}).end == float("inf")
