"""The command line: ``python run_scenarios.py [run|validate|report|schema] ...``.

Exit codes: 0 success, 1 some runs failed, 2 bad input or usage. A user's
mistake is reported in one or more located lines, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from .scenario.errors import ScenarioError

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIOS = PROJECT_ROOT / "scenarios"
DEFAULT_RESULTS = PROJECT_ROOT / "results"
HEADLINE = [
    ("emergency_admissions", "{:,.0f}"),
    ("ae_attendances", "{:,.0f}"),
    ("bed_occupancy_mean", "{:.1%}"),
    ("delayed_discharge_bed_days", "{:,.0f}"),
    ("deaths_in_hospital_share", "{:.1%}"),
]


class UsageError(Exception):
    """A bad command line (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # never sys.exit from inside main()
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 0 <= value <= 10**15:
        raise argparse.ArgumentTypeError(f"must be between 0 and 10**15 (got {value})")
    return value


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 2/8 (got {text!r})") from None
    if not 1 <= i <= n:
        raise argparse.ArgumentTypeError(f"needs 1 <= I <= N (got {text!r})")
    return i, n


def _exec_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=_positive_int, metavar="J", default=os.cpu_count() or 1,
                   help="parallel worker processes (default: number of cores)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local worker processes, or a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:8786); without it a local cluster on 127.0.0.1")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="run_scenarios.py", description="careshift: test shifting care out of hospital, "
                     "scenario by scenario. With no command, runs every scenario in scenarios/.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = sub.add_parser("run", help="run scenario files into a new batch folder")
    run.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    _run_options(run)
    val = sub.add_parser("validate", help="check scenario files and report every problem")
    val.add_argument("files", nargs="+", metavar="FILE")
    val.add_argument("--allow-outside-extends", action="store_true",
                     help="let 'extends' name a file outside the folder of the file that names it")
    val.add_argument("--force", action="store_true", help="allow a sweep that makes more than 50 scenarios")
    rep = sub.add_parser("report", help="redraw the summaries and plots of a finished batch")
    rep.add_argument("batch", metavar="BATCH_DIR")
    res = sub.add_parser("resume", help="finish an interrupted batch (same scenarios and code only)")
    res.add_argument("batch", metavar="BATCH_DIR")
    _exec_options(res)
    mer = sub.add_parser("merge", help="combine the shard folders of one batch into a new batch folder")
    mer.add_argument("shards", nargs="+", metavar="DIR")
    mer.add_argument("--out", required=True, metavar="DIR", help="the merged batch folder to create")
    sub.add_parser("schema", help="print the scenario JSON Schema")
    cal = sub.add_parser("calibrate", help="solve crisis rates and first-contact shares so the baseline "
                         "reproduces a profile; write a scenario fragment")
    cal.add_argument("profile", metavar="PROFILE", help="e.g. scenarios/profiles/england.yaml")
    cal.add_argument("--base", default=str(DEFAULT_SCENARIOS / "baseline.yaml"), metavar="FILE")
    cal.add_argument("--out", metavar="FRAGMENT",
                     help="default: calibrated_<profile>.yaml beside the profile (not run by default)")
    cal.add_argument("--population", type=_positive_int, default=100_000, metavar="P",
                     help="calibrate at the size you will run (default 100,000)")
    cal.add_argument("--years", type=_positive_int, default=2, metavar="Y")
    cal.add_argument("--replications", type=_positive_int, default=2, metavar="N")
    cal.add_argument("--max-iterations", type=_positive_int, default=6, metavar="K")
    cal.add_argument("--keep-slots", action="store_true", help="keep GP slots and UCR visits as in the base")
    cal.add_argument("--seed", type=_seed, metavar="S")
    cal.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="J")
    vd = sub.add_parser("validation", help="run the baseline and every verification check; write docs/validation.md")
    vd.add_argument("--scenario", default=str(DEFAULT_SCENARIOS / "baseline.yaml"), metavar="FILE")
    vd.add_argument("--doc", default=str(PROJECT_ROOT / "docs" / "validation.md"), metavar="FILE",
                    help="where to write the document (default docs/validation.md)")
    vd.add_argument("--batch", metavar="BATCH_DIR", help="use a finished baseline batch instead of running it "
                    "(the checks still run)")
    _run_options(vd)
    ev = sub.add_parser("evaluate", help="evaluate a cohort intervention: naive before/after, matched controls "
                        "and the true (paired counterfactual) effect on emergency admissions")
    ev.add_argument("scenario", metavar="SCENARIO", help="a scenario YAML file")
    ev.add_argument("--intervention", required=True, metavar="NAME", help="name of a cohort intervention in it")
    ev.add_argument("--min-prior-admissions", type=int, default=0, metavar="K",
                    help="evaluate only people (cohort and controls) with at least K emergency admissions in the "
                    "year before enrolment (default 0)")
    ev.add_argument("--cohort-months", type=_positive_int, default=12, metavar="M",
                    help="cohort: people first enrolled within M months of the start (default 12)")
    _small_run_options(ev)
    se = sub.add_parser("sensitivity", help="one-way (tornado) sensitivity of one output to stated parameter "
                        "ranges, with paired replications")
    se.add_argument("scenario", metavar="SCENARIO", help="a scenario YAML file")
    se.add_argument("--metric", default="emergency_admissions", metavar="METRIC",
                    help="output metric, whole horizon (default emergency_admissions; see docs/outputs.md)")
    se.add_argument("--param", action="append", required=True, metavar="PATH=LOW,HIGH",
                    help="a dotted setting and its range, e.g. services.acute.beds=400,480 (repeat for more)")
    se.add_argument("--out", metavar="DIR", help="folder for tornado.csv and the tornado figure (PNG and SVG)")
    se.add_argument("--jobs", type=_positive_int, metavar="J", default=1, help="worker processes (default 1)")
    _small_run_options(se)
    return parser


def _small_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", type=_positive_int, metavar="P", help="people in the place")
    p.add_argument("--years", type=_positive_int, metavar="Y", help="reported years after the warm-up")
    p.add_argument("--replications", type=_positive_int, metavar="R", help="paired replications")
    p.add_argument("--seed", type=_seed, metavar="S", help="root seed")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--replications", type=_positive_int, metavar="N", help="replications per scenario")
    p.add_argument("--seed", type=_seed, metavar="S", help="root seed (replaces every scenario's run.seed)")
    p.add_argument("--years", type=_positive_int, metavar="Y", help="reported years after the warm-up (1-10)")
    p.add_argument("--population", type=_positive_int, metavar="P",
                   help="people in the place; capacities and community flows scale with it")
    _exec_options(p)
    p.add_argument("--out", metavar="DIR", help="batch folder to create (default: a new results/batch-<time>)")
    p.add_argument("--shard", type=_shard, metavar="I/N",
                   help="run only the I-th of N deterministic slices of the tasks (join them with 'merge')")
    p.add_argument("--allow-outside-extends", action="store_true",
                   help="let 'extends' name a file outside the folder of the file that names it")
    p.add_argument("--force", action="store_true", help="allow a sweep that makes more than 50 scenarios")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _terminate_as_interrupt()
    parser = build_parser()
    if argv in (["-h"], ["--help"]):
        parser.print_help()
        print("\nWith no command, runs every scenario in scenarios/ (options as for 'run', without files).")
        return EXIT_OK
    try:
        args = _parse(argv)
    except UsageError as err:
        print(f"{err}\n(see: python run_scenarios.py --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "run" and not args.files:
        print(f"no scenario files found in {DEFAULT_SCENARIOS.name}/", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.command == "run":
            return _cmd_run(args, argv)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "resume":
            return _cmd_resume(args)
        if args.command == "merge":
            return _cmd_merge(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args)
        if args.command == "validation":
            return _cmd_validation(args, argv)
        if args.command == "evaluate":
            return _cmd_evaluate(args)
        if args.command == "sensitivity":
            return _cmd_sensitivity(args)
        if args.command == "schema":
            from .scenario.document import json_schema

            print(json.dumps(json_schema(), indent=2))
            return EXIT_OK
    except ScenarioError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        from .experiment import ExecutorError

        if isinstance(err, ExecutorError):
            print(err, file=sys.stderr)
            return EXIT_RUN_FAILED
        raise
    parser.print_help()
    return EXIT_BAD_INPUT


def _terminate_as_interrupt() -> None:
    """Treat a termination signal like Ctrl-C, so worker processes are stopped on the way out."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        def handler(signum, frame):
            raise KeyboardInterrupt
        try:
            signal.signal(signal.SIGTERM, handler)
        except (ValueError, OSError):  # pragma: no cover - not allowed here
            pass


def _cmd_validate(args) -> int:
    from .scenario.sweep import load_inputs

    problems = []
    for f in args.files:
        try:
            loaded = load_inputs([f], allow_outside=args.allow_outside_extends, force=args.force)
            names = ", ".join(sc.name for _, sc in loaded)
            print(f"{f}: ok ({names})" if len(loaded) == 1 else f"{f}: ok ({len(loaded)} scenarios: {names})")
        except ScenarioError as err:
            problems.extend(err.problems)
    if problems:
        raise ScenarioError(problems)
    return EXIT_OK


def _prepare(args):
    """Load (scenario and sweep files alike) and override; every input problem is raised before anything is written.

    Returns the scenarios and, for each, the file it came from.
    """
    from .scenario.sweep import load_inputs
    from .scenario.transform import revalidate, with_population, with_run

    loaded = load_inputs(list(args.files), allow_outside=args.allow_outside_extends,
                         force=getattr(args, "force", False))
    out, files = [], []
    for file, sc in loaded:
        if args.population:
            sc = with_population(sc, args.population)
        sc = with_run(sc, replications=args.replications, seed=args.seed, horizon_years=args.years)
        try:
            sc = revalidate(sc)
        except Exception as err:  # pydantic ValidationError from an override
            raise UsageError(f"the command-line overrides do not fit scenario {sc.name!r}: {err}") from None
        out.append(sc)
        files.append(file)
    return out, files


def _baseline_name(names: list[str]) -> str:
    return "baseline" if "baseline" in names else names[0]


def _cmd_run(args, argv) -> int:
    scenarios, files = _prepare(args)
    batch, summary, comparison, failures, total = run_batch(
        scenarios, files, argv, args.out, args.jobs, args.executor, args.scheduler, args.shard)
    names = [sc.name for sc in scenarios]
    print(comparison_table(summary, comparison, names, _baseline_name(names)))
    _print_money(batch)
    _print_checks(batch)
    print(f"\nresults: {_display(batch)} (open report.html)")
    return _report_failures(failures, total)


def money_table(money, names: list[str]) -> str:
    """Short text lines: each scenario's NPV (economic and cash) and cash break-even year against the baseline."""
    import math

    from .plots import money_text

    def cell(view: str, measure: str, name: str) -> str:
        r = money[(money["scenario"] == name) & (money["view"] == view) & (money["organisation"] == "total")
                  & (money["measure"] == measure) & (money["year"].astype(str) == "all")]
        if r.empty:
            return "-"
        r = r.iloc[0]
        if measure == "break_even_year":
            return f"year {int(r['mean'])}" if r["mean"] == r["mean"] else "not within the horizon"
        text = money_text(float(r["mean"]), signed=True).replace("\u2212", "-")
        if not (math.isnan(float(r["ci_low"])) or math.isnan(float(r["ci_high"]))):
            lo = money_text(float(r["ci_low"]), signed=True).replace("\u2212", "-")
            hi = money_text(float(r["ci_high"]), signed=True).replace("\u2212", "-")
            text += f" [{lo}, {hi}]"
        return text

    rows = [n for n in names if (money["scenario"] == n).any()]
    if not rows:
        return ""
    lines = ["", "Money against the baseline, all organisations (net present value of savings minus investment; "
             "details in money.csv and report.html)",
             f"{'scenario':<28}{'NPV, economic':>34}{'NPV, cash':>34}{'breaks even (cash)':>26}"]
    for name in rows:
        lines.append(f"{name[:27]:<28}{cell('economic', 'npv', name):>34}{cell('contracts', 'npv', name):>34}"
                     f"{cell('contracts', 'break_even_year', name):>26}")
    return "\n".join(lines)


def _print_money(batch: Path) -> None:
    path = batch / "money.csv"
    if path.is_file():
        import pandas as pd

        money = pd.read_csv(path, dtype={"scenario": str, "view": str, "organisation": str, "measure": str,
                                         "year": str}, keep_default_na=False, na_values=[""])
        names = list(dict.fromkeys(money["scenario"]))
        text = money_table(money, names)
        if text:
            print(text)


def _print_checks(batch: Path) -> None:
    path = batch / "checks.json"
    if path.is_file():
        warnings = json.loads(path.read_text(encoding="utf-8")).get("warnings", [])
        for w in warnings[:8]:
            print(f"warning: {w}", file=sys.stderr)
        if len(warnings) > 8:
            print(f"warning: ... and {len(warnings) - 8} more in checks.json", file=sys.stderr)


def _report_failures(failures, total: int) -> int:
    if not failures:
        return EXIT_OK
    print(f"{len(failures)} of {total} runs failed; see error.txt in their folders", file=sys.stderr)
    for f in failures[:3]:
        print(f"  {f.task.scenario_name} rep={f.task.replication}: {f.error.strip().splitlines()[-1]}",
              file=sys.stderr)
    return EXIT_RUN_FAILED


def run_batch(scenarios, files: list[str], argv, out: str | None, jobs: int, executor: str = "local",
              scheduler: str | None = None, shard: tuple[int, int] | None = None, batch: Path | None = None):
    """Run every (scenario, replication) task (or one shard of them) into a batch folder.

    With `batch` given (resume), the folder exists and finished runs are skipped.
    Summaries and plots are rebuilt from the finished runs at the end.
    """
    from . import output
    from .experiment import execute, shard as take_shard, tasks_for
    from .plots import draw_all

    names = [sc.name for sc in scenarios]
    baseline = _baseline_name(names)
    if batch is None:
        if out:
            batch = Path(out)
            if batch.exists() and any(batch.iterdir()):
                raise UsageError(f"--out {out}: folder exists and is not empty (choose a new folder)")
            batch.mkdir(parents=True, exist_ok=True)
        else:
            batch = output.new_batch_dir(DEFAULT_RESULTS)
        manifest = output.build_manifest(scenarios, files, baseline, argv)
        if shard:
            manifest["shard"] = list(shard)
        output.write_manifest(batch, manifest)
    done = {(output.slug(sc.name), rep) for sc in scenarios for rep in range(sc.run.replications)} & \
        output.completed_runs(batch)
    tasks = tasks_for(scenarios)
    if shard:
        tasks = take_shard(tasks, *shard)
    tasks = [t for t in tasks if (output.slug(t.scenario_name), t.replication) not in done]
    failures = []
    progress = _progress(len(tasks))

    def on_result(result) -> None:
        t = result.task
        if result.ok:
            output.write_run(batch, t.scenario_name, t.replication, result.metrics, result.daily, result.info)
        else:
            output.write_failure(batch, t.scenario_name, t.replication, result.error)
            failures.append(result)
        progress.update(1)

    try:
        execute(scenarios, tasks, jobs, on_result, executor, scheduler)
    finally:
        progress.close()
    summary, comparison = output.write_summaries(batch, names, baseline)
    draw_all(batch, summary, comparison, names, baseline)
    from .report import write_report

    write_report(batch)  # reuses the figures just drawn
    return batch, summary, comparison, failures, len(tasks)


def _parse(argv: list[str]):
    """Parse a command line as main() does (used to replay a batch's command on resume)."""
    if not argv or argv[0].startswith("--"):
        default_run = _Parser(prog="run_scenarios.py")
        _run_options(default_run)
        args = default_run.parse_args(argv)
        from .scenario.loader import scenario_files

        args.files = scenario_files(DEFAULT_SCENARIOS)
        args.command = "run"
        return args
    return build_parser().parse_args(argv)


def _cmd_resume(args) -> int:
    from . import output
    from .scenario.loader import scenario_hash
    from .scenario.schema import Scenario

    batch = Path(args.batch)
    if not (batch / "manifest.json").is_file():
        raise UsageError(f"{args.batch}: not a batch folder (no manifest.json)")
    manifest = output.read_manifest(batch)
    if manifest.get("code_sha256") != output.code_fingerprint():
        raise UsageError(f"cannot resume {args.batch}: the careshift code has changed since the batch started "
                         f"(it ran {manifest.get('versions', {}).get('careshift')} at commit "
                         f"{(manifest.get('git') or {}).get('commit')}); start a new batch")
    scenarios = [Scenario.model_validate(s["resolved"]) for s in manifest["scenarios"]]
    for sc, entry in zip(scenarios, manifest["scenarios"]):
        if scenario_hash(sc) != entry["sha256"]:
            raise UsageError(f"cannot resume {args.batch}: the manifest's scenario {entry['name']!r} does not "
                             "match its recorded hash")
    # the scenario files must still resolve to what the batch ran
    replay = manifest.get("command", ["run_scenarios.py"])[1:]
    try:
        original = _parse(replay)
        current, _ = _prepare(original)
    except (UsageError, ScenarioError) as err:
        raise UsageError(f"cannot resume {args.batch}: its scenario files no longer load ({err})") from None
    changed = [a.name for a, b in zip(scenarios, current) if scenario_hash(a) != scenario_hash(b)]
    if len(current) != len(scenarios) or changed:
        raise UsageError(f"cannot resume {args.batch}: scenario files changed since the batch started "
                         f"({', '.join(changed) or 'different scenarios'}); start a new batch")
    removed = [p for p in batch.rglob("*.tmp")]
    for p in removed:
        p.unlink()
    shard = tuple(manifest["shard"]) if manifest.get("shard") else None
    _, summary, comparison, failures, total = run_batch(
        scenarios, [], replay, None, args.jobs, args.executor, args.scheduler, shard, batch=batch)
    names = [sc.name for sc in scenarios]
    print(comparison_table(summary, comparison, names, _baseline_name(names)))
    _print_money(batch)
    _print_checks(batch)
    print(f"\nresumed {_display(batch)}: {total} runs were missing")
    return _report_failures(failures, total)


def _cmd_merge(args) -> int:
    import shutil

    from . import output
    from .plots import draw_all

    dirs = [Path(d) for d in args.shards]
    manifests = []
    for d in dirs:
        if not (d / "manifest.json").is_file():
            raise UsageError(f"{d}: not a batch folder (no manifest.json)")
        manifests.append(output.read_manifest(d))
    first = manifests[0]
    key = [(s["name"], s["sha256"]) for s in first["scenarios"]]
    for d, m in zip(dirs, manifests):
        if [(s["name"], s["sha256"]) for s in m["scenarios"]] != key:
            raise UsageError(f"{d}: holds other scenarios than {dirs[0]}; only shards of one batch can be merged")
        if m.get("code_sha256") != first.get("code_sha256"):
            raise UsageError(f"{d}: was run by other code than {dirs[0]}")
    shards = sorted(tuple(m.get("shard") or (1, 1)) for m in manifests)
    count = shards[0][1]
    if shards != [(i, count) for i in range(1, count + 1)]:
        raise UsageError(f"the folders hold shards {', '.join(f'{i}/{n}' for i, n in shards)}; "
                         f"all of 1/{count} to {count}/{count} are needed, once each")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"--out {args.out}: folder exists and is not empty (choose a new folder)")
    out.mkdir(parents=True, exist_ok=True)
    for d in dirs:
        for done in d.glob(f"*/rep=*/{output.DONE}"):
            target = out / done.parent.relative_to(d)
            shutil.copytree(done.parent, target)
    manifest = {k: v for k, v in first.items() if k != "shard"}
    manifest["merged_from"] = [str(d) for d in dirs]
    output.write_manifest(out, manifest)
    names = [s["name"] for s in first["scenarios"]]
    baseline = first.get("baseline") or _baseline_name(names)
    summary, comparison = output.write_summaries(out, names, baseline)
    draw_all(out, summary, comparison, names, baseline)
    from .report import write_report

    write_report(out)
    print(comparison_table(summary, comparison, names, baseline))
    _print_money(out)
    _print_checks(out)
    print(f"\nmerged {len(dirs)} shards into {_display(out)}")
    return EXIT_OK


def _cmd_calibrate(args) -> int:
    from .calibration import calibrate, write_fragment

    profile = Path(args.profile)
    out = Path(args.out) if args.out else profile.parent / f"calibrated_{profile.stem}.yaml"
    try:
        result = calibrate(args.profile, args.base, population=args.population, years=args.years,
                           replications=args.replications, max_iterations=args.max_iterations,
                           size_slots=not args.keep_slots, jobs=args.jobs, seed=args.seed,
                           progress=lambda m: print(m, file=sys.stderr))
    except ValueError as err:
        raise UsageError(str(err)) from None
    write_fragment(result, out)
    print(result.summary())
    print(f"\nfragment: {_display(out)}")
    if not result.converged:
        print("calibration did not reach every target within the profile's tolerance", file=sys.stderr)
        return EXIT_RUN_FAILED
    return EXIT_OK


def _cmd_validation(args, argv) -> int:
    from . import output
    from .validation import combine_runs, read_invariants, validation_markdown, validation_table
    from .verification import run_checks

    args.files = [args.scenario]
    scenarios, _ = _prepare(args)
    sc = scenarios[0]
    if args.batch:
        batch = Path(args.batch)
        if not (batch / "manifest.json").is_file():
            raise UsageError(f"{args.batch}: not a batch folder (no manifest.json)")
        resolved = output.read_manifest(batch)["scenarios"][0]["resolved"]
        from .scenario.schema import Scenario

        sc = Scenario.model_validate(resolved)
        summary, _ = output.write_summaries(batch, [sc.name], sc.name)
        failures, total = [], 0
    else:
        batch, summary, _, failures, total = run_batch([sc], args.files, argv, args.out, args.jobs, args.executor,
                                                       args.scheduler)
    reps = int(summary[summary["metric"] == "population"]["replications"].max())
    settings = {"replications": reps, "years": sc.run.horizon_years, "population": sc.population.size,
                "seed": sc.run.seed}
    invariants = read_invariants(batch, sc.name)
    print("running the queueing-theory checks and the named validation cases ...", file=sys.stderr)
    checks = run_checks(args.jobs, progress=lambda key: print(f"  done: {key}", file=sys.stderr))
    doc = Path(args.doc)
    output.atomic_write_text(doc, validation_markdown(summary, sc, settings, sc.name, invariants, checks))
    table = validation_table(summary, sc, sc.name)
    print(table[["metric", "target", "mean", "within"]].to_string(index=False))
    combined = combine_runs(invariants)
    held = sum(r["met"] == r["runs"] for r in combined)
    print(f"\ninvariants: {held} of {len(combined)} hold in all {len(invariants)} runs" if combined else
          "\ninvariants: not recorded in this batch")
    for r in combined:
        if r["met"] != r["runs"]:
            print(f"  not met in {r['runs'] - r['met']} runs: {r['worst']}")
    print(f"checks: {sum(c.met for c in checks)} of {len(checks)} met")
    for c in checks:
        if not c.met:
            print(f"  not met: {c}")
    print(f"\nwrote {_display(doc)} from {_display(batch)}")
    return _report_failures(failures, total)


def _load_one(args):
    """The one scenario file of `evaluate` / `sensitivity`, with the command-line overrides."""
    args.files = [args.scenario]
    args.allow_outside_extends = False
    scenarios, _ = _prepare(args)
    if len(scenarios) != 1:
        raise UsageError(f"{args.scenario}: makes {len(scenarios)} scenarios; give one scenario file, not a sweep")
    return scenarios[0]


def _cmd_evaluate(args) -> int:
    from .evaluate import check_evaluable, evaluate, evaluation_text

    sc = _load_one(args)
    if args.min_prior_admissions < 0:
        raise UsageError(f"--min-prior-admissions must be at least 0 (got {args.min_prior_admissions})")
    try:
        check_evaluable(sc, args.intervention)
    except ValueError as err:
        raise UsageError(f"{args.scenario}: {err}") from None
    table = evaluate(sc, args.intervention, cohort_months=args.cohort_months,
                     min_prior=args.min_prior_admissions)
    print(evaluation_text(table, sc, args.intervention))
    return EXIT_OK


def _cmd_sensitivity(args) -> int:
    from .metrics import METRICS
    from .sensitivity import one_way, parse_param, tornado_text, variants

    sc = _load_one(args)
    if args.metric not in METRICS:
        raise UsageError(f"--metric {args.metric!r}: not an output metric (see docs/outputs.md)")
    try:
        params = [parse_param(text) for text in args.param]
        variants(sc, params)  # every path and value is checked before anything runs
    except ValueError as err:
        raise UsageError(str(err)) from None
    table = one_way(sc, params, args.metric, jobs=args.jobs)
    print(tornado_text(table, args.metric, sc.name))
    if args.out:
        from . import output
        from .plots import display_name, save_figure, short, tornado_figure

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        output.atomic_write_text(out / "tornado.csv", table.to_csv(index=False))
        title = f"One-way sensitivity: {display_name(args.metric)} in '{short(sc.name, 40)}'"
        files = save_figure(tornado_figure(table, args.metric, title, horizon_years=sc.run.horizon_years),
                            out / "tornado")
        print(f"\nwrote {_display(out / 'tornado.csv')}, {', '.join(_display(f) for f in files)}")
    return EXIT_OK


def _cmd_report(args) -> int:
    from . import output
    from .plots import draw_all

    batch = Path(args.batch)
    if not (batch / "manifest.json").is_file():
        raise UsageError(f"{args.batch}: not a batch folder (no manifest.json)")
    manifest = output.read_manifest(batch)
    names = [s["name"] for s in manifest["scenarios"]]
    baseline = manifest.get("baseline") or _baseline_name(names)
    summary, comparison = output.write_summaries(batch, names, baseline)
    files = draw_all(batch, summary, comparison, names, baseline)
    from .report import write_report

    reports = write_report(batch)
    print(comparison_table(summary, comparison, names, baseline))
    _print_money(batch)
    _print_checks(batch)
    print(f"\nredrew {len(files) // 2} plots (PNG and SVG) in {_display(batch / 'plots')}")
    print(f"report: {_display(reports[0])}, {_display(reports[1])}")
    return EXIT_OK


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def comparison_table(summary, comparison, names: list[str], baseline: str) -> str:
    """A short text table: each scenario's horizon mean [95% CI] and its change from baseline."""
    from .report import MINUS, fmt_value, is_share

    lines = []
    header = f"{'scenario':<28}" + "".join(f"{m:>30}" for m, _ in HEADLINE)
    lines.append("Whole horizon, mean [95% CI] across replications; change from baseline below")
    lines.append(header)
    allrows = summary[summary["year"].astype(str) == "all"].set_index(["scenario", "metric"])
    comp = comparison[comparison["year"].astype(str) == "all"].set_index(["scenario", "metric"]) \
        if len(comparison) else None
    for name in names:
        cells = []
        for metric, fmt in HEADLINE:
            try:
                row = allrows.loc[(name, metric)]
                text = fmt.format(row["mean"])
                if row["replications"] > 1:
                    text += f" [{fmt.format(row['ci_low'])}, {fmt.format(row['ci_high'])}]"
            except KeyError:
                text = "-"
            cells.append(f"{text:>30}")
        lines.append(f"{name[:27]:<28}" + "".join(cells))
        if name != baseline and comp is not None:
            cells = []
            for metric, fmt in HEADLINE:
                try:
                    row = comp.loc[(name, metric)]
                    pct = row["pct_change"]
                    # as a board reads it: counts in full, shares in percentage points (no relative change)
                    text = fmt_value(metric, row["diff_mean"], diff=True) if row["diff_mean"] != 0 else "0"
                    text = text.replace(MINUS, "-")  # plain ASCII for any terminal's encoding
                    if pct == pct and not is_share(metric):
                        text += f" ({pct:+.1f}%)"
                except KeyError:
                    text = "-"
                cells.append(f"{text:>30}")
            lines.append(f"{'  vs ' + baseline[:21]:<28}" + "".join(cells))
    return "\n".join(lines)


def _progress(total: int):
    """A progress bar on a terminal; nothing otherwise."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    if tqdm is None or not sys.stderr.isatty():
        class _Silent:
            def update(self, n): pass
            def close(self): pass
        return _Silent()
    return tqdm(total=total, unit="run", desc="runs", file=sys.stderr)
