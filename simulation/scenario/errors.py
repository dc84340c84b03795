"""Located problems in scenario files, and the one exception that carries them.

Every mistake a user can make in a scenario file ends as a :class:`Problem`
(file, line, column, dotted path, plain-English message), and every problem
found in one go is raised together in a single :class:`ScenarioError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

__all__ = ["Problem", "ScenarioError"]


@dataclass(frozen=True)
class Problem:
    """One mistake, located as precisely as we can.

    Attributes
    ----------
    file
        The path as the user gave it (a relative path stays relative), or None.
    line, column
        1-based position in ``file``, or None when unknown.
    path
        Dotted path of the setting, e.g. ``services.acute.beds`` or
        ``interventions[0].start``; ``""`` when the problem is about the file.
    message
        What is wrong, saying what is allowed.
    """

    file: str | None
    line: int | None
    column: int | None
    path: str
    message: str

    def location(self) -> str:
        """``FILE:LINE:COL`` with unknown parts left out (``""`` when nothing is known)."""
        if self.file:
            text = self.file
            if self.line is not None:
                text += f":{self.line}"
                if self.column is not None:
                    text += f":{self.column}"
            return text
        if self.line is not None:
            text = f"line {self.line}"
            if self.column is not None:
                text += f", column {self.column}"
            return text
        return ""

    def __str__(self) -> str:
        parts = [p for p in (self.location(), self.path) if p]
        parts.append(self.message)
        return ": ".join(parts)

    def sort_key(self) -> tuple:
        return (
            self.file or "",
            self.line if self.line is not None else 0,
            self.column if self.column is not None else 0,
            self.path,
            self.message,
        )


class ScenarioError(Exception):
    """All the problems found in a scenario, sorted by file, line and column.

    ``str(error)`` gives one problem per line, ready to print for the user.
    """

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        unique = list(dict.fromkeys(problems))  # drop exact repeats, keep order
        self.problems = sorted(unique, key=Problem.sort_key)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __repr__(self) -> str:
        return f"ScenarioError({len(self.problems)} problem(s))"
