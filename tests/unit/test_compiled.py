"""The compiled engine and pools (``setup.py``, ``simulation._compiled``): the same results as the Python
source, used whenever the install could compile them, and never when their source has changed since."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from simulation import _compiled

ROOT = Path(__file__).resolve().parents[2]

# One replication of a scenario that uses every kind of wait (pools, any_of races, virtual wards, the far
# calendar), written out in full: the metrics table, the daily census and the run facts that count events.
RUN = textwrap.dedent("""
    import json, sys
    import simulation, simulation._compiled as compiled
    from simulation.experiment import run_replication
    from simulation.scenario.loader import load_scenario
    from simulation.scenario.transform import revalidate, with_population, with_run
    sc = load_scenario("scenarios/integrated_care_programme.yaml")
    sc = revalidate(with_run(with_population(sc, 15000), replications=1, horizon_years=1))
    metrics, daily, info = run_replication(sc, 0)
    import simulation.engine as engine, simulation.services.pools as pools
    print(json.dumps({"status": compiled.STATUS, "files": [engine.__file__, pools.__file__],
                      "metrics": metrics.to_csv(index=False), "daily": daily.to_csv(index=False),
                      "events": info["logical_events"]}))
""")


def _run(pure: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != _compiled.PURE_ENV}
    if pure:
        env[_compiled.PURE_ENV] = "1"
    out = subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_compiled_and_python_give_the_same_results_byte_for_byte():
    """The same source compiled and interpreted: every metric, every day of the census, the same events."""
    pure, default = _run(pure=True), _run(pure=False)
    assert all(f.endswith(".py") for f in pure["files"])
    assert all(s.startswith("python") for s in pure["status"].values())
    if all(f.endswith(".py") for f in default["files"]):
        pytest.skip("nothing is compiled in this install: both runs were Python")
    assert pure["events"] == default["events"] > 0
    assert pure["metrics"] == default["metrics"]
    assert pure["daily"] == default["daily"]


def _c_compiler() -> str | None:
    cc = sysconfig.get_config_var("CC")
    return shutil.which(shlex.split(cc)[0]) if cc else None


@pytest.mark.skipif(_c_compiler() is None, reason="no C compiler: the install keeps the engine as Python")
def test_the_install_compiled_the_engine_where_it_could():
    """With a C compiler the install must have compiled both modules from the current source (a failed
    build or a stale one would leave every test running the Python source and hide the compiled one)."""
    env = {k: v for k, v in os.environ.items() if k != _compiled.PURE_ENV}
    out = subprocess.run([sys.executable, "-c", "import json, simulation._compiled as c; print(json.dumps(c.STATUS))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    status = json.loads(out.stdout)
    assert status == {name: "compiled" for name in _compiled.MODULES}, (
        f"{status}: reinstall (pip install -e .) to compile the engine; see the build's output for errors")


def _fake_tree(tmp_path: Path, digest_of_source: bool) -> Path:
    pkg = tmp_path / "simulation"
    pkg.mkdir(parents=True)
    (pkg / "engine.py").write_text("X = 1\n")
    (pkg / "engine.pxd").write_text("cdef int y\n")
    (pkg / ("engine" + importlib.machinery.EXTENSION_SUFFIXES[0])).write_bytes(b"not really compiled")
    digest = _compiled.source_digest(pkg / "engine.py") if digest_of_source else "0" * 64
    (pkg / "engine.compiled.json").write_text(json.dumps({"module": "simulation.engine", "source_sha256": digest}))
    return tmp_path


def test_a_build_of_the_current_source_is_used(tmp_path):
    root = _fake_tree(tmp_path, digest_of_source=True)
    assert _compiled.decide("simulation.engine", pure=False, root=root) == ("compiled", None)
    assert _compiled.decide("simulation.engine", pure=True, root=root) == ("python", "pure")


def test_a_build_of_an_older_source_is_not_used(tmp_path):
    """An edit after installing (an editable install builds in place) makes the source run, not the old build."""
    root = _fake_tree(tmp_path, digest_of_source=True)
    (root / "simulation" / "engine.py").write_text("X = 2\n")
    assert _compiled.decide("simulation.engine", pure=False, root=root) == ("python", "stale")
    root = _fake_tree(tmp_path / "b", digest_of_source=True)
    (root / "simulation" / "engine.pxd").write_text("cdef long y\n")  # the declarations count too
    assert _compiled.decide("simulation.engine", pure=False, root=root) == ("python", "stale")
    root = _fake_tree(tmp_path / "c", digest_of_source=False)
    assert _compiled.decide("simulation.engine", pure=False, root=root) == ("python", "stale")
    (root / "simulation" / "engine.compiled.json").unlink()  # no record of what it was built from
    assert _compiled.decide("simulation.engine", pure=False, root=root) == ("python", "stale")


def test_nothing_built_means_python(tmp_path):
    (tmp_path / "simulation").mkdir()
    (tmp_path / "simulation" / "engine.py").write_text("X = 1\n")
    assert _compiled.decide("simulation.engine", pure=False, root=tmp_path) == ("python", None)


def test_the_build_and_the_check_agree_on_the_digest():
    """``setup.py`` records the digest and compiles the modules that the runtime check uses (it loads
    ``simulation/_compiled.py`` by its path rather than keeping a copy)."""
    source = (ROOT / "setup.py").read_text()
    namespace: dict = {"ROOT": ROOT}
    # run only the loader (not setup() itself)
    start = source.index("def _compiled_helpers")
    end = source.index("\n\n\n", start)
    exec(compile(source[start:end], "setup.py", "exec"), namespace)
    helpers = namespace["_compiled_helpers"]()
    py = ROOT / "simulation" / "engine.py"
    assert helpers.source_digest(py) == _compiled.source_digest(py) == hashlib.sha256(
        py.read_bytes() + py.with_suffix(".pxd").read_bytes()).hexdigest()
    assert helpers.MODULES == _compiled.MODULES
    assert "COMPILED.source_digest(source)" in source and "for name in MODULES" in source
