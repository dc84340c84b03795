"""``docs/scenario-reference.md`` is generated from the schema and names every setting."""

from __future__ import annotations

import re

from pydantic import BaseModel

from simulation.scenario import Scenario
from simulation.scenario.reference import (
    default_leaves,
    distribution_kinds,
    evidence_keys,
    leaf_paths,
    reference_markdown,
)
from tests.conftest import ROOT

REFERENCE = ROOT / "docs" / "scenario-reference.md"
REGENERATE = "docs/scenario-reference.md is out of date; regenerate with: python -m simulation.scenario.document"


def _mentions(text: str, path: str) -> bool:
    """``path`` appears as a whole dotted path (not as the start of a longer one)."""
    return re.search(r"(?<![\w.])" + re.escape(path) + r"(?![\w.])", text) is not None


def test_committed_reference_is_current():
    assert REFERENCE.is_file(), REGENERATE
    assert REFERENCE.read_text(encoding="utf-8") == reference_markdown(), REGENERATE


def test_every_leaf_path_appears():
    text = reference_markdown()
    paths = leaf_paths() + [p for p, _ in default_leaves()]
    assert len(paths) > 200
    missing = [p for p in dict.fromkeys(paths) if not _mentions(text, p)]
    assert not missing, f"settings missing from the reference: {missing}"


def test_every_described_field_has_a_row_with_unit_default_and_source():
    text = reference_markdown()

    def walk(model: type[BaseModel], value: BaseModel, prefix: str = ""):
        for name, info in type(value).model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            sub = getattr(value, name)
            extra = info.json_schema_extra or {}
            is_section = isinstance(sub, BaseModel) and any(f.description for f in type(sub).model_fields.values())
            if is_section:
                yield from walk(type(sub), sub, path)
            elif info.description:
                yield path, info.description, extra.get("unit", ""), extra.get("source", "")

    rows = {line.split(" | ")[0].strip("| `"): line for line in text.splitlines() if line.startswith("| `")}
    checked = 0
    for path, description, unit, source in walk(Scenario, Scenario()):
        assert path in rows, path
        row = rows[path]
        assert description.replace("|", "\\|") in row, path
        assert f"| {unit} |" in row, path
        for key in evidence_keys(source):
            assert f"(evidence.md#{key})" in row, (path, key)
        checked += 1
    assert checked > 50


def test_defaults_and_limits_are_shown():
    text = reference_markdown()
    beds = next(line for line in text.splitlines() if line.startswith("| `services.acute.beds` |"))
    assert f"`{Scenario().services.acute.beds}`" in beds
    assert "≤ 10,000,000" in beds and "`unlimited`" in beds
    horizon = next(line for line in text.splitlines() if line.startswith("| `run.horizon_years` |"))
    assert "≥ 1, ≤ 10" in horizon
    gp_no_slot = next(line for line in text.splitlines() if line.startswith("| `routing.gp_no_slot` |"))
    assert "`remainder`" in gp_no_slot and "sum to 1" in gp_no_slot


def test_intro_lists_every_distribution_and_the_source_tags():
    text = reference_markdown()
    for kind in distribution_kinds():
        tag = kind.model_fields["dist"].annotation.__args__[0]
        fields = [n for n in kind.model_fields if n != "dist"]
        row = next(line for line in text.splitlines() if line.startswith(f"| `{tag}` |"))
        assert all(f"`{f}`" in row for f in fields), row
    for tag in ("**R**", "**D**", "**M**", "**A**", "extends", "remainder", "unlimited", "NaN", "YAML 1.2"):
        assert tag in text


def test_evidence_keys_named_by_sources_exist_in_the_evidence_document():
    headings = set(re.findall(r"^### (\S+)\s*$", (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8"), re.M))
    cited = set(re.findall(r"\(evidence\.md#([\w-]+)\)", reference_markdown()))
    assert cited, "no evidence keys found"
    assert not cited - headings, f"sources cite entries missing from docs/evidence.md: {sorted(cited - headings)}"
