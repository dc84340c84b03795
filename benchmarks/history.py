"""The benchmark history: one JSON record a line in ``benchmarks/history.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "history.jsonl"


def append(record: dict, path: str | Path = DEFAULT) -> None:
    """Print `record` as one JSON line and append it to the history file."""
    line = json.dumps(record)
    print(line)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
