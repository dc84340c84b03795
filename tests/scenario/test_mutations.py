"""Property test: one changed leaf of the resolved baseline is refused exactly when it is invalid.

Take ``Scenario().model_dump(mode="json")``, pick a leaf, and

* replace it with a value that breaks its type or limits (negative where the
  limit is ``ge=0``, above 1 for a probability, wrong type, NaN, ...): loading
  must fail with a problem whose path starts with that leaf's path -- or, for
  a value that only breaks a sum rule, whose path is the table (or section)
  holding the leaf;
* replace it with a value within its limits (keeping probability tables
  valid: only tables with a ``remainder`` branch are changed, within what the
  remainder can absorb): loading must succeed and give that value.

Half the cases go through a real file and :func:`load_model` (the resolved
scenario written out as YAML, one value per line), so the reported line must
be the leaf's line; the others through :func:`validate_model` directly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types as at
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulation.scenario import Scenario
from simulation.scenario.errors import ScenarioError
from simulation.scenario.fields import ProbabilityTable
from simulation.scenario.schema import PopulationSettings, SegmentPrevalence
from simulation.scenario.yamlio import MAX_ABS_INT, load_model, validate_model

BASE = Scenario().model_dump(mode="json")


# --------------------------------------------------------------------------- leaves with their type and limits


@dataclass
class Leaf:
    parts: tuple[str, ...]
    kind: str  # int | float | bool | str | date | literal | list
    value: Any
    lo: float | None = None
    lo_strict: bool = False
    hi: float | None = None
    hi_strict: bool = False
    min_len: int | None = None
    max_len: int | None = None
    literals: tuple = ()  # words also allowed ('unlimited', 'remainder') or the only ones allowed (dist)
    table: tuple[str, ...] | None = None  # the ProbabilityTable holding this branch
    sum_group: str | None = None  # another sum rule this leaf takes part in

    @property
    def path(self) -> str:
        return ".".join(self.parts)


def _strip(tp: Any, metadata: list[Any]) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        for meta in args[1:]:
            metadata.extend(meta.metadata if isinstance(meta, FieldInfo) else [meta])
    return tp


def _leaves(model: type[BaseModel], data: dict, parts: tuple[str, ...] = ()) -> list[Leaf]:
    out: list[Leaf] = []
    for name, info in model.model_fields.items():
        metadata = list(info.metadata)
        tp = _strip(info.annotation, metadata)
        value = data[name]
        here = parts + (name,)
        options = [tp]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            options = [_strip(a, metadata) for a in typing.get_args(tp)]
        models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
        if models:
            chosen = [m for m in models if "dist" not in m.model_fields or value.get("dist") in typing.get_args(m.model_fields["dist"].annotation)]
            out.extend(_leaves(chosen[0], value, here))
            continue
        if typing.get_origin(tp) is list:
            out.append(Leaf(here, "list", value))
            continue
        literals = tuple(v for o in options if typing.get_origin(o) is typing.Literal for v in typing.get_args(o))
        plain = [o for o in options if typing.get_origin(o) is not typing.Literal]
        leaf = Leaf(here, "literal", value, literals=literals)
        if plain:
            kind = plain[0]
            leaf.kind = {int: "int", float: "float", bool: "bool", str: "str", dt.date: "date"}[kind]
        for meta in metadata:
            if isinstance(meta, at.Ge):
                leaf.lo = meta.ge
            elif isinstance(meta, at.Gt):
                leaf.lo, leaf.lo_strict = meta.gt, True
            elif isinstance(meta, at.Le):
                leaf.hi = meta.le
            elif isinstance(meta, at.Lt):
                leaf.hi, leaf.hi_strict = meta.lt, True
            elif isinstance(meta, at.MinLen):
                leaf.min_len = meta.min_length
            elif isinstance(meta, at.MaxLen):
                leaf.max_len = meta.max_length
        if issubclass(model, ProbabilityTable):
            leaf.table = parts
        if model is not SegmentPrevalence and len(parts) >= 2 and parts[-2:-1] == ("segment_prevalence",):
            leaf.sum_group = "segment_prevalence"
        if parts == ("population", "age_band_shares"):
            leaf.sum_group = "age_band_shares"
        out.append(leaf)
    return out


LEAVES = _leaves(Scenario, BASE)
assert PopulationSettings.model_fields["age_band_shares"] and SegmentPrevalence.model_fields["ltc"]


def _get(data: dict, parts: tuple[str, ...]) -> Any:
    for part in parts:
        data = data[part]
    return data


def _with(parts: tuple[str, ...], value: Any) -> dict:
    data = json.loads(json.dumps(BASE))
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return data


# --------------------------------------------------------------------------- values


def _int_bounds(leaf: Leaf) -> tuple[int, int]:
    lo = -MAX_ABS_INT if leaf.lo is None else (math.floor(leaf.lo) + 1 if leaf.lo_strict else math.ceil(leaf.lo))
    hi = MAX_ABS_INT if leaf.hi is None else (math.ceil(leaf.hi) - 1 if leaf.hi_strict else math.floor(leaf.hi))
    return max(lo, -MAX_ABS_INT), min(hi, MAX_ABS_INT)  # whole numbers beyond 1e15 are refused when read


def _ints_in(leaf: Leaf) -> st.SearchStrategy[int]:
    return st.integers(*_int_bounds(leaf))


def _floats_in(leaf: Leaf, hi: float | None = None) -> st.SearchStrategy[float]:
    top = leaf.hi if hi is None else hi
    return st.floats(
        min_value=-1e6 if leaf.lo is None else leaf.lo,
        max_value=1e6 if top is None else top,
        exclude_min=leaf.lo_strict,
        exclude_max=leaf.hi_strict and hi is None,
        allow_nan=False,
        allow_infinity=False,
    )


def _table_room(leaf: Leaf) -> float | None:
    """How high this branch may go with its table still valid; None when the table has no remainder."""
    table = _get(BASE, leaf.table)
    if "remainder" not in table.values() or leaf.value == "remainder":
        return None
    others = sum(v for k, v in table.items() if k != leaf.parts[-1] and v != "remainder")
    return max(0.0, 1.0 - others)


def _prevalence_room(leaf: Leaf) -> float:
    group, band = leaf.parts[:-2], leaf.parts[-1]
    others = sum(_get(BASE, group + (seg, band)) for seg in ("ltc", "complex", "frailty") if seg != leaf.parts[-2])
    return max(0.0, 1.0 - others - 1e-9)


def valid_value(leaf: Leaf) -> st.SearchStrategy[Any] | None:
    """A strategy of values within limits that keep every rule, or None when the leaf is left alone."""
    if leaf.sum_group == "age_band_shares":
        return None  # five shares that must sum to 1: any single change breaks the rule
    if leaf.kind == "literal":
        return None  # the 'dist' of a distribution: another kind needs other fields
    if leaf.kind == "list":
        return st.sampled_from(VALID_LISTS)
    if leaf.table is not None:
        room = _table_room(leaf)
        if room is None:
            return None
        return _floats_in(leaf, hi=room)
    if leaf.sum_group == "segment_prevalence":
        return _floats_in(leaf, hi=_prevalence_room(leaf))
    words = st.sampled_from(leaf.literals) if leaf.literals else None
    if leaf.kind == "int":
        numbers = _ints_in(leaf)
    elif leaf.kind == "float":
        numbers = _floats_in(leaf)
        lo, hi = _int_bounds(leaf)
        if lo <= hi:
            numbers = numbers | st.integers(lo, hi)  # a whole number is fine for a number setting
    elif leaf.kind == "bool":
        numbers = st.booleans()
    elif leaf.kind == "date":
        numbers = st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)).map(lambda d: d.isoformat())
    elif leaf.kind == "str":
        tricky = st.sampled_from([" leading space", "trailing space ", "a: b # not a comment", "'quoted'",
                                  '"double"', "ünïcödé ✓", "- dash", "{braces}", "yes", "null", "1e3"])
        numbers = tricky | st.text(
            alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc")),
            min_size=leaf.min_len or 0,
            max_size=min(leaf.max_len or 60, 60),
        )
    return numbers | words if words is not None else numbers


WRONG_TYPE = st.sampled_from(["abc", [1, 2], {"x": 1}, None])
#: Valid values of the one list at the top of the schema, ``interventions``.
VALID_LISTS = [
    [],
    [{"type": "capacity_change", "name": "more beds", "start": "2026-04-01", "service": "acute", "change": 20}],
    [{"type": "seven_day_discharge", "name": "weekends", "start": "2025-04-01", "maturity": {"curve": "step"}},
     {"type": "telehealth", "name": "remote", "start": "2027-01-01", "capacity_patients": 500,
      "eligibility": {"segments": ["ltc", "complex"], "min_age": 18}}],
]


def invalid_value(leaf: Leaf) -> st.SearchStrategy[tuple[Any, bool]]:
    """``(value, breaks only a sum rule)``."""
    options: list[st.SearchStrategy[Any]] = [WRONG_TYPE.filter(lambda v: not isinstance(v, str)) if leaf.kind == "str" else WRONG_TYPE]
    if leaf.kind in ("int", "float"):
        if leaf.lo is not None:
            below = st.floats(1e-3, 1e3) if leaf.kind == "float" else st.integers(1, 1000)
            options.append(below.map(lambda d: leaf.lo - d))
            if leaf.lo_strict:
                options.append(st.just(leaf.lo if leaf.kind == "float" else int(leaf.lo)))
        if leaf.hi is not None:
            above = st.floats(1e-3, 1e3) if leaf.kind == "float" else st.integers(1, 1000)
            options.append(above.map(lambda d: leaf.hi + d))
        options.append(st.sampled_from([math.nan, math.inf, -math.inf, True]))
        if leaf.kind == "int":
            options.append(st.sampled_from([2.5, 10.0]))
        else:
            options.append(st.just("0.5"))  # a quoted number is text
    elif leaf.kind == "bool":
        options.append(st.sampled_from(["yes", 1, 0.0]))
    elif leaf.kind == "str":
        options.append(st.just(5))
        if leaf.min_len:
            options.append(st.just(""))
        if leaf.max_len:
            options.append(st.just("x" * (leaf.max_len + 1)))
    elif leaf.kind == "date":
        options.append(st.sampled_from(["2025-13-01", "next year", 20250401]))
    elif leaf.kind == "literal":
        options.append(st.sampled_from(["gamma", "Lognormal", 3]))
    elif leaf.kind == "list":
        options = [WRONG_TYPE.filter(lambda v: not isinstance(v, list)), st.sampled_from([
            [{"type": "gamma", "name": "x", "start": "2025-04-01"}],
            [{"type": "capacity_change", "name": "x", "start": "2025-04-01", "service": "acute"}],  # no change
            [{"type": "case_management", "name": "x", "start": "2025-04-01", "caseload": -5}],
        ])]
    plain = st.one_of(options).map(lambda v: (v, False))
    if leaf.table is not None and leaf.value != "remainder":
        room = _table_room(leaf)
        table = _get(BASE, leaf.table)
        if room is not None and room < 1.0 - 1e-6:
            # within [0, 1] but more than the remainder can give back
            plain = plain | st.floats(min(1.0, room + 0.01), 1.0).map(lambda v: (v, True))
        elif room is None and "remainder" not in table.values():
            # a table without a remainder: any other value breaks the sum
            plain = plain | st.floats(0.0, 1.0).filter(lambda v: abs(v - leaf.value) > 1e-3).map(lambda v: (v, True))
    if leaf.sum_group == "age_band_shares":
        plain = plain | st.floats(0.0, 1.0).filter(lambda v: abs(v - leaf.value) > 1e-3).map(lambda v: (v, True))
    return plain


# --------------------------------------------------------------------------- writing a file with known lines


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # text in double quotes, true/false/null, flow lists and maps


def to_yaml(data: dict) -> tuple[str, dict[str, int]]:
    """Block YAML of ``data``, one value per line, and the line of every dotted path."""
    lines: list[str] = []
    where: dict[str, int] = {}

    def emit(node: dict, indent: int, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and value:
                lines.append(" " * indent + f"{key}:")
                where[path] = len(lines)
                emit(value, indent + 2, path)
            else:
                lines.append(" " * indent + f"{key}: {_scalar(value)}")
                where[path] = len(lines)

    emit(data, 0, "")
    return "\n".join(lines) + "\n", where


# --------------------------------------------------------------------------- the properties


def _load(tmp: Path, data: dict, via_file: bool):
    if via_file:
        text, where = to_yaml(data)
        path = tmp / "mutated.yaml"
        path.write_text(text, encoding="utf-8")
        return (lambda: load_model(Scenario, path)), where, path
    return (lambda: validate_model(Scenario, data, {})), None, None


def _is_ancestor(path: str, leaf: str) -> bool:
    return bool(path) and leaf.startswith(path + ".")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutations")


def _group(leaf: Leaf) -> tuple:
    """Leaves are drawn group by group, so the few text, date, flag and signed leaves are tried as often as
    the many probabilities."""
    return (leaf.kind, leaf.table is not None, leaf.sum_group, leaf.lo is not None and leaf.lo < 0)


def _leaf_from(leaves: list[Leaf]) -> st.SearchStrategy[Leaf]:
    groups: dict[tuple, list[Leaf]] = {}
    for leaf in leaves:
        groups.setdefault(_group(leaf), []).append(leaf)
    return st.sampled_from(sorted(groups, key=repr)).flatmap(lambda g: st.sampled_from(groups[g]))


@st.composite
def invalid_cases(draw):
    leaf = draw(_leaf_from(LEAVES))
    value, sum_rule = draw(invalid_value(leaf))
    return leaf, value, sum_rule


@st.composite
def valid_cases(draw):
    leaf = draw(_leaf_from([lf for lf in LEAVES if valid_value(lf) is not None]))
    return leaf, draw(valid_value(leaf))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=invalid_cases(), via_file=st.booleans())
def test_an_invalid_leaf_is_refused_at_its_path(scratch, case, via_file):
    leaf, value, sum_rule = case
    load, where, path = _load(scratch, _with(leaf.parts, value), via_file)
    with pytest.raises(ScenarioError) as info:
        load()
    problems = info.value.problems
    shown = "\n".join(map(str, problems))
    if sum_rule:
        hits = [p for p in problems if _is_ancestor(p.path, leaf.path)]
        assert hits, f"{leaf.path} = {value!r} should break the sum rule of its table:\n{shown}"
    else:
        hits = [p for p in problems if p.path == leaf.path or p.path.startswith((leaf.path + ".", leaf.path + "["))]
        assert hits, f"{leaf.path} = {value!r} should be refused at its path:\n{shown}"
    if via_file:
        lines = {where.get(p.path) for p in hits}
        assert all(p.file == str(path) for p in hits)
        assert {p.line for p in hits} <= lines | {where.get(leaf.path)}, shown
        if not sum_rule:
            assert any(p.line == where[leaf.path] for p in hits), shown


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=valid_cases(), via_file=st.booleans())
def test_a_valid_leaf_loads(scratch, case, via_file):
    leaf, value = case
    load, _, _ = _load(scratch, _with(leaf.parts, value), via_file)
    scenario = load()
    got = _get(scenario.model_dump(mode="json"), leaf.parts)
    if isinstance(value, float):
        assert got == pytest.approx(value, rel=1e-12, abs=0.0)
    else:
        assert _holds(got, value), (got, value)


def _holds(got: Any, given: Any) -> bool:
    """``got`` (a resolved value) holds everything ``given`` says; defaults may fill the rest."""
    if isinstance(given, dict):
        return isinstance(got, dict) and all(k in got and _holds(got[k], v) for k, v in given.items())
    if isinstance(given, list):
        return isinstance(got, list) and len(got) == len(given) and all(map(_holds, got, given))
    return got == given


def test_the_leaves_cover_every_kind():
    kinds = {leaf.kind for leaf in LEAVES}
    assert kinds == {"int", "float", "bool", "str", "date", "literal", "list"}
    assert len(LEAVES) == len({leaf.path for leaf in LEAVES}) > 200
    assert any(leaf.table for leaf in LEAVES) and any(leaf.sum_group for leaf in LEAVES)
    assert sum(valid_value(leaf) is not None for leaf in LEAVES) > 100


def test_the_yaml_writer_round_trips():
    text, where = to_yaml(BASE)
    path_line = where["services.acute.beds"]
    assert text.splitlines()[path_line - 1].strip() == f"beds: {BASE['services']['acute']['beds']}"
