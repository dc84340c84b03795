"""Sweep files: expansion into named, validated, hashed scenarios, and every located refusal."""

from __future__ import annotations

import copy
import shutil
import textwrap
from pathlib import Path

import pytest

from simulation.scenario import Scenario
from simulation.scenario.errors import Problem, ScenarioError
from simulation.scenario.loader import scenario_hash
from simulation.scenario.sweep import expand_sweep, is_sweep_file, load_inputs, sweep_points
from tests.conftest import ROOT

EXAMPLE = """\
sweep:
  base: ../scenarios/baseline.yaml
  name: beds {services.acute.beds} weekend {discharge.weekend_discharge_factor} reablement {services.reablement.places}
  grid:
    services.acute.beds: [400, 440, 480]
    discharge.weekend_discharge_factor: [0.5, 1.0]
  zip:
    services.reablement.places: [60, 80]
    services.reablement.community_referrals_per_year: [300.0, 400.0]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with scenarios/baseline.yaml (a copy) and an empty sweeps/ beside it."""
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", tmp_path / "scenarios" / "baseline.yaml")
    (tmp_path / "sweeps").mkdir()
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def sweep(project: Path, grid: str = "", *, name: str = "s {services.acute.beds}", extra: str = "",
          base: str = "../scenarios/baseline.yaml", file: str = "s.yaml") -> Path:
    """A sweep file in project/sweeps; ``grid`` and ``extra`` are YAML lines indented under 'sweep:'."""
    text = f"sweep:\n  base: {base}\n  name: {name}\n"
    if grid:
        text += "  grid:\n" + textwrap.indent(textwrap.dedent(grid), "    ")
    if extra:
        text += textwrap.indent(textwrap.dedent(extra), "  ")
    return write(project / "sweeps", file, text)


def problems_of(path: Path, **kwargs) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        expand_sweep(path, **kwargs)
    return info.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line of ``path`` containing ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --------------------------------------------------------------------------- expansion


def test_example_expands_grid_times_zip_in_order(project):
    path = write(project / "sweeps", "beds.yaml", EXAMPLE)
    points = sweep_points(path)
    assert len(points) == 12
    base = Scenario()
    got = [
        (p.scenario.services.acute.beds, p.scenario.discharge.weekend_discharge_factor,
         p.scenario.services.reablement.places, p.scenario.services.reablement.community_referrals_per_year)
        for p in points
    ]
    expected = [(b, w, pl, r) for b in (400, 440, 480) for w in (0.5, 1.0) for pl, r in ((60, 300.0), (80, 400.0))]
    assert got == expected
    assert points[0].scenario.name == "beds 400 weekend 0.5 reablement 60"
    assert points[3].scenario.name == "beds 400 weekend 1 reablement 80"
    assert [p.index for p in points] == list(range(1, 13))
    assert points[1].values == {
        "services.acute.beds": 400, "discharge.weekend_discharge_factor": 0.5,
        "services.reablement.places": 80, "services.reablement.community_referrals_per_year": 400.0,
    }
    for p in points:
        assert isinstance(p.scenario, Scenario)
        assert p.sha256 == scenario_hash(p.scenario)
        # everything not swept is the base's
        assert p.scenario.services.ae == base.services.ae and p.scenario.routing == base.routing
        assert p.scenario.services.acute.zero_day_share == base.services.acute.zero_day_share
    assert len({p.sha256 for p in points}) == 12
    assert len({p.scenario.name for p in points}) == 12
    assert expand_sweep(path) == [p.scenario for p in points]


def test_expansion_does_not_share_or_mutate_state(project):
    path = write(project / "sweeps", "beds.yaml", EXAMPLE)
    first = expand_sweep(path)
    second = expand_sweep(path)
    assert first == second
    assert first[0] is not second[0]
    assert first[0].services is not first[1].services
    # the base file still loads to the plain baseline
    from simulation.scenario.loader import load_scenario

    assert load_scenario(project / "scenarios" / "baseline.yaml") == Scenario()


def test_the_base_data_is_never_mutated(project, monkeypatch):
    import simulation.scenario.sweep as sweep_module

    real = sweep_module.load_with_extends
    loaded = []

    def spy(*args, **kwargs):
        data, provenance = real(*args, **kwargs)
        loaded.append((data, copy.deepcopy(data), provenance, dict(provenance)))
        return data, provenance

    monkeypatch.setattr(sweep_module, "load_with_extends", spy)
    expand_sweep(write(project / "sweeps", "beds.yaml", EXAMPLE))
    ((data, before, provenance, provenance_before),) = loaded
    assert data == before and dict(provenance) == provenance_before


def test_base_with_extends_keeps_its_own_changes(project):
    write(project / "scenarios", "more.yaml", "extends: baseline.yaml\nname: more\nservices:\n  reablement:\n    places: 100\n")
    path = sweep(project, "services.acute.beds: [400, 500]\n", base="../scenarios/more.yaml")
    scenarios = expand_sweep(path)
    assert [s.services.reablement.places for s in scenarios] == [100, 100]
    assert [s.services.acute.beds for s in scenarios] == [400, 500]
    assert scenarios[0].description == Scenario().description


def test_zip_alone_and_description_template(project):
    path = sweep(project, name="reablement {services.reablement.places}", extra="""\
        description: "{services.reablement.places} places, {{literal}}"
        zip:
          services.reablement.places: [60, 80]
          services.reablement.community_referrals_per_year: [300.0, 400.0]
        """)
    scenarios = expand_sweep(path)
    assert [s.name for s in scenarios] == ["reablement 60", "reablement 80"]
    assert scenarios[1].description == "80 places, {literal}"


def test_a_mapping_value_replaces_the_base_value_whole(project):
    path = sweep(project, """\
        services.acute.zero_day_stay_hours:
          - {dist: exponential, mean: 6.0}
          - {dist: fixed, value: 8.0}
        services.acute.beds: [440]
        """, name="stay {services.acute.zero_day_stay_hours}")
    scenarios = expand_sweep(path)
    assert [s.name for s in scenarios] == ["stay exponential(mean=6)", "stay fixed(value=8)"]
    assert scenarios[0].services.acute.zero_day_stay_hours.dist == "exponential"  # no 'sd' left over from the base
    assert scenarios[1].services.acute.zero_day_stay_hours.mean == 8.0


def test_a_leaf_inside_a_table_and_a_distribution(project):
    path = sweep(project, """\
        routing.gp_no_slot.nhs111: [0.4, 0.6]
        services.acute.zero_day_stay_hours.mean: [6.0]
        """, name="n {routing.gp_no_slot.nhs111}")
    scenarios = expand_sweep(path)
    assert [s.routing.gp_no_slot.probabilities()["next_day"] for s in scenarios] == pytest.approx([0.4, 0.2])
    assert scenarios[0].services.acute.zero_day_stay_hours.sd == Scenario().services.acute.zero_day_stay_hours.sd


def test_a_path_the_base_file_leaves_to_the_defaults(project):
    write(project / "scenarios", "tiny.yaml", "name: tiny\n")
    path = sweep(project, "discharge.p1_split.reablement: [0.3]\n", base="../scenarios/tiny.yaml",
                 name="p {discharge.p1_split.reablement}")
    (sc,) = expand_sweep(path)
    assert sc.discharge.p1_split.reablement == 0.3
    assert sc.discharge.p1_split.home_care == Scenario().discharge.p1_split.home_care


EXPANSION = """\
extends: baseline.yaml
name: reablement expansion
interventions:
  - type: capacity_change
    name: reablement expansion
    start: 2025-04-01
    service: reablement
    change: 34
"""


def test_an_item_of_a_list_by_index(project):
    write(project / "scenarios", "expansion.yaml", EXPANSION)
    path = sweep(project, """\
        interventions[0].change: [20, 50]
        interventions[0].start: [2025-04-01, 2026-04-01]
        """, base="../scenarios/expansion.yaml", name="expansion {interventions[0].change} from {interventions[0].start}")
    scenarios = expand_sweep(path)
    assert [s.name for s in scenarios] == [
        "expansion 20 from 2025-04-01", "expansion 20 from 2026-04-01",
        "expansion 50 from 2025-04-01", "expansion 50 from 2026-04-01",
    ]
    assert [s.interventions[0].change for s in scenarios] == [20, 20, 50, 50]
    assert str(scenarios[1].interventions[0].start) == "2026-04-01"
    assert all(s.interventions[0].service == "reablement" for s in scenarios)


def test_a_list_item_the_base_does_not_have(project):
    write(project / "scenarios", "expansion.yaml", EXPANSION)
    path = sweep(project, "interventions[1].change: [20]\n", base="../scenarios/expansion.yaml",
                 name="x {interventions[1].change}")
    p = only(problems_of(path))
    assert p.line == line_of(path, "interventions[1].change: [20]")
    assert "the base scenario has 1 item in 'interventions', so there is no 'interventions[1]'" in p.message


def test_a_whole_list_item_the_base_does_not_have(project):
    path = sweep(project, "interventions[0]: [{type: telehealth, name: t, start: 2025-04-01, capacity_patients: 5}]\n",
                 name="x")
    p = only(problems_of(path))
    assert "the base scenario has 0 items in 'interventions', so there is no 'interventions[0]'" in p.message


def test_an_unexpected_failure_is_still_a_located_problem(project, monkeypatch):
    import simulation.scenario.sweep as sweep_module

    def boom(*args, **kwargs):
        raise IndexError("something unforeseen")

    monkeypatch.setattr(sweep_module, "_set", boom)
    path = sweep(project, "services.acute.beds: [400]\n")
    p = only(problems_of(path))
    assert p.file == str(path) and "could not expand the sweep (IndexError: something unforeseen)" in p.message


def test_a_list_needs_an_index(project):
    p = only(problems_of(sweep(project, "interventions.change: [20]\n", name="x {interventions.change}")))
    assert "'interventions' is a list; name one item, e.g. 'interventions[0].change'" in p.message


def test_a_field_of_another_kind_of_item_is_refused_at_the_value(project):
    write(project / "scenarios", "expansion.yaml", EXPANSION)
    path = sweep(project, "interventions[0].caseload: [100]\n", base="../scenarios/expansion.yaml",
                 name="x {interventions[0].caseload}")
    p = only(problems_of(path))
    assert (p.file, p.line, p.path) == (str(path), line_of(path, "caseload: [100]"), "interventions[0].caseload")
    assert "unknown field 'caseload'" in p.message and p.message.startswith("sweep point 1 of 1")


# --------------------------------------------------------------------------- recognising sweep files


def test_is_sweep_file(project, tmp_path):
    assert is_sweep_file(write(project / "sweeps", "beds.yaml", EXAMPLE))
    assert not is_sweep_file(ROOT / "scenarios" / "baseline.yaml")
    assert not is_sweep_file(ROOT / "scenarios" / "library" / "reablement_expansion.yaml")
    assert not is_sweep_file(write(tmp_path, "broken.yaml", "sweep: [\n"))
    assert not is_sweep_file(tmp_path / "missing.yaml")
    assert not is_sweep_file(write(tmp_path, "list.yaml", "- sweep\n"))
    # a value-level problem elsewhere does not hide the sweep key
    assert is_sweep_file(write(tmp_path, "dup.yaml", "sweep:\n  base: a.yaml\n  base: b.yaml\n"))


# --------------------------------------------------------------------------- refusals


def test_unknown_path_is_located_with_did_you_mean(project):
    path = sweep(project, "services.acute.bedz: [400]\n")
    p = only(problems_of(path))
    assert (p.file, p.line, p.column) == (str(path), line_of(path, "bedz"), 5)
    assert "did you mean 'services.acute.beds'?" in p.message


def test_unknown_first_part_suggests_the_whole_path(project):
    path = sweep(project, "service.reablement.places: [60]\n", name="r {service.reablement.places}")
    problems = problems_of(path)
    assert any("did you mean 'services.reablement.places'?" in p.message for p in problems)
    assert all(p.line == line_of(path, "service.reablement.places: [60]") for p in problems)


def test_a_path_below_a_single_value(project):
    p = only(problems_of(sweep(project, "services.acute.beds.extra: [1]\n")))
    assert "'services.acute.beds' is a single value" in p.message


def test_invalid_value_names_the_point_and_path_at_the_value(project):
    path = sweep(project, """\
        services.acute.beds: [400, -1]
        discharge.weekend_discharge_factor: [0.5]
        """)
    p = only(problems_of(path))
    assert (p.file, p.line, p.column) == (str(path), line_of(path, "[400, -1]"), 32)
    assert p.path == "services.acute.beds"
    assert p.message.startswith("sweep point 2 of 2 (services.acute.beds=-1, discharge.weekend_discharge_factor=0.5): ")
    assert "must be at least 0" in p.message
    assert str(p).startswith(f"{path}:{p.line}:32: services.acute.beds: sweep point 2 of 2")


def test_the_same_bad_value_in_many_points_is_one_problem(project):
    path = sweep(project, """\
        services.acute.beds: [2.5]
        discharge.weekend_discharge_factor: [0.5, 0.6, 0.7]
        """)
    p = only(problems_of(path))
    assert p.message.startswith("sweep points 1, 2 and 3 of 3: must be a whole number")
    assert p.line == line_of(path, "[2.5]")


def test_sum_rule_is_located_at_the_swept_branch(project):
    path = sweep(project, "routing.gp_no_slot.nhs111: [0.5, 0.9]\n", name="n {routing.gp_no_slot.nhs111}")
    p = only(problems_of(path))
    assert (p.file, p.line, p.column) == (str(path), line_of(path, "[0.5, 0.9]"), 38)
    assert p.path == "routing.gp_no_slot" and "sweep point 2 of 2" in p.message and "more than 1" in p.message


def test_problem_inside_a_swept_mapping_is_located_in_the_sweep_file(project):
    path = sweep(project, "services.acute.zero_day_stay_hours:\n  - {dist: lognormal, mean: 3.0}\n",
                 name="x {services.acute.zero_day_stay_hours}")
    p = only(problems_of(path))
    assert p.file == str(path) and p.line == line_of(path, "{dist: lognormal")
    assert p.path == "services.acute.zero_day_stay_hours.sd" and p.message.endswith("field required")


def test_zip_lists_of_unequal_length(project):
    path = sweep(project, "services.acute.beds: [400]\n", extra="""\
        zip:
          services.reablement.places: [60, 80]
          services.reablement.community_referrals_per_year: [300.0]
        """)
    p = only(problems_of(path))
    assert (p.line, p.path) == (line_of(path, "zip:"), "sweep.zip")
    assert "same length" in p.message and "places has 2" in p.message and "per_year has 1" in p.message


def test_duplicate_generated_names(project):
    path = sweep(project, """\
        services.acute.beds: [400]
        discharge.weekend_discharge_factor: [0.5, 1.0]
        """)
    p = only(problems_of(path))
    assert (p.line, p.path) == (line_of(path, "name:"), "sweep.name")
    assert "both get the name 's 400'" in p.message
    assert "{discharge.weekend_discharge_factor}" in p.message


def test_identical_settings_under_different_names(project):
    path = sweep(project, """\
        services.acute.zero_day_stay_hours:
          - {dist: lognormal, mean: 3.0, sd: 1.0}
          - {dist: lognormal, sd: 1.0, mean: 3.0}
        """, name="x {services.acute.zero_day_stay_hours}")
    p = only(problems_of(path))
    assert "make identical scenarios" in p.message and p.path == "sweep"


@pytest.mark.parametrize("n_beds, n_factor, expected", [(8, 7, 56), (51, 1, 51)])
def test_too_many_scenarios_without_force(project, n_beds, n_factor, expected):
    beds = ", ".join(str(400 + i) for i in range(n_beds))
    factors = ", ".join(str(round(0.3 + 0.1 * i, 1)) for i in range(n_factor))
    path = sweep(project, f"services.acute.beds: [{beds}]\ndischarge.weekend_discharge_factor: [{factors}]\n",
                 name="b {services.acute.beds} w {discharge.weekend_discharge_factor}")
    p = only(problems_of(path))
    assert p.message == f"this sweep makes {expected} scenarios, more than 50; pass --force to run them"
    assert (p.file, p.line) == (str(path), 1)
    assert len(expand_sweep(path, force=True)) == expected


def test_max_scenarios_can_be_changed(project):
    path = sweep(project, "services.acute.beds: [400, 410, 420]\n")
    assert only(problems_of(path, max_scenarios=2)).message.startswith("this sweep makes 3 scenarios, more than 2;")
    assert len(expand_sweep(path, max_scenarios=3)) == 3


def test_exactly_max_scenarios_is_fine(project):
    beds = ", ".join(str(400 + i) for i in range(50))
    assert len(expand_sweep(sweep(project, f"services.acute.beds: [{beds}]\n"))) == 50


def test_empty_grid(project):
    path = sweep(project, extra="grid: {}\n", name="x")
    p = only(problems_of(path))
    assert (p.line, p.path) == (line_of(path, "grid:"), "sweep.grid") and "the grid is empty" in p.message


def test_nothing_to_sweep(project):
    path = sweep(project, name="x")
    p = only(problems_of(path))
    assert p.path == "sweep" and p.message.startswith("nothing to sweep")


@pytest.mark.parametrize("values, message", [("[]", "list of values is empty"), ("400", "must be a list of values")])
def test_values_must_be_a_non_empty_list(project, values, message):
    path = sweep(project, f"services.acute.beds: {values}\n")
    p = only(problems_of(path))
    assert message in p.message and p.line == line_of(path, "services.acute.beds:")


def test_a_setting_swept_twice_or_inside_another(project):
    path = sweep(project, """\
        services.acute.beds: [400]
        services.acute: [{beds: 400}]
        """, extra="zip:\n  services.acute.beds: [1]\n")
    problems = problems_of(path)
    assert len(problems) == 2
    assert any("overlaps 'services.acute.beds'" in p.message for p in problems)
    assert any("'services.acute.beds' is also swept in grid" in p.message for p in problems)


def test_name_cannot_be_swept_and_template_must_use_swept_paths(project):
    path = sweep(project, "name: [a, b]\n")
    assert "cannot be swept" in only(problems_of(path)).message
    path = sweep(project, "services.acute.beds: [400]\n", name="b {services.acute.bed} {", file="t.yaml")
    problems = problems_of(path)
    assert len(problems) == 2 and all(p.path == "sweep.name" for p in problems)
    assert "did you mean {services.acute.beds}?" in problems[0].message or "did you mean {services.acute.beds}?" in problems[1].message
    assert any("unmatched '{'" in p.message for p in problems)


def test_unknown_sweep_field_and_top_level_key(project):
    path = write(project / "sweeps", "s.yaml", EXAMPLE.replace("  grid:", "  gird:").replace("sweep:\n", "extends: x.yaml\nsweep:\n"))
    problems = problems_of(path)
    messages = [p.message for p in problems]
    assert any("unknown field 'gird' — did you mean 'grid'?" in m for m in messages)
    assert any("unknown top-level key 'extends'" in m for m in messages)


def test_required_fields(project):
    path = write(project / "sweeps", "s.yaml", "sweep:\n  grid:\n    services.acute.beds: [400]\n")
    messages = sorted(p.message for p in problems_of(path))
    assert any("field required: 'base'" in m for m in messages) and any("field required: 'name'" in m for m in messages)


def test_yaml_problems_in_the_sweep_file_are_located(project):
    path = sweep(project, "services.acute.beds: [400, .nan]\n")
    p = only(problems_of(path))
    assert p.line == line_of(path, ".nan") and "not a finite number" in p.message


def test_missing_base(project):
    path = sweep(project, "services.acute.beds: [400]\n", base="../scenarios/nope.yaml")
    p = only(problems_of(path))
    assert (p.line, p.path) == (2, "sweep.base") and "cannot find the base file" in p.message


def test_base_outside_the_tree_is_refused_unless_allowed(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", elsewhere / "baseline.yaml")
    deep = project / "a" / "b"
    path = sweep(deep, "services.acute.beds: [400]\n", base=str(elsewhere / "baseline.yaml"))
    p = only(problems_of(path))
    assert p.path == "sweep.base" and "--allow-outside-extends" in p.message
    assert len(expand_sweep(path, allow_outside=True)) == 1


def test_base_with_a_problem_is_reported_in_the_base(project):
    bad = write(project / "scenarios", "bad.yaml", "extends: baseline.yaml\nservices:\n  acute:\n    beds: -5\n")
    path = sweep(project, "discharge.weekend_discharge_factor: [0.5]\n", base="../scenarios/bad.yaml",
                 name="w {discharge.weekend_discharge_factor}")
    p = only(problems_of(path))
    assert (p.file, p.line, p.path) == (str(bad), 4, "services.acute.beds")
    assert not p.message.startswith("sweep point"), "a problem of the base is reported once, as the base's"


def test_base_that_is_a_sweep(project):
    write(project / "sweeps", "beds.yaml", EXAMPLE)
    p = only(problems_of(sweep(project, "services.acute.beds: [400]\n", base="beds.yaml")))
    assert "is a sweep file" in p.message


# --------------------------------------------------------------------------- scenario and sweep files together


def test_load_inputs_mixes_scenario_and_sweep_files(project):
    beds = write(project / "sweeps", "beds.yaml", EXAMPLE)
    base = project / "scenarios" / "baseline.yaml"
    loaded = load_inputs([base, beds])
    assert [f for f, _ in loaded] == [str(base)] + [str(beds)] * 12
    assert loaded[0][1] == Scenario() and loaded[1][1].name == "beds 400 weekend 0.5 reablement 60"


def test_load_inputs_reports_every_file_and_name_clashes(project):
    bad_sweep = sweep(project, "services.acute.bedz: [1]\n", file="bad.yaml")
    bad_scenario = write(project / "scenarios", "bad.yaml", "extends: baseline.yaml\nrun:\n  horizon_years: 0\n")
    with pytest.raises(ScenarioError) as info:
        load_inputs([bad_sweep, bad_scenario])
    assert {p.file for p in info.value.problems} == {str(bad_sweep), str(bad_scenario)}
    clash = sweep(project, "services.acute.beds: [440]\n", name="baseline", file="clash.yaml")
    with pytest.raises(ScenarioError) as info:
        load_inputs([project / "scenarios" / "baseline.yaml", clash])
    p = only(info.value.problems)
    assert p.file == str(clash) and "'baseline' is also used by" in p.message


def test_the_editor_schema_accepts_sweeps_and_refuses_scenarios():
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    from simulation.scenario.sweep import sweep_json_schema

    schema = sweep_json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    example = YAML(typ="safe", pure=True).load(EXAMPLE)
    assert not list(validator.iter_errors(example))
    assert "services.acute.beds" in schema["properties"]["sweep"]["properties"]["grid"]["properties"]
    assert list(validator.iter_errors({"sweep": {"base": "b.yaml", "name": "x", "gird": {}}}))
    assert list(validator.iter_errors({"sweep": {"base": "b.yaml", "name": "x", "grid": {"a.b": []}}}))
    assert list(validator.iter_errors({"name": "a scenario"}))
