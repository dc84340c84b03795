"""Writing a batch folder safely: per-run tables, the manifest, and summaries rebuilt from finished runs.

Layout of a batch::

    <batch>/manifest.json                  versions, commit, seeds, streams, resolved scenarios
    <batch>/summary.csv                    scenario, metric, year, mean, ci_low, ci_high, replications
    <batch>/comparison.csv                 paired differences from the baseline
    <batch>/money.csv                      money against the baseline by view, organisation and year
    <batch>/<scenario>/rep=<k>/metrics.parquet, daily.parquet, run.json, DONE
    <batch>/<scenario>/rep=<k>/error.txt   instead, when the run failed
    <batch>/plots/*.png

Every file is written to a temporary name in the same folder and renamed, so a
reader never sees half a file; ``DONE`` is written last, and summaries are
rebuilt from the runs that have it, never appended to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import __version__, _compiled
from .analysis import paired_differences, replication_adequacy, summarise_runs, warmup_check
from .rng import stream_layout
from .scenario.loader import resolved, scenario_hash
from .scenario.schema import Scenario

DONE = "DONE"
#: Metrics whose replication adequacy is checked in every batch.
ADEQUACY_METRICS = ["emergency_admissions", "ae_attendances", "bed_days", "delayed_discharge_bed_days", "deaths"]
#: Target relative half-width of the 95% CI for the adequacy check.
ADEQUACY_TARGET = 0.05
PACKAGES = ("simpy", "numpy", "pandas", "scipy", "matplotlib", "pydantic", "ruamel.yaml", "pyarrow")


def slug(name: str) -> str:
    """A folder name for a scenario name: lowercase letters, digits and hyphens (+ a hash if changed)."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "scenario"
    if s != name:
        s += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return s


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_parquet(path: Path, table: pd.DataFrame) -> None:
    import io

    buf = io.BytesIO()
    table.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
    atomic_write_bytes(path, buf.getvalue())


def run_dir(batch: Path, scenario_name: str, replication: int) -> Path:
    return batch / slug(scenario_name) / f"rep={replication}"


def _parquet_ready(metrics: pd.DataFrame) -> pd.DataFrame:
    out = metrics.copy()
    out["year"] = out["year"].astype(str)
    return out


def write_run(batch: Path, scenario_name: str, replication: int, metrics: pd.DataFrame, daily: pd.DataFrame,
              info: dict) -> None:
    """Write one finished replication; ``DONE`` last."""
    d = run_dir(batch, scenario_name, replication)
    d.mkdir(parents=True, exist_ok=True)
    err = d / "error.txt"
    if err.exists():
        err.unlink()
    atomic_write_parquet(d / "metrics.parquet", _parquet_ready(metrics))
    atomic_write_parquet(d / "daily.parquet", daily)
    atomic_write_text(d / "run.json", json.dumps({"scenario": scenario_name, **info}, indent=2, sort_keys=True) + "\n")
    atomic_write_text(d / DONE, "")


def write_failure(batch: Path, scenario_name: str, replication: int, error: str) -> None:
    """Record a failed replication with its traceback (no ``DONE``)."""
    d = run_dir(batch, scenario_name, replication)
    atomic_write_text(d / "error.txt", error)


def completed_runs(batch: Path) -> set[tuple[str, int]]:
    """(scenario slug, replication) of every run with ``DONE``."""
    out = set()
    for done in batch.glob(f"*/rep=*/{DONE}"):
        out.add((done.parent.parent.name, int(done.parent.name.split("=", 1)[1])))
    return out


def read_runs(batch: Path, scenarios: list[str]) -> pd.DataFrame:
    """Long table ``scenario, replication, metric, year, value`` of every completed run, in scenario order."""
    frames = []
    for name in scenarios:
        folder = batch / slug(name)
        reps = sorted((int(p.parent.name.split("=", 1)[1]), p.parent) for p in folder.glob(f"rep=*/{DONE}"))
        for rep, d in reps:
            m = pd.read_parquet(d / "metrics.parquet")
            m.insert(0, "replication", rep)
            m.insert(0, "scenario", name)
            frames.append(m)
    if not frames:
        return pd.DataFrame(columns=["scenario", "replication", "metric", "year", "value"])
    runs = pd.concat(frames, ignore_index=True)
    runs["year"] = [y if y == "all" else int(y) for y in runs["year"]]
    runs["year"] = runs["year"].astype(object)
    return runs


def read_daily(batch: Path, scenario: str) -> pd.DataFrame:
    """Daily census of every completed replication of a scenario (column ``replication`` added)."""
    frames = []
    for done in sorted((batch / slug(scenario)).glob(f"rep=*/{DONE}")):
        d = pd.read_parquet(done.parent / "daily.parquet")
        d.insert(0, "replication", int(done.parent.name.split("=", 1)[1]))
        frames.append(d)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def batch_scenarios(batch: Path) -> dict[str, Scenario]:
    """The resolved scenarios of a batch from its manifest, by name (empty when they cannot be read)."""
    try:
        manifest = read_manifest(batch)
        return {s["name"]: Scenario.model_validate(s["resolved"]) for s in manifest.get("scenarios", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def runs_with_money(batch: Path, scenarios: list[str], baseline: str) -> tuple[pd.DataFrame, dict[str, Scenario]]:
    """Every completed run (:func:`read_runs`) with the money metrics that need the baseline's runs added
    (cash costs, payments and net costs under every payment model: :func:`simulation.money.derive_batch`)."""
    from .money import derive_batch

    runs = read_runs(batch, scenarios)
    resolved = batch_scenarios(batch)
    extra = derive_batch(runs, resolved, baseline) if len(runs) and resolved else None
    if extra is not None and len(extra):
        runs = pd.concat([runs, extra], ignore_index=True)
        runs["year"] = runs["year"].astype(object)
    return runs, resolved


def write_summaries(batch: Path, scenarios: list[str], baseline: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild ``summary.csv``, ``comparison.csv``, ``money.csv``, ``adequacy.csv`` and ``checks.json`` from the
    completed runs."""
    from .money import incremental

    runs, resolved = runs_with_money(batch, scenarios, baseline)
    summary = summarise_runs(runs) if len(runs) else pd.DataFrame(
        columns=["scenario", "metric", "year", "mean", "ci_low", "ci_high", "replications"])
    atomic_write_text(batch / "summary.csv", summary.to_csv(index=False, float_format="%.6g"))
    others = [s for s in scenarios if s != baseline]
    if others and baseline in set(runs["scenario"]):
        comparison = paired_differences(runs, baseline)
    else:
        comparison = pd.DataFrame(columns=["scenario", "metric", "year", "baseline_mean", "scenario_mean", "diff_mean",
                                           "diff_ci_low", "diff_ci_high", "pct_change", "replications"])
    atomic_write_text(batch / "comparison.csv", comparison.to_csv(index=False, float_format="%.6g"))
    money = incremental(runs, resolved, baseline) if len(runs) and resolved else None
    if money is not None and len(money):
        atomic_write_text(batch / "money.csv", money.to_csv(index=False, float_format="%.6g"))
    else:
        (batch / "money.csv").unlink(missing_ok=True)
    write_checks(batch, runs, baseline)
    return summary, comparison


def write_checks(batch: Path, runs: pd.DataFrame, baseline: str) -> dict:
    """Replication adequacy (``adequacy.csv``), the MSER-5 warm-up check and failed run invariants
    (``checks.json``), with warnings."""
    checks: dict = {"adequacy_target_rel_half_width": ADEQUACY_TARGET, "warnings": []}
    if len(runs):
        adequacy = replication_adequacy(runs, ADEQUACY_METRICS, ADEQUACY_TARGET)
        atomic_write_text(batch / "adequacy.csv", adequacy.to_csv(index=False, float_format="%.6g"))
        single = adequacy[adequacy["replications"] < 2]
        if len(single):
            names = ", ".join(dict.fromkeys(single["scenario"]))
            checks["warnings"].append(f"only one replication for {names}: no confidence intervals can be given; "
                                      "run at least 2 (5 or more for decisions)")
        short = adequacy[~adequacy["adequate"].astype(bool) & (adequacy["replications"] >= 2)]
        for _, r in short.iterrows():
            need = r["replications_needed"]
            checks["warnings"].append(
                f"{r['scenario']}: {r['metric']} has a 95% CI of +-{r['rel_half_width'] * 100:.1f}% of its mean with "
                f"{int(r['replications'])} replications; about {int(need) if need == need else '?'} are needed for "
                f"+-{ADEQUACY_TARGET * 100:.0f}%")
    daily = read_daily(batch, baseline)
    if len(daily):
        series = daily.groupby("day")["beds_occupied"].mean().to_numpy(float)
        warmup_days = int((daily["year"] == 0).groupby(daily["replication"]).sum().max())
        try:
            check = warmup_check(series, warmup_days)
        except ValueError as err:
            check = {"message": f"warm-up not checked: {err}", "adequate": None}
        checks["warmup"] = check
        if check.get("adequate") is False:
            checks["warnings"].append(check["message"])
    checks["warnings"].extend(invariant_warnings(batch))
    atomic_write_text(batch / "checks.json", json.dumps(checks, indent=2, default=float) + "\n")
    return checks


def invariant_warnings(batch: Path) -> list[str]:
    """One warning per failed exact invariant (conservation) recorded in the runs' ``run.json`` files."""
    out = []
    for done in sorted(batch.glob(f"*/rep=*/{DONE}")):
        try:
            info = json.loads((done.parent / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for inv in info.get("invariants", []):
            if inv.get("exact") and not inv.get("met"):
                out.append(f"{info.get('scenario', done.parent.parent.name)} replication {info.get('replication')}: "
                           f"invariant failed: {inv.get('name')} (expected {inv.get('target')}, got "
                           f"{inv.get('achieved')}); please report it")
    return out


def code_fingerprint() -> str:
    """SHA-256 over the package's source files (and the compiled modules' declarations): a run is resumable
    only by the same code. Whether the engine runs compiled or as Python does not count: the results are the same."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.pxd")]):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def git_commit() -> dict:
    """Commit of the source tree this package runs from, when it is a git checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip() != ""
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def versions() -> dict:
    out = {"python": platform.python_version(), "careshift": __version__}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def build_manifest(scenarios: list[Scenario], files: list[str], baseline: str, argv: list[str]) -> dict:
    """Everything needed to trace a number back to its inputs."""
    return {
        "careshift_manifest": 1,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": ["run_scenarios.py", *argv],
        "versions": versions(),
        "git": git_commit(),
        "code_sha256": code_fingerprint(),
        # how the hot modules ran (compiled with Cython, or as Python): the same results either way
        "compiled_modules": dict(_compiled.STATUS),
        "platform": {"system": platform.system(), "machine": platform.machine(), "cpu_count": os.cpu_count()},
        "baseline": baseline,
        "random_streams": stream_layout(),
        "scenarios": [
            {
                "name": sc.name,
                "folder": slug(sc.name),
                "file": f,
                "seed": sc.run.seed,
                "replications": sc.run.replications,
                "sha256": scenario_hash(sc),
                "resolved": resolved(sc),
            }
            for sc, f in zip(scenarios, files)
        ],
    }


def write_manifest(batch: Path, manifest: dict) -> None:
    atomic_write_text(batch / "manifest.json", json.dumps(manifest, indent=2) + "\n")


def read_manifest(batch: Path) -> dict:
    with open(batch / "manifest.json", encoding="utf-8") as fh:
        return json.load(fh)


def new_batch_dir(root: Path) -> Path:
    """A new, empty, timestamped batch folder under `root`."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1000):
        d = root / (f"batch-{stamp}" if i == 0 else f"batch-{stamp}-{i}")
        try:
            d.mkdir(parents=True, exist_ok=False)
            return d
        except FileExistsError:
            continue
    raise RuntimeError("could not create a new batch folder")


def argv_text() -> list[str]:
    return list(sys.argv[1:])
