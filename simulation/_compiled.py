"""Which of careshift's hot modules run compiled, and the fall-back to their Python source.

The install compiles :mod:`simulation.engine` and :mod:`simulation.services.pools` with Cython when
it can (``setup.py``); the compiled pools use the compiled engine's types, so both run compiled or
neither does. A compiled module is this package's own source, typed by the ``.pxd`` beside
it, so it gives the same results byte for byte; Python imports it in place of the ``.py``.

A compiled module is used only while the source beside it is the one it was built from (the
digest in ``<name>.compiled.json``, written by the build). If the source has changed since (an
editable install builds in place, so an edit after installing would otherwise be ignored), the
source runs instead, with a warning to reinstall. Setting ``CARESHIFT_PURE_PYTHON=1`` always runs
the source (for checking that both give the same results, and for debugging).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

#: The modules the install compiles (``setup.py`` reads this list).
MODULES = ("simulation.engine", "simulation.services.pools")
#: Environment variable that makes careshift run every module from its Python source.
PURE_ENV = "CARESHIFT_PURE_PYTHON"
ROOT = Path(__file__).resolve().parent.parent

#: module -> "compiled", "python" (nothing compiled), "python: <PURE_ENV> is set" or "python: source changed
#: since it was compiled" (filled by :func:`select`; the batch manifest records it).
STATUS: dict[str, str] = {}
_WHY = {"pure": f"python: {PURE_ENV} is set", "stale": "python: source changed since it was compiled",
        "partner": "python: the other compiled modules run as Python (they share types)"}


def source_digest(py: Path) -> str:
    """SHA-256 of a module's source and its ``.pxd`` (``setup.py`` records it beside each build)."""
    h = hashlib.sha256(py.read_bytes())
    pxd = py.with_suffix(".pxd")
    if pxd.exists():
        h.update(pxd.read_bytes())
    return h.hexdigest()


def source_file(name: str, root: Path = ROOT) -> Path:
    """The ``.py`` file of module `name`."""
    return root / (name.replace(".", "/") + ".py")


def compiled_file(name: str, root: Path = ROOT) -> Path | None:
    """The extension module built for `name` beside its source, if there is one."""
    py = source_file(name, root)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = py.with_name(py.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def decide(name: str, pure: bool, root: Path = ROOT) -> tuple[str, str | None]:
    """How `name` will run: ("compiled", None), or ("python", why: None when nothing was built, else
    "pure" when :data:`PURE_ENV` asks for the source or "stale" when the source changed after the build)."""
    built = compiled_file(name, root)
    if built is None:
        return "python", None
    if pure:
        return "python", "pure"
    py = source_file(name, root)
    try:
        record = json.loads(built.with_name(py.stem + ".compiled.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if record.get("source_sha256") != source_digest(py):
        return "python", "stale"
    return "compiled", None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Imports the listed modules from their ``.py`` files, not their compiled builds."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(self, fullname, path=None, target=None):
        source = self.sources.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def select() -> dict[str, str]:
    """Decide, before they are imported, which modules run compiled; returns :data:`STATUS`."""
    pure = os.environ.get(PURE_ENV, "") not in ("", "0")
    sources: dict[str, Path] = {}
    decided = {name: decide(name, pure) for name in MODULES}
    if any(how != "compiled" for how, _ in decided.values()):
        # the compiled pools use the compiled engine's types (``cimport``): all compiled, or none
        decided = {name: ("python", "partner" if how == "compiled" else why) for name, (how, why) in decided.items()}
    for name, (how, why) in decided.items():
        if why is not None:
            sources[name] = source_file(name)
            if why == "stale":
                warnings.warn(f"careshift: {name.replace('.', '/')}.py has changed since it was compiled; it runs as "
                              f"Python (slower) until you reinstall (pip install -e .)", RuntimeWarning, stacklevel=3)
        STATUS[name] = _WHY.get(why, how)
    if sources and not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder(sources))
    return STATUS
