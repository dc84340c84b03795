"""Sweep files: one batch file that expands into many named, validated, hashed scenarios.

A sweep file holds a single top-level key, ``sweep``::

    # sweeps/beds.yaml
    sweep:
      base: ../scenarios/baseline.yaml    # the scenario every point starts from (relative to this file)
      name: beds {services.acute.beds} weekend {discharge.weekend_discharge_factor} reablement {services.reablement.places}
      description: Acute beds against weekend discharge and reablement   # optional, a template too
      grid:                               # every combination (cartesian product)
        services.acute.beds: [400, 440, 480]
        discharge.weekend_discharge_factor: [0.5, 1.0]
      zip:                                # paired lists, all the same length (optional)
        services.reablement.places: [60, 80]
        services.reablement.community_referrals_per_year: [300.0, 400.0]

This makes 3 x 2 grid points, each combined with each of the 2 zip rows: 12
scenarios. The first grid setting varies slowest; zip rows vary fastest.

Rules
-----
``base``
    A scenario file (not another sweep), relative to the sweep file. It may lie
    in the sweep file's folder, below it, or anywhere under the folder that
    holds that folder (so ``sweeps/`` and ``scenarios/`` side by side work);
    further out needs ``allow_outside`` (``--allow-outside-extends``). The
    base's own ``extends`` chain follows the usual rules. The base must be
    valid on its own.
``name``
    A template: each ``{dotted.path}`` is replaced by that point's value of a
    swept setting (``{{`` and ``}}`` are literal braces). Every generated name
    must be different and at most 80 characters long.
``description``
    Optional template like ``name``; without it each scenario keeps the base's
    description.
``grid`` / ``zip``
    Map a dotted setting path (as in ``docs/scenario-reference.md``, e.g.
    ``services.acute.beds``; an item of a list by its index from 0, e.g.
    ``interventions[0].change``, which the base must have) to a non-empty
    list of values. At least one of
    them must be given; a ``grid`` that is given must not be empty; all ``zip``
    lists must have the same length; a path may be swept once only and not
    inside another swept path; ``name`` cannot be swept (use the template).
    A value replaces the base's value at that path whole: a mapping such as a
    distribution ``{dist: exponential, mean: 3.0}`` is not merged.

Each scenario is built by setting the dotted paths in a copy of the base's
merged data and validating it with :func:`~simulation.scenario.yamlio.validate_model`,
so a bad value is reported at its line in the sweep file, naming the sweep
point (``sweep point 2 of 12 (services.acute.beds=-1): ...``). A sweep that
makes more than ``max_scenarios`` (50) scenarios is refused unless ``force``.
Two points that make the same settings, or the same name, are refused.

Public API
----------
``is_sweep_file(path) -> bool``
``expand_sweep(path, *, allow_outside=False, max_scenarios=50, force=False) -> list[Scenario]``
``parse_path(text) -> list[str | int] | None`` (``"interventions[0].change"`` -> ``["interventions", 0, "change"]``)
``sweep_points(...) -> list[SweepPoint]`` (the same, with each point's values and hash)
``sweep_json_schema() -> dict`` (for ``schemas/sweep.schema.json``, for editors)
``load_inputs(paths, *, allow_outside=False, force=False) -> list[tuple[str, Scenario]]``
    Scenario and sweep files together (what ``run`` and ``validate`` need),
    every problem of every file in one :class:`ScenarioError`, names unique.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import os
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from pydantic import BaseModel

from .errors import Problem, ScenarioError
from .loader import scenario_hash
from .schema import Scenario
from .yamlio import (
    ALLOW_OUTSIDE_OPTION,
    Location,
    LocationMap,
    _read_file,
    format_path,
    load_with_extends,
    read_yaml,
    validate_model,
)

__all__ = [
    "MAX_SCENARIOS",
    "SWEEP_KEY",
    "SweepPoint",
    "expand_sweep",
    "is_sweep_file",
    "load_inputs",
    "parse_path",
    "sweep_json_schema",
    "sweep_points",
]

SWEEP_KEY = "sweep"
MAX_SCENARIOS = 50
FORCE_OPTION = "--force"
_FIELDS = ("base", "name", "description", "grid", "zip")
_NOT_SWEPT = ("name",)


@dataclass(frozen=True)
class SweepPoint:
    """One scenario of a sweep: its 1-based index, the values set, the validated scenario and its hash."""

    index: int
    values: dict[str, Any]
    scenario: Scenario
    sha256: str


# --------------------------------------------------------------------------- recognising a sweep file


def is_sweep_file(path: str | os.PathLike[str]) -> bool:
    """True when the file's top level is a mapping with a ``sweep`` key.

    A file that cannot be read or parsed is not a sweep file (loading it as a
    scenario then reports why). Value-level problems (a duplicate key, NaN)
    do not hide the ``sweep`` key.
    """
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    try:
        tree, _ = _read_file(display, display)
    except Exception:  # noqa: BLE001 - recognising a file must never crash
        return False
    return tree is not None and isinstance(tree.value, dict) and SWEEP_KEY in tree.value


# --------------------------------------------------------------------------- schema paths


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (``Annotated``, unions and ``None`` taken apart)."""
    tp = _strip(annotation)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(t for t in _unwrap(arg) if t not in out)
        return out
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_list(tp: Any) -> bool:
    return typing.get_origin(tp) in (list, tuple) and bool(typing.get_args(tp))


def _fields_of(models: Sequence[type[BaseModel]]) -> dict[str, list[Any]]:
    fields: dict[str, list[Any]] = {}
    for model in models:
        for name, info in model.model_fields.items():
            fields.setdefault(name, []).append(info.annotation)
    return fields


def _all_paths(annotations: Sequence[Any], prefix: str = "", depth: int = 0) -> list[str]:
    if depth > 12:
        return []
    concrete = [t for a in annotations for t in _unwrap(a)]
    out: list[str] = []
    items = [typing.get_args(t)[0] for t in concrete if _is_list(t)]
    if items:
        out.extend(_all_paths(items, f"{prefix}[0]", depth + 1))
    for name, annotations_below in _fields_of([t for t in concrete if _is_model(t)]).items():
        path = f"{prefix}.{name}" if prefix else name
        out.append(path)
        out.extend(_all_paths(annotations_below, path, depth + 1))
    return out


_SCHEMA_PATHS: list[str] | None = None


def _schema_paths() -> list[str]:
    global _SCHEMA_PATHS
    if _SCHEMA_PATHS is None:
        _SCHEMA_PATHS = list(dict.fromkeys(_all_paths([Scenario])))
    return _SCHEMA_PATHS


_PART = re.compile(r"([^.\[\]\s]+)((?:\[\d+\])*)")


def parse_path(text: str) -> list[str | int] | None:
    """``"interventions[0].change"`` -> ``["interventions", 0, "change"]``; None when it is not a path."""
    if not isinstance(text, str) or not text:
        return None
    parts: list[str | int] = []
    for piece in text.split("."):
        m = _PART.fullmatch(piece)
        if not m:
            return None
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return parts


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a setting of the schema (with a suggestion), or None when it is."""
    parts = parse_path(path)
    if parts is None:
        return f"{path!r} is not a dotted setting path such as 'services.acute.beds' or 'interventions[0].change'"
    annotations: list[Any] = [Scenario]
    for i, part in enumerate(parts):
        where = format_path(parts[:i])
        concrete = [t for a in annotations for t in _unwrap(a)]
        if isinstance(part, int):
            items = [typing.get_args(t)[0] for t in concrete if _is_list(t)]
            if not items:
                return f"unknown setting path {path!r}: {where!r} is not a list"
            annotations = items
            continue
        models = [t for t in concrete if _is_model(t)]
        if not models:
            if any(_is_list(t) for t in concrete):
                return f"unknown setting path {path!r}: {where!r} is a list; name one item, e.g. '{where}[0].{part}'"
            return f"unknown setting path {path!r}: {where!r} is a single value and holds no settings"
        fields = _fields_of(models)
        if part not in fields:
            close = difflib.get_close_matches(format_path(parts), _schema_paths(), n=1, cutoff=0.75)
            if not close:
                near = difflib.get_close_matches(str(part), list(fields), n=1, cutoff=0.6)
                close = [format_path(list(parts[:i]) + near[:1])] if near else []
            hint = f" — did you mean {close[0]!r}?" if close else ""
            inside = f"{where!r}" if where else "the top level"
            return f"unknown setting path {path!r}: {inside} has no setting {part!r}{hint}"
        annotations = fields[part]
    return None


# --------------------------------------------------------------------------- values and templates


def _value_text(value: Any) -> str:
    """A swept value as it appears in a name: ``400``, ``0.5``, ``1`` for 1.0, ``exponential(mean=3)``."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k}={_value_text(v)}" for k, v in value.items() if k != "dist")
        return f"{value['dist']}({inner})" if "dist" in value else "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return str(value)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _template_problems(template: str, swept: Sequence[str]) -> list[str]:
    problems = []
    for m in _PLACEHOLDER.finditer(template):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            problems.append(f"unmatched {token!r} in the template (write {token * 2!r} for a literal brace)")
            continue
        key = _canonical(m.group(1).strip())
        if key not in swept:
            close = difflib.get_close_matches(key, list(swept), n=1, cutoff=0.6)
            hint = f" — did you mean {{{close[0]}}}?" if close else ""
            shown = ", ".join("{" + s + "}" for s in swept)
            problems.append(f"{{{key}}} is not a swept setting (the template may use {shown}){hint}")
    return problems


def _canonical(path: str) -> str:
    parts = parse_path(path)
    return format_path(parts) if parts is not None else path


def _render(template: str, values: Mapping[str, Any]) -> str:
    def sub(m: re.Match) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return _value_text(values[_canonical(m.group(1).strip())])

    return _PLACEHOLDER.sub(sub, template)


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_value_text(v)}" for k, v in values.items())


# --------------------------------------------------------------------------- reading the sweep file


@dataclass
class _Axis:
    path: str  # canonical dotted path of the setting
    values: list[Any]
    item_paths: list[str]  # path of each value in the sweep file (keys of its LocationMap)
    section: str = "grid"  # grid or zip
    key: str = ""  # the setting's key as written in the sweep file


@dataclass
class _Spec:
    file: str
    locations: LocationMap
    base: str | None = None
    name: str | None = None
    description: str | None = None
    grid: list[_Axis] | None = None
    zip: list[_Axis] | None = None


def _problem(spec_file: str, locations: Mapping[str, Location], parts: Sequence[Any], message: str, *, key: bool = True) -> Problem:
    path = format_path(parts)
    tables = (getattr(locations, "key_locations", {}), locations) if key else (locations, getattr(locations, "key_locations", {}))
    loc = None
    for n in range(len(parts), -1, -1):
        p = format_path(parts[:n])
        for table in tables:
            if p in table:
                loc = table[p]
                break
        if loc is not None:
            break
    loc = loc or Location(spec_file, None, None)
    return Problem(loc.file, loc.line, loc.column, path, message)


def _read_spec(path: str, problems: list[Problem]) -> _Spec:
    data, locations = read_yaml(path)
    spec = _Spec(file=path, locations=locations)

    def add(parts: Sequence[Any], message: str, *, key: bool = True) -> None:
        problems.append(_problem(path, locations, parts, message, key=key))

    for top in data:
        if top != SWEEP_KEY:
            add([top], f"unknown top-level key {top!r}: a sweep file holds only 'sweep:' (settings go in its base file)")
    body = data.get(SWEEP_KEY)
    if not isinstance(body, dict):
        add([SWEEP_KEY], "must be a mapping with 'base', 'name' and 'grid' (and optionally 'zip', 'description')")
        return spec
    for key in body:
        if key not in _FIELDS:
            close = difflib.get_close_matches(str(key), _FIELDS, n=1, cutoff=0.6)
            hint = f" — did you mean {close[0]!r}?" if close else f" (allowed here: {', '.join(_FIELDS)})"
            add([SWEEP_KEY, key], f"unknown field {key!r}{hint}")

    for field in ("base", "name"):
        value = body.get(field)
        if field not in body:
            example = "../scenarios/baseline.yaml" if field == "base" else "beds {services.acute.beds}"
            add([SWEEP_KEY], f"field required: {field!r} (e.g. '{field}: {example}')")
        elif not isinstance(value, str) or not value.strip():
            add([SWEEP_KEY, field], f"must be text (got {_value_text(value) if value is not None else 'an empty value'})", key=False)
        else:
            setattr(spec, field, value)
    if "description" in body:
        if isinstance(body["description"], str):
            spec.description = body["description"]
        else:
            add([SWEEP_KEY, "description"], "must be text", key=False)

    seen: dict[str, str] = {}
    for section in ("grid", "zip"):
        if section not in body:
            continue
        table = body[section]
        if not isinstance(table, dict):
            add([SWEEP_KEY, section], "must be a mapping of 'dotted.setting.path: [values]' lines")
            continue
        if not table:
            add([SWEEP_KEY, section], f"the {section} is empty; list at least one setting with its values, e.g. "
                "'services.acute.beds: [400, 440]'" + (" (or remove 'zip')" if section == "zip" else ""))
            continue
        axes: list[_Axis] = []
        for setting, values in table.items():
            parts = [SWEEP_KEY, section, setting]
            why = _path_problem(setting)
            if why:
                add(parts, why)
                continue
            canonical = _canonical(setting)
            if canonical in _NOT_SWEPT:
                add(parts, f"{setting!r} cannot be swept: the names come from the 'name' template")
                continue
            clash = next((s for s in seen if _under(s, canonical) or _under(canonical, s)), None)
            if clash is not None:
                what = "is also swept" if clash == canonical else f"overlaps {clash!r}"
                add(parts, f"{canonical!r} {what} in {seen[clash]}; sweep each setting once")
                continue
            if not isinstance(values, list):
                add(parts, f"must be a list of values, e.g. [{_value_text(values)}] (got {_value_text(values)})", key=False)
                continue
            if not values:
                add(parts, "the list of values is empty; give at least one value", key=False)
                continue
            seen[canonical] = section
            axes.append(_Axis(canonical, values, [format_path(parts + [i]) for i in range(len(values))], section, setting))
        setattr(spec, section, axes)

    if spec.zip:
        lengths = {len(a.values) for a in spec.zip}
        if len(lengths) > 1:
            shown = ", ".join(f"{a.path} has {len(a.values)}" for a in spec.zip)
            add([SWEEP_KEY, "zip"], f"zip lists must all have the same length ({shown})")
    if "grid" not in body and "zip" not in body and isinstance(body, dict):
        add([SWEEP_KEY], "nothing to sweep: add 'grid:' with at least one 'dotted.setting.path: [values]' line")
    return spec


# --------------------------------------------------------------------------- the base


def _base_root(sweep_file: str) -> str:
    """Folder a base must lie under: the one holding the sweep file's folder."""
    folder = os.path.dirname(os.path.realpath(sweep_file))
    return os.path.dirname(folder) or folder


def _within(folder: str, target: str) -> bool:
    try:
        return os.path.commonpath([folder, target]) == folder
    except ValueError:
        return False


def _load_base(spec: _Spec, allow_outside: bool) -> tuple[dict, LocationMap]:
    where = spec.locations.get(format_path([SWEEP_KEY, "base"])) or Location(spec.file, None, None)

    def fail(message: str) -> ScenarioError:
        return ScenarioError(Problem(where.file, where.line, where.column, "sweep.base", message))

    assert spec.base is not None
    open_path = os.path.join(os.path.dirname(spec.file), spec.base)
    display = os.path.normpath(open_path)
    try:
        real = os.path.realpath(open_path)
    except (OSError, ValueError):
        raise fail(f"{spec.base!r} is not a usable file name") from None
    root = _base_root(spec.file)
    if not allow_outside and not _within(root, real):
        raise fail(
            f"{spec.base!r} is outside {root!r}; a sweep's base must be in the sweep file's folder, below it, "
            f"or beside it (use {ALLOW_OUTSIDE_OPTION} to allow this)"
        )
    if "\0" in spec.base or not os.path.exists(open_path):
        raise fail(f"cannot find the base file {spec.base!r} (looked for {display})")
    if os.path.isdir(open_path):
        raise fail(f"{spec.base!r} is a folder, not a scenario file")
    if os.path.realpath(spec.file) == real or is_sweep_file(open_path):
        raise fail(f"{spec.base!r} is a sweep file; a sweep's base must be a scenario file")
    data, provenance = load_with_extends(display, allow_outside=allow_outside)
    validate_model(Scenario, data, provenance)  # the base must be valid on its own
    return data, provenance


# --------------------------------------------------------------------------- building one point


_MISSING = object()


def _default_at(parts: Sequence[str | int]) -> Any:
    value: Any = _defaults()
    for part in parts:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
        elif not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return copy.deepcopy(value)


_DEFAULTS: dict | None = None


def _defaults() -> dict:
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = Scenario().model_dump(mode="json")
    return _DEFAULTS


def _child_or_default(node: Any, parts: Sequence[str | int], i: int) -> Any:
    """``node[parts[i]]``, or the schema default there when the base leaves it out."""
    part = parts[i]
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and part < len(node) else _MISSING
    child = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
    return child if child is not _MISSING else _default_at(parts[: i + 1])


def _missing_item(data: dict, path: str) -> str | None:
    """Why a path naming a list item (``interventions[2].change``) has no such item in the base, or None."""
    parts = parse_path(path) or []
    node: Any = data
    for i, part in enumerate(parts):
        if i == len(parts) - 1 and not isinstance(part, int):
            return None  # a key may be new; a list item must exist
        child = _child_or_default(node, parts, i)
        if child is _MISSING:
            where = format_path(parts[:i])
            if isinstance(part, int):
                count = len(node) if isinstance(node, list) else 0
                return (f"the base scenario has {count} item{'s' if count != 1 else ''} in {where!r}, "
                        f"so there is no {format_path(parts[: i + 1])!r}")
            return None
        node = child
    return None


def _set(data: dict, path: str, value: Any) -> None:
    """Set a dotted path in ``data`` (a fresh copy), filling a missing mapping from the schema default."""
    parts = parse_path(path) or [path]
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        child = _child_or_default(node, parts, i)
        if not isinstance(child, (dict, list)):
            child = {}
        node[part] = child
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def _under(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + ".") or path.startswith(ancestor + "[")


def _point_provenance(base: LocationMap, spec: _Spec, placed: Mapping[str, str]) -> LocationMap:
    """The base's locations, with each swept path (and what is inside it) located in the sweep file."""
    keys = base.key_locations
    prov = LocationMap({p: l for p, l in base.items() if not any(_under(p, s) for s in placed)},
                       key_locations={p: l for p, l in keys.items() if not any(_under(p, s) for s in placed)})
    sweep_locs, sweep_keys = spec.locations, spec.locations.key_locations
    for setting, item in placed.items():
        loc = sweep_locs.get(item)
        if loc is not None:
            prov[setting] = loc
            prov.key_locations[setting] = loc
        for p, l in sweep_locs.items():
            if p != item and _under(p, item):
                prov[setting + p[len(item):]] = l
        for p, l in sweep_keys.items():
            if p != item and _under(p, item):
                prov.key_locations[setting + p[len(item):]] = l
    for field in ("name", "description"):
        loc = sweep_locs.get(format_path([SWEEP_KEY, field]))
        if loc is not None and getattr(spec, field) is not None:
            prov[field] = loc
            prov.key_locations[field] = loc
    return prov


def _relocate(problem: Problem, placed: Mapping[str, str], spec: _Spec) -> Problem:
    """Put a point's problem about a whole table or section at the swept value inside it."""
    loc = Location(problem.file, problem.line, problem.column)
    swept_inside = [s for s in placed if problem.path and s != problem.path and _under(s, problem.path)]
    if swept_inside:  # a rule about a whole table or section (e.g. branches must sum to 1)
        loc = spec.locations.get(placed[swept_inside[0]]) or loc
    elif not problem.path:
        loc = spec.locations.key_locations.get(SWEEP_KEY) or loc
    return Problem(loc.file, loc.line, loc.column, problem.path, problem.message)


# --------------------------------------------------------------------------- expanding


def _settings_hash(scenario: Scenario) -> str:
    data = scenario.model_dump(mode="json")
    data.pop("name", None)
    data.pop("description", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sweep_points(
    path: str | os.PathLike[str], *, allow_outside: bool = False, max_scenarios: int = MAX_SCENARIOS, force: bool = False
) -> list[SweepPoint]:
    """Expand a sweep file into its validated points (see the module docstring for the format).

    Raises
    ------
    ScenarioError
        With every problem, each located in the sweep file (or in the base
        file for a problem of the base itself). Nothing else escapes for bad
        input: an unexpected failure is reported as a problem of the file.
    """
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    try:
        return _sweep_points(display, allow_outside=allow_outside, max_scenarios=max_scenarios, force=force)
    except ScenarioError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: bad input never escapes as a traceback
        raise ScenarioError(Problem(display, None, None, "", f"could not expand the sweep ({type(exc).__name__}: {exc})")) from exc


def _sweep_points(display: str, *, allow_outside: bool, max_scenarios: int, force: bool) -> list[SweepPoint]:
    problems: list[Problem] = []
    spec = _read_spec(display, problems)
    grid, zipped = spec.grid or [], spec.zip or []
    axes = grid + zipped
    if spec.name is not None and axes:
        for message in _template_problems(spec.name, [a.path for a in axes]):
            problems.append(_problem(display, spec.locations, [SWEEP_KEY, "name"], message, key=False))
    if spec.description is not None and axes:
        for message in _template_problems(spec.description, [a.path for a in axes]):
            problems.append(_problem(display, spec.locations, [SWEEP_KEY, "description"], message, key=False))
    if problems:
        raise ScenarioError(problems)
    if not axes:  # defensive: _read_spec reports every way of getting here
        raise ScenarioError(_problem(display, spec.locations, [SWEEP_KEY], "nothing to sweep: add 'grid:'"))

    rows = len(zipped[0].values) if zipped else 1
    count = math.prod(len(a.values) for a in grid) * rows
    if count > max_scenarios and not force:
        raise ScenarioError(
            _problem(display, spec.locations, [SWEEP_KEY],
                     f"this sweep makes {count} scenarios, more than {max_scenarios}; pass {FORCE_OPTION} to run them")
        )

    base_data, base_prov = _load_base(spec, allow_outside)
    for axis in axes:
        why = _missing_item(base_data, axis.path)
        if why:
            problems.append(_problem(display, spec.locations, [SWEEP_KEY, axis.section, axis.key], why))
    if problems:
        raise ScenarioError(problems)

    # every point: grid combinations (first setting slowest), each with every zip row
    combos: list[list[tuple[_Axis, int]]] = []
    for grid_point in itertools.product(*[range(len(a.values)) for a in grid]):
        for row in range(rows):
            combos.append([(a, i) for a, i in zip(grid, grid_point)] + [(a, row) for a in zipped])

    points: list[SweepPoint] = []
    failed: dict[tuple, list[int]] = {}
    labels: dict[int, str] = {}
    for index, combo in enumerate(combos, start=1):
        values = {axis.path: axis.values[i] for axis, i in combo}
        placed = {axis.path: axis.item_paths[i] for axis, i in combo}
        data = copy.deepcopy(base_data)
        for setting, value in values.items():
            _set(data, setting, value)
        data["name"] = _render(spec.name or "", values)
        if spec.description is not None:
            data["description"] = _render(spec.description, values)
        provenance = _point_provenance(base_prov, spec, placed)
        labels[index] = _describe(values)
        try:
            scenario = validate_model(Scenario, data, provenance)
        except ScenarioError as err:
            for p in err.problems:
                moved = _relocate(p, placed, spec)
                failed.setdefault((moved.file, moved.line, moved.column, moved.path, moved.message), []).append(index)
            continue
        points.append(SweepPoint(index, values, scenario, scenario_hash(scenario)))

    if failed:
        out = []
        for (file, line, column, setting, message), indexes in failed.items():
            if len(indexes) == 1:
                label = f"sweep point {indexes[0]} of {count} ({labels[indexes[0]]})"
            else:
                label = f"sweep points {_numbers(indexes)} of {count}"
            out.append(Problem(file, line, column, setting, f"{label}: {message}"))
        raise ScenarioError(out)

    problems.extend(_duplicates(points, spec, count))
    if problems:
        raise ScenarioError(problems)
    return points


def _numbers(indexes: Sequence[int]) -> str:
    shown = [str(i) for i in indexes[:8]] + (["…"] if len(indexes) > 8 else [])
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]


def _duplicates(points: Sequence[SweepPoint], spec: _Spec, count: int) -> list[Problem]:
    problems = []
    by_name: dict[str, SweepPoint] = {}
    by_settings: dict[str, SweepPoint] = {}
    swept = list(points[0].values) if points else []
    for point in points:
        first = by_name.setdefault(point.scenario.name, point)
        if first is not point:
            unnamed = [s for s in swept if first.values[s] != point.values[s] and "{" + s + "}" not in (spec.name or "")]
            hint = f"; put the settings that vary in the name template, e.g. {{{unnamed[0]}}}" if unnamed else ""
            problems.append(_problem(
                spec.file, spec.locations, [SWEEP_KEY, "name"],
                f"sweep points {first.index} ({_describe(first.values)}) and {point.index} ({_describe(point.values)}) "
                f"of {count} both get the name {point.scenario.name!r}; every scenario needs its own name{hint}",
                key=False,
            ))
            continue
        settings = _settings_hash(point.scenario)
        same = by_settings.setdefault(settings, point)
        if same is not point:
            problems.append(_problem(
                spec.file, spec.locations, [SWEEP_KEY],
                f"sweep points {same.index} ({_describe(same.values)}) and {point.index} ({_describe(point.values)}) "
                "make identical scenarios; remove the repeated value",
            ))
    return problems


def expand_sweep(
    path: str | os.PathLike[str], *, allow_outside: bool = False, max_scenarios: int = MAX_SCENARIOS, force: bool = False
) -> list[Scenario]:
    """The validated scenarios of a sweep file, in point order (see :func:`sweep_points`)."""
    return [p.scenario for p in sweep_points(path, allow_outside=allow_outside, max_scenarios=max_scenarios, force=force)]


# --------------------------------------------------------------------------- JSON Schema for editors


def sweep_json_schema() -> dict:
    """A draft-07 JSON Schema of sweep files, for editors (``schemas/sweep.schema.json``).

    It checks the shape (``sweep`` with ``base``, ``name``, ``grid``, ``zip``)
    and offers every setting path as a completion for ``grid`` and ``zip``;
    the values themselves are checked by ``validate``.
    """
    values = {"type": "array", "minItems": 1, "description": "The values to try, e.g. [400, 440, 480]."}
    paths = {p: dict(values) for p in _schema_paths() if "[" not in p and p not in _NOT_SWEPT}
    table = {
        "type": "object",
        "description": "dotted.setting.path: [values] (an item of a list by index: interventions[0].change)",
        "properties": paths,
        "additionalProperties": values,
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://careshift.invalid/sweep.schema.json",
        "title": "careshift sweep",
        "type": "object",
        "required": [SWEEP_KEY],
        "additionalProperties": False,
        "properties": {
            SWEEP_KEY: {
                "type": "object",
                "required": ["base", "name"],
                "additionalProperties": False,
                "properties": {
                    "base": {"type": "string", "minLength": 1,
                             "description": "The scenario file every point starts from, relative to this file."},
                    "name": {"type": "string", "minLength": 1,
                             "description": "Name template: {dotted.path} is replaced by the point's value."},
                    "description": {"type": "string", "description": "Optional description template."},
                    "grid": {**table, "description": "Every combination of these values. " + table["description"]},
                    "zip": {**table, "description": "Paired lists of one length, combined with each grid point. "
                            + table["description"]},
                },
            }
        },
    }


# --------------------------------------------------------------------------- scenario and sweep files together


def load_inputs(
    paths: Iterable[str | os.PathLike[str]], *, allow_outside: bool = False, force: bool = False,
    max_scenarios: int = MAX_SCENARIOS,
) -> list[tuple[str, Scenario]]:
    """Load scenario files and sweep files alike: ``(file, scenario)`` for every scenario, in order.

    Every problem of every file is raised together; scenario names must be
    unique across all files (a clash is reported at the second file).
    """
    from .loader import load_scenario

    problems: list[Problem] = []
    loaded: list[tuple[str, Scenario]] = []
    for path in paths:
        shown = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
        try:
            if is_sweep_file(shown):
                loaded.extend((shown, sc) for sc in expand_sweep(
                    shown, allow_outside=allow_outside, max_scenarios=max_scenarios, force=force))
            else:
                loaded.append((shown, load_scenario(shown, allow_outside=allow_outside)))
        except ScenarioError as err:
            problems.extend(err.problems)
    if not problems:
        seen: dict[str, str] = {}
        for file, sc in loaded:
            if sc.name in seen:
                problems.append(Problem(file, None, None, "name",
                                        f"scenario name {sc.name!r} is also used by {seen[sc.name]}; names must be unique"))
            seen.setdefault(sc.name, file)
    if problems:
        raise ScenarioError(problems)
    return loaded
