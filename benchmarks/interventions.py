"""What each intervention type achieves at maturity on the default place (run on demand, not a test).

Every type is run alone against the baseline, paired on replication (common random numbers), with
the settings of its bundled story (`scenarios/*.yaml`) or, for types that only appear in the
integrated programme, that programme's entry. The table gives, for the last simulated year (every
ramp-up is past 90% by then), the paired change in emergency admissions, A&E attendances, ambulance
conveyances and occupied acute beds, with 95% t intervals across replications.

    python -m benchmarks.interventions                       # 3 replications x 4 years, 2 workers
    python -m benchmarks.interventions --replications 5 --years 5 --write docs/interventions.md

`--write` replaces the table between the markers in that file.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from pathlib import Path

import numpy as np
from scipy import stats

from simulation.experiment import RunOutput, execute, tasks_for
from simulation.scenario.loader import load_scenario
from simulation.scenario.schema import Scenario
from simulation.scenario.transform import revalidate, with_population, with_run

ROOT = Path(__file__).resolve().parents[1]
#: type -> (scenario file under scenarios/, intervention name in it)
SOURCES = {
    "virtual_ward": ("virtual_wards.yaml", "virtual wards"),
    "telehealth": ("telehealth_trial_effect.yaml", "telehealth"),
    "telehealth (claimed effect)": ("library/telehealth_claimed_effect.yaml", "telehealth"),
    "case_management (top 2%)": ("library/case_management_top2.yaml", "case management"),
    "case_management (top 5%)": ("case_management_top5.yaml", "case management"),
    "reablement_expansion": ("library/reablement_expansion.yaml", "reablement expansion"),
    "seven_day_discharge": ("library/seven_day_discharge.yaml", None),
    "enhanced_health_care_homes": ("library/care_home_support.yaml", "care home support"),
    "telecare": ("integrated_care_programme.yaml", "telecare"),
    "self_management": ("integrated_care_programme.yaml", "self-management"),
    "single_point_of_access": ("integrated_care_programme.yaml", "single point of access"),
    "ucr_expansion": ("integrated_care_programme.yaml", "2-hour response"),
    "integrated programme (all together)": ("integrated_care_programme.yaml", "*"),
}
METRICS = ("emergency_admissions", "ae_attendances", "ambulance_conveyances", "acute_in_use_mean")
START, END = "<!-- effects-table:start -->", "<!-- effects-table:end -->"


def scenarios(years: int, replications: int, population: int | None = None) -> list[Scenario]:
    base = with_run(Scenario(), horizon_years=years, replications=replications)
    if population:
        base = with_population(base, population)
    out = [base]
    for label, (file, name) in SOURCES.items():
        sc = load_scenario(ROOT / "scenarios" / file)
        items = [it for it in sc.interventions if name in (None, "*") or it.name == name]
        if name not in (None, "*"):
            # the effect as stated: a story's per-replication draws would mix uncertainty into the table
            items = [it.model_copy(update={"draws": type(it.draws)()}) for it in items]
        if population:
            items = with_population(sc.model_copy(update={"interventions": items}), population).interventions
        sc = base.model_copy(update={"name": label, "interventions": items})
        out.append(revalidate(sc))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=4)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--population", type=int, default=None, help="a smaller place for a quick check")
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args(argv)
    scs = scenarios(args.years, args.replications, args.population)
    results: dict[tuple[int, int], dict] = {}
    t0 = time.perf_counter()

    def keep(out: RunOutput) -> None:
        if not out.ok:
            raise SystemExit(f"run failed: {out.task}: {out.error}")
        m = out.metrics
        last = m[m["year"] == args.years].set_index("metric")["value"]
        results[(out.task.scenario_index, out.task.replication)] = {k: float(last.get(k, np.nan)) for k in
                                                                     (*METRICS, *last.index)}
        print(f"  {out.task.scenario_name} rep {out.task.replication} done", flush=True)

    execute(scs, tasks_for(scs), args.jobs, keep)
    people = f"{args.population or scs[0].population.size:,}"
    lines = [f"Year {args.years} of {args.years} (after a 1-year warm-up), {people} people, "
             f"{args.replications} replications, paired differences from the baseline with 95% t intervals "
             f"({time.strftime('%Y-%m-%d')}, `python -m benchmarks.interventions --years {args.years} "
             f"--replications {args.replications}`).", "",
             "| type (story) | emergency admissions a year | A&E attendances | ambulance conveyances | "
             "occupied acute beds | its own count of admissions avoided |",
             "|---|---|---|---|---|---|"]
    base_adm = np.mean([results[(0, r)]["emergency_admissions"] for r in range(args.replications)])
    for i, sc in enumerate(scs[1:], start=1):
        cells = []
        for metric in METRICS:
            d = np.array([results[(i, r)][metric] - results[(0, r)][metric] for r in range(args.replications)])
            cells.append(_ci(d, 1 if metric == "acute_in_use_mean" else 0))
        own = [sum(v for k, v in results[(i, r)].items() if k.endswith("_admissions_avoided"))
               for r in range(args.replications)]
        has_own = any(k.endswith("_admissions_avoided") for k in results[(i, 0)])
        own_mean = float(np.mean(own)) if has_own else None
        lines.append(f"| {sc.name} | " + " | ".join(cells) + f" | {'' if own_mean is None else f'{own_mean:,.0f}'} |")
    lines += ["", f"Baseline emergency admissions in that year: {base_adm:,.0f}. Wall time "
              f"{time.perf_counter() - t0:,.0f} s."]
    table = "\n".join(lines)
    print(table)
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), f"{START}\n{table}\n{END}", text, flags=re.S)
        args.write.write_text(text, encoding="utf-8")
    return 0


def _ci(d: np.ndarray, digits: int) -> str:
    mean = float(np.mean(d))
    if d.size < 2:
        return f"{mean:+,.{digits}f}"
    half = float(stats.t.ppf(0.975, d.size - 1) * np.std(d, ddof=1) / math.sqrt(d.size))
    return f"{mean:+,.{digits}f} ({mean - half:+,.{digits}f} to {mean + half:+,.{digits}f})"


if __name__ == "__main__":
    raise SystemExit(main())
