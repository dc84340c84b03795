"""Documents generated from the schema: the JSON Schema for editors, the commented baseline, the reference.

The schema (:mod:`simulation.scenario.schema`) is the single source of every
default, unit, limit and source. ``scenarios/baseline.yaml``,
``schemas/scenario.schema.json`` and ``docs/scenario-reference.md`` are made
from it by ``python -m simulation.scenario.document`` and tests keep the
committed copies equal to what it makes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .schema import Scenario

MODELINE = "# yaml-language-server: $schema=../schemas/scenario.schema.json"
#: The first line of a scenario file in ``scenarios/library/``.
LIBRARY_MODELINE = "# yaml-language-server: $schema=../../schemas/scenario.schema.json"
SCHEMA_ID = "https://careshift.invalid/scenario.schema.json"


# --- JSON Schema (draft-07) -------------------------------------------------------


def _draft07(node: Any) -> Any:
    """Rewrite pydantic's 2020-12 output into draft-07 keywords editors understand."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$defs":
                out["definitions"] = _draft07(v)
            elif k == "$ref" and isinstance(v, str):
                out[k] = v.replace("#/$defs/", "#/definitions/")
            elif k == "discriminator":
                continue  # OpenAPI keyword, not JSON Schema
            elif k in ("unit", "source"):
                out[f"x-{k}"] = v
            else:
                out[k] = _draft07(v)
        return out
    if isinstance(node, list):
        return [_draft07(v) for v in node]
    return node


def json_schema() -> dict:
    """The scenario JSON Schema (draft-07), accepting files that hold only differences (plus ``extends``)."""
    raw = Scenario.model_json_schema(mode="validation")
    schema = _draft07(raw)
    schema.pop("required", None)
    props = schema.setdefault("properties", {})
    props["extends"] = {"type": "string", "description": "A scenario file this one starts from (relative path); "
                        "this file then holds only its differences."}
    _drop_required(schema)
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID, **schema}


def _drop_required(node: Any) -> None:
    """A scenario file may leave any setting to its parent, so nothing is required in the editor schema."""
    if isinstance(node, dict):
        if "properties" in node and "required" in node and not _is_leaf_union_member(node):
            node.pop("required")
        for v in node.values():
            _drop_required(v)
    elif isinstance(node, list):
        for v in node:
            _drop_required(v)


def _is_leaf_union_member(node: dict) -> bool:
    return "dist" in node.get("properties", {})


# --- the commented baseline ----------------------------------------------------------


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int,)):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, str):
        if v == "" or any(c in v for c in ":#{}[],&*!|>'\"%@`") or v.strip() != v:
            return json.dumps(v)
        return v
    raise TypeError(f"cannot write {v!r}")


def _flat(model: BaseModel) -> bool:
    """A value table (no nested models, no per-field descriptions) is written on one line."""
    fields = type(model).model_fields
    return all(not isinstance(getattr(model, n), BaseModel) and not f.description for n, f in fields.items())


def _flow(model: BaseModel) -> str:
    return "{" + ", ".join(f"{n}: {_scalar(getattr(model, n))}" for n in type(model).model_fields) + "}"


def _comment(field) -> list[str]:
    extra = field.json_schema_extra or {}
    text = field.description or ""
    unit = extra.get("unit")
    if unit and unit not in ("text", "flag"):
        text += f" [{unit}]"
    lines = [text] if text else []
    if extra.get("source"):
        lines.append(f"source: {extra['source']}")
    return lines


def _emit(model: BaseModel, indent: int, out: list[str]) -> None:
    pad = "  " * indent
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        for line in _comment(field):
            out.append(f"{pad}# {line}")
        if isinstance(value, BaseModel):
            if _flat(value) and len(_flow(value)) + len(pad) + len(name) < 118:
                out.append(f"{pad}{name}: {_flow(value)}")
            else:
                out.append(f"{pad}{name}:")
                _emit(value, indent + 1, out)
        else:
            out.append(f"{pad}{name}: {_scalar(value)}")
        if indent == 0:
            out.append("")


def baseline_yaml(library: bool = False) -> str:
    """``scenarios/baseline.yaml``: every default of the schema, each with its meaning and source.

    With `library`, the copy in ``scenarios/library/`` (the library's stories extend it, so the
    folder runs as a batch with its own baseline).
    """
    out = [
        LIBRARY_MODELINE if library else MODELINE,
        "# careshift baseline: a typical English place of 250,000 people, as the schema's defaults.",
        "# Generated by `python -m simulation.scenario.document` from simulation/scenario/schema.py;",
        "# edit the schema, not this file. Other scenarios `extends: baseline.yaml` and hold only differences.",
        "# Source tags: R read in a published source, D derived from R figures, M recollection not yet",
        "# checked, A modelling assumption. Keys after 'evidence:' are entries of docs/evidence.md.",
        "",
    ]
    if library:
        out.insert(-1, "# This copy in scenarios/library/ is identical apart from its first line and this one.")
    _emit(Scenario(), 0, out)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def write_all(root: Path) -> list[Path]:
    """Regenerate the committed documents under `root` (the project folder)."""
    files = {
        root / "schemas" / "scenario.schema.json": json.dumps(json_schema(), indent=2) + "\n",
        root / "scenarios" / "baseline.yaml": baseline_yaml(),
        root / "scenarios" / "library" / "baseline.yaml": baseline_yaml(library=True),
    }
    from ..metrics import outputs_markdown
    from .sweep import sweep_json_schema

    files[root / "schemas" / "sweep.schema.json"] = json.dumps(sweep_json_schema(), indent=2) + "\n"

    files[root / "docs" / "outputs.md"] = outputs_markdown()
    try:
        from .reference import reference_markdown
    except ImportError:  # pragma: no cover - the reference generator is optional
        reference_markdown = None
    if reference_markdown is not None:
        files[root / "docs" / "scenario-reference.md"] = reference_markdown()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


if __name__ == "__main__":  # python -m simulation.scenario.document [ROOT]
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    for p in write_all(root):
        print(f"wrote {p.relative_to(root)}")
