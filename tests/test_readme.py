"""The README's two commands: present, as CI reads them, and the main one still works."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pandas as pd

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(marker: str) -> str:
    m = re.search(rf"<!-- {marker} -->\s*```bash\n(.*?)\n```", README, re.S)
    assert m, f"README has no <!-- {marker} --> block"
    return m.group(1).strip()


def test_exactly_two_setup_commands_each_one_line():
    main, test = block("main-command"), block("test-command")
    assert "\n" not in main and "\n" not in test
    assert main.startswith("python3 -m venv .venv") and test.startswith("python3 -m venv .venv")
    assert main.endswith("python run_scenarios.py")
    assert "pip install" in test and test.endswith("python -m pytest -q")
    assert README.count("<!-- main-command -->") == 1 and README.count("<!-- test-command -->") == 1


def test_ci_reads_the_test_command_from_the_readme():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in script and 'bash -c "$cmd"' in script
    assert '"$rc" -eq 5' in script  # pytest's "no tests collected" is a failure


def test_main_command_runs_on_the_bundled_scenarios(tmp_path):
    """The README's main job, on a smaller place so the suite stays fast (the install step is CI's)."""
    steps = [s.strip() for s in block("main-command").split("&&")]
    assert steps[-1] == "python run_scenarios.py"
    assert any(s.startswith("pip install") and "-e ." in s for s in steps)
    out = tmp_path / "batch"
    argv = shlex.split(steps[-1])[1:] + ["--population", "20000", "--replications", "2", "--years", "1",
                                         "--out", str(out)]
    proc = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "emergency_admissions" in proc.stdout and "vs baseline" in proc.stdout
    bundled = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    summary = pd.read_csv(out / "summary.csv")
    assert summary["scenario"].nunique() == len(bundled)
