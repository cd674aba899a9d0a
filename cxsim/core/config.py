"""One configuration path: strict schemas, TOML files, ``extends``, dotted overrides, clear errors.

Every configuration file of cxsim (scenarios, experiments, validation patterns,
calibration spaces) is read by :func:`read_toml`, validated by a pydantic
schema built on :class:`StrictModel`, and every validation failure becomes an
:class:`~cxsim.core.errors.InputError` by :func:`translate_validation_error`:
one line naming the file, the key path, what was expected and what was found,
with a "did you mean" hint for a near-miss key.

Files may ``extends`` another file (:func:`resolve_extends`: tables merge key by
key, a cycle is an error), and single values can be overridden on the command
line by a dotted path (:func:`apply_override`, ``stores.giant.price=0.85``), checked
against the schema before anything is validated.

This module knows nothing of the model: schemas are passed in as classes.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from cxsim.core.errors import InputError, did_you_mean

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
"""The package's data folder (built-in scenarios, experiments, patterns, calibration spaces)."""


def data_path(*parts: str) -> Path:
    """A path inside the package's data folder (``cxsim/data``)."""
    return DATA_DIR.joinpath(*parts)


def packaged(path: str | Path) -> Path | None:
    """The packaged copy of a repository-relative path that no longer exists here.

    ``experiments/sobol_six.toml`` or ``calibration/free_parameters.toml`` (their
    old places in the repository) resolve to ``cxsim/data/...``; None if there is none.
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return None
    parts = path.parts[1:] if path.parts[:1] == ("cxsim",) else path.parts
    candidate = data_path(*parts) if parts else None
    return candidate if candidate is not None and candidate.is_file() else None


MAX_SEED = 2**63 - 1
"""The largest seed: seeds are stored as signed 64-bit integers (Parquet, numpy)."""

Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
"""A seed, 0..2^63-1 (checked at load, not in pyarrow after the run)."""


class StrictModel(BaseModel):
    """Base of every configuration schema: unknown keys are errors, assignments are validated.

    Numbers are finite: NaN and +-inf are rejected by every float field
    (``allow_inf_nan=False``); a field that needs an infinite value, such as a
    one-sided band, says so with ``Field(allow_inf_nan=True)``.
    ``config_label`` names the table in error messages (default: the class name in words);
    ``removed_keys`` maps keys a schema no longer has to what replaced them, so that an old
    file or ``--set`` gets the replacement in its one-line error instead of a guess.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)
    config_label: ClassVar[str] = ""
    removed_keys: ClassVar[dict[str, str]] = {}


def _removed(model: type[BaseModel] | None, key: str) -> str | None:
    """The note on a key the schema ``model`` no longer has, if it names one."""
    note = getattr(model, "removed_keys", {}).get(key)
    return None if note is None else f"{key!r} was removed: {note}"


# --------------------------------------------------------------------------- files


def read_toml_text(
    path: str | Path, what: str = "a TOML file", *, error: type[InputError] = InputError
) -> tuple[dict[str, Any], str]:
    """Read a TOML file: its data and its text. Every failure is one line naming the file.

    Args:
        path: the file.
        what: what the file should be, for the "expected ..." of a missing file.
        error: the :class:`InputError` subclass to raise.
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise error(source, "", what, "no such file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(source, "", f"{what}, readable", hint=exc.strerror) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(source, "", "UTF-8 text", hint=f"byte {exc.start}: {exc.reason}") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise error(source, "", "valid TOML", hint=" ".join(str(exc).split())) from None


def read_toml(
    path: str | Path, what: str = "a TOML file", *, error: type[InputError] = InputError
) -> dict[str, Any]:
    """Read a TOML file (see :func:`read_toml_text`)."""
    return read_toml_text(path, what, error=error)[0]


def deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Merge ``child`` into ``base``: tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_extends(
    path: Path,
    locate: Callable[[str, Path], Path],
    *,
    read: Callable[[Path], dict[str, Any]] = read_toml,
    root: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    own_keys: Collection[str] = (),
    key: str = "extends",
    noun: str = "files",
    error: type[InputError] = InputError,
    _chain: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """Read ``path`` and the chain of files it ``extends``, merged (the child wins), unvalidated.

    Args:
        path: the file to read.
        locate: ``locate(name, folder)`` finds the file a name or path in ``folder``'s
            file refers to; it raises :class:`InputError` when there is none.
        read: reads one file.
        root: completes the data of the root of the chain (the file that extends nothing).
        own_keys: keys a file does not inherit from its parent (its name, description...).
        key: the key that names the parent.
        noun: what the files are, for the cycle error ("a chain of scenarios without a cycle").
        error: the :class:`InputError` subclass to raise.
    """
    path = path.resolve()
    if path in _chain:
        cycle = " -> ".join(p.stem for p in (*_chain, path))
        raise error(str(_chain[-1]), key, f"a chain of {noun} without a cycle", found=cycle)
    data = read(path)
    parent = data.get(key)
    if parent is None:
        return root(data) if root is not None else data
    if not isinstance(parent, str):
        raise error(str(path), key, "a name or path (string)", parent)
    try:
        parent_path = locate(parent, path.parent)
    except InputError as exc:
        raise error(str(path), key, exc.expected, parent, exc.hint) from None
    base = resolve_extends(
        parent_path,
        locate,
        read=read,
        root=root,
        own_keys=own_keys,
        key=key,
        noun=noun,
        error=error,
        _chain=(*_chain, path),
    )
    for inherited in own_keys:
        if inherited not in data:
            base.pop(inherited, None)
    return deep_merge(base, data)


# --------------------------------------------------------------------------- schema navigation


@dataclass(frozen=True)
class Node:
    """What a place in a schema holds: a model, a dict or list of values, a tagged union, or a value."""

    kind: Literal["model", "dict", "list", "union", "value"]
    model: type[BaseModel] | None = None
    item: Node | None = None
    tag: str = ""
    choices: dict[str, type[BaseModel]] = field(default_factory=dict)


def label(cls: type[BaseModel]) -> str:
    """How error messages name a schema class (``GridSampler`` -> ``grid sampler``)."""
    own = getattr(cls, "config_label", "")
    return own or " ".join(w.lower() for w in re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", cls.__name__))


def _tags(cls: type[BaseModel], tag: str) -> list[str]:
    info = cls.model_fields.get(tag)
    return [str(a) for a in typing.get_args(info.annotation)] if info is not None else []


def node_of(ann: Any, discriminator: str | None = None) -> Node:
    """The :class:`Node` of a type annotation (``Annotated`` and ``Optional`` unwrapped)."""
    if isinstance(discriminator, str) and discriminator:
        members = [m for m in _members(ann) if isinstance(m, type) and issubclass(m, BaseModel)]
        return Node(
            "union", tag=discriminator, choices={t: m for m in members for t in _tags(m, discriminator)}
        )
    origin = typing.get_origin(ann)
    if origin is Annotated:
        inner, *meta = typing.get_args(ann)
        disc = next((m.discriminator for m in meta if isinstance(m, FieldInfo) and m.discriminator), None)
        return node_of(inner, disc if isinstance(disc, str) else None)
    if origin is typing.Union or isinstance(ann, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return node_of(args[0]) if len(args) == 1 else Node("value")
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return Node("model", model=ann)
    if origin is dict:
        return Node("dict", item=node_of(typing.get_args(ann)[1]))
    if origin is list:
        return Node("list", item=node_of(typing.get_args(ann)[0]))
    return Node("value")


def _members(ann: Any) -> list[Any]:
    if typing.get_origin(ann) is Annotated:
        return _members(typing.get_args(ann)[0])
    if typing.get_origin(ann) is typing.Union or isinstance(ann, types.UnionType):
        return [m for a in typing.get_args(ann) for m in _members(a)]
    return [ann]


def fields_by_name(cls: type[BaseModel]) -> dict[str, FieldInfo]:
    """A schema's fields under the names files use (their alias when they have one)."""
    return {info.alias or name: info for name, info in cls.model_fields.items()}


def field_node(cls: type[BaseModel], name: str) -> Node | None:
    """The :class:`Node` of field ``name`` of ``cls`` (None if there is no such field)."""
    info = fields_by_name(cls).get(name)
    if info is None:
        return None
    disc = info.discriminator if isinstance(info.discriminator, str) else None
    return node_of(info.annotation, disc)


def _pick(node: Node, data: Any) -> Node:
    """A union resolved by the tag in ``data`` (its default member if there is no tag)."""
    if node.kind != "union":
        return node
    tag = data.get(node.tag) if isinstance(data, dict) else None
    if tag is None:
        defaults = [m for m in node.choices.values() if m.model_fields[node.tag].default is not None]
        return Node("model", model=defaults[0]) if defaults else Node("value")
    cls = node.choices.get(str(tag))
    return Node("model", model=cls) if cls is not None else Node("value")


def node_at(schema: type[BaseModel], parts: list[str], data: Any) -> Node:
    """The :class:`Node` that holds the last key of ``parts``, following ``data`` through unions."""
    node, here = Node("model", model=schema), data
    for part in parts[:-1]:
        if node.kind == "model" and node.model is not None:
            nxt = field_node(node.model, part)
            if nxt is None:
                return Node("value")
            node = nxt
        elif node.kind in ("dict", "list") and node.item is not None:
            node = node.item
        else:
            return Node("value")
        here = _child(here, part)
        node = _pick(node, here)
    return node


def _child(data: Any, part: str) -> Any:
    if isinstance(data, dict):
        return data.get(part)
    if isinstance(data, list) and part.isdigit() and int(part) < len(data):
        return data[int(part)]
    return None


# --------------------------------------------------------------------------- overrides


def parse_override(text: str, *, error: type[InputError] = InputError) -> tuple[list[str], Any]:
    """Parse ``a.b.c=value``; the value is read as TOML, else kept as a string."""
    if "=" not in text:
        raise error("--set", text, "PATH=VALUE, e.g. stores.giant.price=0.85", text)
    path, _, raw = text.partition("=")
    parts = [p for p in path.strip().split(".") if p]
    if not parts:
        raise error("--set", text, "a dotted key path before '='", path)
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return parts, value


def apply_override(
    data: dict[str, Any],
    text: str,
    schema: type[BaseModel],
    *,
    extra_keys: Mapping[str, Collection[str]] | None = None,
    error: type[InputError] = InputError,
) -> dict[str, Any]:
    """Apply one ``--set PATH=VALUE`` override to raw data of ``schema`` (in place; returned).

    The path is checked against the schema first: an unknown key is an error with
    a "did you mean" hint, and so is a new entry in a table of named models (a
    store that the scenario does not have). Missing sub-tables are created.

    Args:
        data: the raw data (merged files, not yet validated).
        text: the override, ``PATH=VALUE``; the value is read as TOML, else as a string.
        schema: the schema of ``data``.
        extra_keys: per dotted table path, more names to suggest from (e.g. old key names).
        error: the :class:`InputError` subclass to raise.
    """
    parts, value = parse_override(text, error=error)
    where = f"--set {text}"
    node = node_at(schema, parts, data)
    key = parts[-1]
    if node.kind == "model" and node.model is not None and key not in fields_by_name(node.model):
        known = [*fields_by_name(node.model), *(extra_keys or {}).get(".".join(parts[:-1]), ())]
        hint = _removed(node.model, key) or did_you_mean(key, known)
        raise error(where, ".".join(parts), f"a key of {label(node.model)}", key, hint)
    if node.kind == "dict" and node.item is not None and node.item.kind in ("model", "union"):
        raise error(where, ".".join(parts), f"a key inside {'.'.join(parts[-2:])}", value)
    here: Any = data
    container = Node("model", model=schema)
    for i, part in enumerate(parts[:-1]):
        path = ".".join(parts[: i + 1])
        if isinstance(here, list):
            if not part.isdigit() or int(part) >= len(here):
                raise error(where, path, f"an index below {len(here)}", part)
            here = here[int(part)]
        else:
            if part not in here or not isinstance(here[part], dict | list):
                known = list(here) if isinstance(here, dict) else []
                if container.kind == "dict":
                    raise error(where, path, f"one of {', '.join(known)}", part, did_you_mean(part, known))
                here[part] = {}
            here = here[part]
        container = node_at(schema, [*parts[: i + 1], ""], data)
    here[key] = value
    return data


# --------------------------------------------------------------------------- validation errors


def _expected(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    prefix = "Input should be "
    if msg.startswith(prefix):
        return msg[len(prefix) :]
    return msg[0].lower() + msg[1:] if msg else "a valid value"


def expected_of(exc: ValidationError) -> str:
    """What the first error of ``exc`` expected, in words ("greater than 0", "a valid number")."""
    return _expected(exc.errors()[0])


def translate_validation_error(
    source: str,
    data: Any,
    exc: ValidationError,
    schema: type[BaseModel],
    *,
    extra_keys: Mapping[str, Collection[str]] | None = None,
    error: type[InputError] = InputError,
) -> InputError:
    """The one-line :class:`InputError` for the first error of a pydantic ``exc``.

    The key path is the dotted path of the file (tags of tagged unions, such as
    an event's type, are left out); an unknown key gets a "did you mean" hint or
    the list of known keys; a required key that is missing is "found nothing"
    (its field's ``description``, if any, says what is expected).

    Args:
        source: the file (or other origin) of ``data``.
        data: the raw data that failed to validate.
        exc: the error pydantic raised validating ``data`` against ``schema``.
        schema: the schema.
        extra_keys: per dotted table path, more names to suggest from (e.g. old key names).
        error: the :class:`InputError` subclass to return.
    """
    err = exc.errors()[0]
    parts: list[str] = []
    node, here = Node("model", model=schema), data
    holder: type[BaseModel] | None = schema
    info: FieldInfo | None = None
    for item in err["loc"]:
        part = str(item)
        if node.kind == "union":
            if part in node.choices:  # the tag pydantic puts in the location
                node = Node("model", model=node.choices[part])
                continue
            node = _pick(node, here)
        holder = node.model if node.kind == "model" else None
        info = fields_by_name(holder).get(part) if holder is not None else None
        if node.kind == "model" and holder is not None:
            node = field_node(holder, part) or Node("value")
        elif node.kind in ("dict", "list") and node.item is not None:
            node = node.item
        else:
            node = Node("value")
        parts.append(part)
        here = _child(here, part)
    key = ".".join(parts)
    kind = err["type"]
    if kind == "extra_forbidden" and holder is not None:
        allowed = list(fields_by_name(holder))
        last = parts[-1]
        more = (extra_keys or {}).get(".".join(parts[:-1]), ())
        hint = (
            _removed(holder, last)
            or did_you_mean(last, [*allowed, *more])
            or f"unknown key; known: {', '.join(allowed)}"
        )
        return error(source, key, f"a known key of the {label(holder)}", last, hint)
    if kind == "union_tag_invalid" and node.kind == "union":
        tag = str(err.get("ctx", {}).get("tag"))
        tags = list(node.choices)
        return error(
            source,
            f"{key}.{node.tag}",
            f"a known {node.tag} ({', '.join(tags)})",
            tag,
            did_you_mean(tag, tags),
        )
    if kind == "missing":
        required = info.description if info is not None and info.description else None
        return error(source, key, required or "a value (this key is required)", "nothing")
    found = err.get("input")
    near: str | None = None
    if kind == "literal_error":
        literals = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
        near = did_you_mean(str(found), literals)
    return error(source, key, _expected(err), found, near)
