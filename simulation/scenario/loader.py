"""Loading scenario files: YAML with ``extends``, validated into a :class:`Scenario`, errors located.

Every problem with a file comes back as one :class:`ScenarioError` listing
``FILE:LINE:COL: dotted.path: what is wrong (what is allowed)`` lines; nothing
here raises anything else for bad input.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .errors import ScenarioError
from .schema import Scenario
from .yamlio import load_model


def load_scenario(path: str | os.PathLike[str], *, allow_outside: bool = False) -> Scenario:
    """Read, merge (``extends``) and validate one scenario file.

    Raises
    ------
    ScenarioError
        With every problem found, each located in the file that set the value.
    """
    return load_model(Scenario, path, allow_outside=allow_outside)


def resolved(scenario: Scenario) -> dict:
    """The scenario as plain JSON-ready data (every default filled in)."""
    return scenario.model_dump(mode="json")


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON): equal hashes mean identical inputs."""
    text = json.dumps(resolved(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_files(folder: str | os.PathLike[str]) -> list[str]:
    """The runnable scenario files of a folder (``*.yaml``, sorted; baseline first)."""
    files = sorted(str(p) for p in Path(folder).glob("*.yaml"))
    files.sort(key=lambda f: (Path(f).stem != "baseline", f))
    return files
