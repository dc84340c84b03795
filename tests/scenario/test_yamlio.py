"""Tests of scenario YAML reading: located problems, ``extends`` chains, provenance.

The models here are small toys shaped like the real schema (strict, frozen,
closed models; nested models; a list of models; a dict of models; a
discriminated union of distributions on ``dist``) so these tests do not move
when the real schema grows.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

import pytest
from pydantic import BaseModel, ConfigDict, Field

from simulation.scenario.errors import Problem, ScenarioError
from simulation.scenario.yamlio import (
    MAX_ABS_INT,
    Location,
    format_path,
    load_model,
    load_with_extends,
    read_yaml,
    validate_model,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Lognormal(Strict):
    dist: Literal["lognormal"]
    mean: float = Field(gt=0)
    sd: float = Field(gt=0)


class Exponential(Strict):
    dist: Literal["exponential"]
    mean: float = Field(gt=0)


Distribution = Annotated[Union[Lognormal, Exponential], Field(discriminator="dist")]


class Run(Strict):
    days: int = Field(30, gt=0)
    seed: int = 1


class Service(Strict):
    capacity: int = Field(gt=0)
    length_of_stay: Distribution
    kind: Literal["acute", "community"] = "acute"


class Intervention(Strict):
    name: str
    start: int = Field(ge=0)
    share: Union[Annotated[float, Field(ge=0, le=1)], Literal["remainder"]] = 1.0


class Toy(Strict):
    run: Run = Run()
    services: dict[str, Service]
    interventions: list[Intervention] = []
    backup: Optional[Distribution] = None
    label: str = "toy"


VALID = """\
run:
  days: 60
services:
  acute:
    capacity: 10
    length_of_stay:
      dist: lognormal
      mean: 4.0
      sd: 2.0
interventions:
  - name: extra beds
    start: 5
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path, model: type[BaseModel] = Toy, **kwargs) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_model(model, path, **kwargs)
    return info.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def replace_line(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# --------------------------------------------------------------------------- happy path and YAML 1.2


def test_valid_file_loads_into_the_model(tmp_path):
    toy = load_model(Toy, write(tmp_path, "s.yaml", VALID))
    assert toy.run.days == 60
    assert toy.services["acute"].length_of_stay == Lognormal(dist="lognormal", mean=4.0, sd=2.0)
    assert toy.interventions[0].name == "extra beds"


def test_yaml_1_2_scalars(tmp_path):
    data, _ = read_yaml(
        write(
            tmp_path,
            "s.yaml",
            """\
            big: 1e3
            answer: no
            other: yes
            switch: on
            octal: 0o17
            leading_zero: 012
            hex: 0x1F
            date: 2025-04-01
            nothing: ~
            empty:
            flag: true
            quoted: "12"
            """,
        )
    )
    assert data["big"] == 1000.0 and isinstance(data["big"], float)
    assert data["answer"] == "no" and data["other"] == "yes" and data["switch"] == "on"
    assert data["octal"] == 15 and data["leading_zero"] == 12 and data["hex"] == 31
    assert data["date"] == "2025-04-01"
    assert data["nothing"] is None and data["empty"] is None
    assert data["flag"] is True and data["quoted"] == "12"


def test_read_yaml_locations_of_values_and_keys(tmp_path):
    path = write(tmp_path, "s.yaml", VALID)
    data, loc = read_yaml(path)
    assert data["interventions"] == [{"name": "extra beds", "start": 5}]
    assert loc["run.days"] == Location(str(path), 2, 9)
    assert loc.key_locations["run.days"] == Location(str(path), 2, 3)
    assert loc["services.acute.length_of_stay.dist"] == (str(path), 7, 13)
    assert loc["interventions[0]"] == (str(path), 11, 5)
    assert loc["interventions[0].start"] == (str(path), 12, 12)
    assert "interventions[0]" not in loc.key_locations
    assert loc[""] == (str(path), 1, 1)


def test_relative_path_stays_relative(tmp_path, monkeypatch):
    write(tmp_path, "s.yaml", replace_line(VALID, "days: 60", "days: 0"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_model(Toy, "s.yaml")
    assert str(info.value) == "s.yaml:2:9: run.days: must be greater than 0 (got 0)"


def test_anchors_aliases_and_merge_keys(tmp_path):
    data, loc = read_yaml(
        write(
            tmp_path,
            "s.yaml",
            """\
            common: &common {capacity: 5, kind: acute}
            a:
              <<: *common
              capacity: 7
            b: *common
            """,
        )
    )
    assert data["a"] == {"capacity": 7, "kind": "acute"}
    assert data["b"] == {"capacity": 5, "kind": "acute"}
    assert loc["a.capacity"].line == 4 and loc["a.kind"].line == 1


# --------------------------------------------------------------------------- unknown keys


def test_unknown_key_at_depth_1(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", VALID + "labl: x\n")))
    assert (p.line, p.column, p.path) == (13, 1, "labl")
    assert p.message == "unknown field 'labl' — did you mean 'label'?"


def test_unknown_key_at_depth_2(tmp_path):
    path = write(tmp_path, "s.yaml", replace_line(VALID, "  days: 60", "  dayz: 60"))
    p = only(problems_of(path))
    assert (p.file, p.line, p.column, p.path) == (str(path), 2, 3, "run.dayz")
    assert p.message == "unknown field 'dayz' — did you mean 'days'?"


def test_unknown_key_inside_dict_of_models(tmp_path):
    path = write(tmp_path, "s.yaml", replace_line(VALID, "    capacity: 10", "    capacity: 10\n    capacty: 3"))
    p = only(problems_of(path))
    assert (p.line, p.column, p.path) == (6, 5, "services.acute.capacty")
    assert p.message == "unknown field 'capacty' — did you mean 'capacity'?"


def test_unknown_key_inside_a_list_item(tmp_path):
    path = write(tmp_path, "s.yaml", replace_line(VALID, "    start: 5", "    strat: 5"))
    problems = problems_of(path)
    assert [(p.line, p.column, p.path) for p in problems] == [(11, 5, "interventions[0].start"), (12, 5, "interventions[0].strat")]
    assert problems[0].message == "field required"
    assert problems[1].message == "unknown field 'strat' — did you mean 'start'?"


def test_unknown_key_uses_the_variant_picked_by_the_discriminator(tmp_path):
    text = replace_line(VALID, "      dist: lognormal\n      mean: 4.0\n      sd: 2.0", "      dist: exponential\n      mean: 4.0\n      sd: 2.0")
    p = only(problems_of(write(tmp_path, "s.yaml", text)))
    assert (p.line, p.column, p.path) == (9, 7, "services.acute.length_of_stay.sd")
    # 'sd' is a field of Lognormal, not of the Exponential picked by 'dist'
    assert p.message == "unknown field 'sd' (allowed here: dist, mean)"


def test_unknown_key_without_close_match_lists_allowed(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "  days: 60", "  days: 60\n  zzz: 1"))))
    assert p.path == "run.zzz" and p.message == "unknown field 'zzz' (allowed here: days, seed)"


# --------------------------------------------------------------------------- values


def test_duplicate_key_reports_second_occurrence(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "  days: 60", "  days: 60\n  days: 70"))))
    assert (p.line, p.column, p.path) == (3, 3, "run.days")
    assert p.message.startswith("duplicate key 'days' (first given on line 2)")


def test_wrong_type_whole_number(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "capacity: 10", "capacity: 2.5"))))
    assert (p.line, p.column, p.path) == (5, 15, "services.acute.capacity")
    assert p.message == "must be a whole number (got 2.5)"


def test_wrong_type_quoted_number_and_text(tmp_path):
    text = replace_line(VALID, "capacity: 10", 'capacity: "10"')
    text = replace_line(text, "name: extra beds", "name: 7")
    problems = problems_of(write(tmp_path, "s.yaml", text))
    assert [(p.line, p.column, p.path, p.message) for p in problems] == [
        (5, 15, "services.acute.capacity", "must be a whole number (got '10') — remove the quotes"),
        (11, 11, "interventions[0].name", "must be text (got 7) — put it in quotes if you mean text"),
    ]


def test_out_of_range(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "capacity: 10", "capacity: -3"))))
    assert (p.line, p.column, p.path, p.message) == (5, 15, "services.acute.capacity", "must be greater than 0 (got -3)")


def test_plain_union_errors_become_one_message(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", VALID + "    share: remaindr\n")))
    assert (p.line, p.column, p.path) == (13, 12, "interventions[0].share")
    assert p.message == "must be a number or one of: remainder (got 'remaindr') — did you mean 'remainder'?"


def test_literal_with_did_you_mean(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "    capacity: 10", "    capacity: 10\n    kind: acut"))))
    assert (p.line, p.column, p.path) == (6, 11, "services.acute.kind")
    assert p.message == "must be one of: acute, community (got 'acut') — did you mean 'acute'?"


@pytest.mark.parametrize("literal", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_infinity_are_refused(tmp_path, literal):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "mean: 4.0", f"mean: {literal}"))))
    assert (p.line, p.column, p.path) == (8, 13, "services.acute.length_of_stay.mean")
    assert p.message.startswith("not a finite number")


def test_huge_number(tmp_path):
    text = replace_line(VALID, "  days: 60", f"  days: 60\n  seed: {MAX_ABS_INT + 1}")
    p = only(problems_of(write(tmp_path, "s.yaml", text)))
    assert (p.line, p.column, p.path) == (3, 9, "run.seed")
    assert p.message.startswith("number too large")
    # at the limit is fine
    load_model(Toy, write(tmp_path, "ok.yaml", replace_line(VALID, "  days: 60", f"  days: 60\n  seed: {-MAX_ABS_INT}")))


def test_float_overflow_is_too_large(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "mean: 4.0", "mean: 1e400"))))
    assert p.path == "services.acute.length_of_stay.mean" and p.message.startswith("number too large")


def test_empty_value_is_located_at_its_key(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", VALID + "label:\n")))
    assert (p.line, p.column, p.path, p.message) == (13, 1, "label", "must be text (got an empty value)")


def test_unknown_discriminator(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "dist: lognormal", "dist: lognormall"))))
    assert (p.line, p.column, p.path) == (7, 13, "services.acute.length_of_stay.dist")
    assert p.message == "must be one of: lognormal, exponential (got 'lognormall') — did you mean 'lognormal'?"


def test_discriminator_given_a_mapping_points_at_its_key(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "dist: lognormal", "dist:\n        x: 1"))))
    assert (p.line, p.column, p.path) == (7, 7, "services.acute.length_of_stay.dist")
    assert p.message.startswith("must be one of: lognormal, exponential (got a mapping)")


def test_missing_discriminator(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "      dist: lognormal\n", ""))))
    assert (p.line, p.column, p.path) == (6, 5, "services.acute.length_of_stay.dist")
    assert p.message == "field required (one of: lognormal, exponential)"


def test_missing_required_points_at_enclosing_key(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", replace_line(VALID, "    capacity: 10\n", ""))))
    assert (p.line, p.column, p.path, p.message) == (4, 3, "services.acute.capacity", "field required")


def test_missing_required_top_level_points_at_file_start(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "# my scenario\n\nlabel: x\n")))
    assert (p.line, p.column, p.path, p.message) == (3, 1, "services", "field required")


def test_mapping_expected(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "services:\n  acute: 5\n")))
    assert (p.line, p.column, p.path) == (2, 10, "services.acute")
    assert p.message.startswith("must be a mapping") and p.message.endswith("(got 5)")


def test_several_problems_at_once_sorted(tmp_path):
    text = replace_line(VALID, "  days: 60", "  days: 60\n  days: 61")  # duplicate (read stage)
    text = replace_line(text, "capacity: 10", "capacity: -1")  # out of range (validation)
    text = replace_line(text, "sd: 2.0", "sd: .inf")  # not finite (read stage)
    text += "lable: x\n"  # unknown field (validation)
    path = write(tmp_path, "s.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_model(Toy, path)
    lines = str(info.value).splitlines()
    assert [(p.line, p.path) for p in info.value.problems] == [
        (3, "run.days"),
        (6, "services.acute.capacity"),
        (10, "services.acute.length_of_stay.sd"),
        (14, "lable"),
    ]
    assert lines[1] == f"{path}:6:15: services.acute.capacity: must be greater than 0 (got -1)"
    assert len(lines) == 4


# --------------------------------------------------------------------------- file-level problems


def test_malformed_yaml_syntax(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "run:\n  days: 3\n  seed: a: b\n")))
    assert (p.line, p.column, p.path) == (3, 10, "")
    assert p.message.startswith("invalid YAML: mapping values are not allowed here")


def test_unclosed_flow_list(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "run:\n  days: [1, 2\nservices: {}\n")))
    assert (p.line, p.column) == (3, 9)
    assert "flow sequence that starts at line 2, column 9" in p.message


def test_tab_indentation(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "run:\n\tdays: 3\n")))
    assert (p.line, p.column) == (2, 1) and "spaces, not tabs" in p.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, "s.yaml", text)
    p = only(problems_of(path))
    assert (p.file, p.line, p.column, p.path) == (str(path), 1, 1, "")
    assert p.message == "file is empty (expected a mapping of scenario settings)"


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "a list"), ("hello\n", "the text 'hello'"), ("42\n", "the number 42")])
def test_top_level_not_a_mapping(tmp_path, text, got):
    p = only(problems_of(write(tmp_path, "s.yaml", text)))
    assert (p.line, p.column, p.path) == (1, 1, "")
    assert p.message.startswith("the top level must be a mapping") and p.message.endswith(got)


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object:os.system ls", "!!python/object:os.system"),
        ("!!python/object/apply:os.system [ls]", "!!python/object/apply:os.system"),
        ("!include other.yaml", "!include"),
        ("!!binary aGk=", "!!binary"),
    ],
)
def test_tags_are_refused(tmp_path, value, tag):
    p = only(problems_of(write(tmp_path, "s.yaml", VALID + f"label: {value}\n")))
    assert (p.line, p.column, p.path) == (13, 8, "label")
    assert p.message.startswith(f"YAML tag {tag} is not allowed")


def test_plain_core_tags_are_fine(tmp_path):
    data, _ = read_yaml(write(tmp_path, "s.yaml", "a: !!str 12\nb: !!int '7'\n"))
    assert data == {"a": "12", "b": 7}


def test_not_utf8(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", b"run:\n  days: \xff\n")))
    assert (p.line, p.column) == (2, 9) and "not UTF-8" in p.message


def test_missing_file_and_folder(tmp_path):
    p = only(problems_of(tmp_path / "nope.yaml"))
    assert (p.file, p.line, p.message) == (str(tmp_path / "nope.yaml"), None, "file not found")
    assert str(p) == f"{tmp_path / 'nope.yaml'}: file not found"
    p = only(problems_of(tmp_path))
    assert p.message == "is a folder, not a file"


def test_several_documents(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "a: 1\n---\nb: 2\n")))
    assert p.line == 3 and "more than one YAML document" in p.message


def test_yaml_directive_refused(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "%YAML 1.1\n---\nlabel: no\n")))
    assert p.line == 1 and "not supported" in p.message


def test_alias_bomb_is_stopped(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    p = only(problems_of(write(tmp_path, "s.yaml", "\n".join(lines) + "\n")))
    assert "too many values" in p.message


@pytest.mark.parametrize(
    "text",
    [
        "[",
        "{a: 1",
        ":",
        "? [a]\n: 1\n",
        "a: &a [*a]\n",
        "a: *missing\n",
        "a: b\x00\n",
        "a: !!set {x}\n",
        "a: !!timestamp 2020-01-01\n",
        "1: x\n",
        "services: {acute: {capacity: 1, length_of_stay: 5}}\n",
        "services: {acute: {capacity: 1, length_of_stay: {dist: 5}}}\n",
        "services: []\n",
        "services: {1: x}\n",
        "interventions: {a: 1}\nservices: {}\n",
        pytest.param("a: " + "[" * 400 + "]" * 400 + "\n", id="deep-nesting"),
        "<<: 5\n",
        "a: 0x\n",
        "a: !!int x\n",
        "a: !!bool maybe\n",
        "\ufeffservices: {}\n",
    ],
)
def test_odd_input_gives_only_scenario_errors(tmp_path, text):
    path = write(tmp_path, "s.yaml", text.encode("utf-8"))
    try:
        load_model(Toy, path)
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.file == str(path) and problem.message


# --------------------------------------------------------------------------- extends

BASE = """\
run:
  days: 30
  seed: 7
services:
  acute:
    capacity: 10
    length_of_stay: {dist: exponential, mean: 3.0}
interventions:
  - {name: a, start: 1}
  - {name: b, start: 2}
"""


def test_extends_deep_merges_and_replaces_lists(tmp_path):
    base = write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        run:
          days: 90
        interventions:
          - {name: c, start: 3}
        """,
    )
    data, prov = load_with_extends(child)
    assert "extends" not in data and "extends" not in prov
    assert data["run"] == {"days": 90, "seed": 7}
    assert data["interventions"] == [{"name": "c", "start": 3}]
    assert data["services"]["acute"]["capacity"] == 10
    assert prov["run.days"] == (str(child), 3, 9)  # overridden: the child
    assert prov["run.seed"] == (str(base), 3, 9)  # inherited: the parent
    assert prov["services.acute.capacity"] == (str(base), 6, 15)
    assert prov["interventions[0].name"].file == str(child)
    assert "interventions[1]" not in prov and "interventions[1].name" not in prov
    assert load_model(Toy, child).run.days == 90


def test_extends_replaces_a_distribution_whole(tmp_path):
    write(tmp_path, "base.yaml", replace_line(BASE, "{dist: exponential, mean: 3.0}", "{dist: lognormal, mean: 3.0, sd: 1.0}"))
    # another kind: the parent's 'sd' must not leak into the exponential
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nservices:\n  acute:\n    length_of_stay: {dist: exponential, mean: 5.0}\n")
    data, prov = load_with_extends(child)
    assert data["services"]["acute"]["length_of_stay"] == {"dist": "exponential", "mean": 5.0}
    assert "services.acute.length_of_stay.sd" not in prov
    assert load_model(Toy, child).services["acute"].length_of_stay == Exponential(dist="exponential", mean=5.0)
    # the same kind with a field left out: an error in the child, not the parent's value taken silently
    child2 = write(tmp_path, "child2.yaml", "extends: base.yaml\nservices:\n  acute:\n    length_of_stay: {dist: lognormal, mean: 5.0}\n")
    p = only(problems_of(child2))
    assert (p.file, p.line, p.path, p.message) == (str(child2), 4, "services.acute.length_of_stay.sd", "field required")
    # without 'dist' the mapping is merged as usual: change the mean, keep the kind and sd
    child3 = write(tmp_path, "child3.yaml", "extends: base.yaml\nservices:\n  acute:\n    length_of_stay: {mean: 5.0}\n")
    assert load_model(Toy, child3).services["acute"].length_of_stay == Lognormal(dist="lognormal", mean=5.0, sd=1.0)


def test_validation_problem_in_inherited_value_points_to_parent(tmp_path):
    base = write(tmp_path, "base.yaml", replace_line(BASE, "seed: 7", "seed: 7.5"))
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nrun:\n  days: 0\n")
    problems = problems_of(child)
    assert [(p.file, p.line, p.column, p.path) for p in problems] == [
        (str(base), 3, 9, "run.seed"),
        (str(child), 3, 9, "run.days"),
    ]


def test_chain_of_three(tmp_path):
    a = write(tmp_path, "a.yaml", BASE)
    b = write(tmp_path, "b.yaml", "extends: a.yaml\nrun:\n  seed: 8\n")
    c = write(tmp_path, "c.yaml", "extends: b.yaml\nrun:\n  days: 9\n")
    data, prov = load_with_extends(c)
    assert data["run"] == {"days": 9, "seed": 8}
    assert prov["run.days"].file == str(c)
    assert prov["run.seed"].file == str(b)
    assert prov["services"].file == str(a)
    assert prov["run"].file == str(c)


def test_depth_limit(tmp_path):
    write(tmp_path, "a.yaml", BASE)
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    c = write(tmp_path, "c.yaml", "extends: b.yaml\n")
    load_with_extends(c, max_depth=2)
    with pytest.raises(ScenarioError) as info:
        load_with_extends(c, max_depth=1)
    p = only(info.value.problems)
    assert (p.file, p.line, p.column, p.path) == (str(tmp_path / "b.yaml"), 1, 10, "extends")
    assert p.message.startswith("too many levels of 'extends' (at most 1)")


def test_cycle_reports_the_chain(tmp_path, monkeypatch):
    write(tmp_path, "a.yaml", "extends: b.yaml\nlabel: a\n")
    write(tmp_path, "b.yaml", "label: b\nextends: a.yaml\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_with_extends("a.yaml")
    p = only(info.value.problems)
    assert str(p) == "b.yaml:2:10: extends: 'extends' goes round in a circle: a.yaml -> b.yaml -> a.yaml"


def test_missing_parent_names_chain_and_extends_line(tmp_path, monkeypatch):
    write(tmp_path, "base.yaml", "# base\nextends: gone.yaml\n")
    write(tmp_path, "child.yaml", "label: x\nextends: base.yaml\n")
    monkeypatch.chdir(tmp_path)
    p = only(problems_of(Path("child.yaml")))
    assert (p.file, p.line, p.column, p.path) == ("base.yaml", 2, 10, "extends")
    assert "cannot find the file 'gone.yaml'" in p.message
    assert "child.yaml -> base.yaml -> gone.yaml" in p.message


def test_extends_must_name_a_file(tmp_path):
    p = only(problems_of(write(tmp_path, "s.yaml", "extends: [a.yaml]\n")))
    assert (p.line, p.column, p.path) == (1, 10, "extends") and "must name the YAML file" in p.message


def test_problem_in_parent_file_is_reported_in_parent(tmp_path):
    write(tmp_path, "base.yaml", "run:\n  days: [\n")
    p = only(problems_of(write(tmp_path, "child.yaml", "extends: base.yaml\n")))
    assert p.file == str(tmp_path / "base.yaml") and p.message.startswith("invalid YAML")


def test_extends_outside_the_folder_is_refused_unless_allowed(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "mine/child.yaml", "label: mine\nextends: ../base.yaml\n")
    p = only(problems_of(child))
    assert (p.file, p.line, p.column, p.path) == (str(child), 2, 10, "extends")
    assert "outside the folder" in p.message and "--allow-outside-extends" in p.message
    toy = load_model(Toy, child, allow_outside=True)
    assert toy.label == "mine" and toy.services["acute"].capacity == 10


def test_extends_into_a_subfolder_is_fine(tmp_path):
    write(tmp_path, "common/base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "extends: common/base.yaml\n")
    data, prov = load_with_extends(child)
    assert prov["run.days"].file == str(tmp_path / "common" / "base.yaml")


# --------------------------------------------------------------------------- validate_model, errors


def test_validate_model_with_plain_provenance_walks_up():
    provenance = {"": ("f.yaml", 1, 1), "services": ("f.yaml", 2, 3), "services.acute": ("f.yaml", 3, 5)}
    data = {"services": {"acute": {"length_of_stay": {"dist": "exponential", "mean": 1.0}}}}
    with pytest.raises(ScenarioError) as info:
        validate_model(Toy, data, provenance)
    assert str(info.value) == "f.yaml:3:5: services.acute.capacity: field required"


def test_validate_model_returns_the_model():
    data = {"services": {"x": {"capacity": 1, "length_of_stay": {"dist": "exponential", "mean": 1.0}}}}
    assert validate_model(Toy, data, {}).services["x"].capacity == 1


def test_problem_and_error_formatting():
    assert str(Problem("a.yaml", 3, 4, "x.y", "bad")) == "a.yaml:3:4: x.y: bad"
    assert str(Problem("a.yaml", 3, None, "", "bad")) == "a.yaml:3: bad"
    assert str(Problem(None, None, None, "x", "bad")) == "x: bad"
    assert str(Problem(None, 2, 1, "", "bad")) == "line 2, column 1: bad"
    error = ScenarioError([Problem("b.yaml", 1, 1, "", "z"), Problem("a.yaml", 9, 1, "", "y"), Problem("a.yaml", 2, 5, "", "x")])
    assert str(error) == "a.yaml:2:5: x\na.yaml:9:1: y\nb.yaml:1:1: z"


def test_format_path():
    assert format_path(["services", "acute", "beds"]) == "services.acute.beds"
    assert format_path(["interventions", 0, "start"]) == "interventions[0].start"
    assert format_path(["a.b", "c"]) == '["a.b"].c'
    assert format_path([]) == ""


def test_values_are_plain_python(tmp_path):
    data, _ = read_yaml(write(tmp_path, "s.yaml", "a: {b: [1, 2.5, x, true, null]}\n"))
    assert type(data) is dict and type(data["a"]) is dict and type(data["a"]["b"]) is list
    assert [type(v) for v in data["a"]["b"]] == [int, float, str, bool, type(None)]
    assert not math.isnan(data["a"]["b"][1])
