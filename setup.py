"""Build hook: compile careshift's two hot modules with Cython, when the machine can.

Everything else about the package is in ``pyproject.toml``. ``simulation/engine.py`` (the event
loop and journey driver) and ``simulation/services/pools.py`` (capacity pools and level monitors)
are plain Python; here they are also compiled, typed by the ``.pxd`` file beside each, into
extension modules that Python imports in their place. The compiled modules run the same source and
give the same results, byte for byte; a replication takes about a quarter less time.

The extensions are optional: without a C compiler the install goes on (with a warning) and careshift
runs as Python. Each built module gets a ``<name>.compiled.json`` beside it holding the SHA-256 of
the source it was built from, so that ``simulation._compiled`` can tell when the source has changed
since and run the source instead (an editable install builds in place).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def _compiled_helpers():
    """``simulation/_compiled.py`` (which modules to compile, and the digest of a source), loaded by its path:
    the one definition the build and the runtime check share, without importing the package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("careshift_compiled", ROOT / "simulation" / "_compiled.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPILED = _compiled_helpers()
MODULES = COMPILED.MODULES


class BuildExt(build_ext):
    """Builds each extension (a failure leaves that module as Python) and records its source's digest."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:  # compile the modules side by side (about 10 s each)
            self.parallel = os.cpu_count() or 1

    def build_extension(self, ext):
        if self.compiler.compiler_type == "unix":
            # never fuse a multiply and an add (FMA): the compiled arithmetic must round as Python's does
            ext.extra_compile_args = [*ext.extra_compile_args, "-ffp-contract=off"]
        super().build_extension(ext)
        target = Path(self.get_ext_fullpath(ext.name))
        if target.exists():  # an optional extension that failed to build leaves nothing
            source = ROOT / (ext.name.replace(".", "/") + ".py")
            stem = ext.name.rsplit(".", 1)[-1]
            record = json.dumps({"module": ext.name, "source_sha256": COMPILED.source_digest(source)}) + "\n"
            # beside the build (a wheel) and beside the source (where an editable install puts the build)
            for folder in {target.parent, source.parent}:
                (folder / f"{stem}.compiled.json").write_text(record, encoding="utf-8")


def extensions() -> list:
    try:
        from Cython.Build import cythonize
    except ImportError:  # the build requirements were skipped (--no-build-isolation without Cython)
        print("careshift: Cython is not installed; the engine runs as Python (slower)")
        return []
    exts = [Extension(name, [name.replace(".", "/") + ".py"], optional=True) for name in MODULES]
    try:
        return cythonize(exts, quiet=True, compiler_directives={
            "language_level": 3,
            "annotation_typing": False,  # types come from the .pxd files only
        })
    except Exception as exc:  # a translation error: install as Python rather than not at all
        print(f"careshift: could not translate the engine with Cython ({exc}); it runs as Python (slower)")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
