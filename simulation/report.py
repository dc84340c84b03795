"""The one-file report of a batch: ``report.html`` (self-contained) and ``report.pdf``.

Everything comes from the saved batch folder (``manifest.json``, ``summary.csv``,
``comparison.csv`` and the run folders), so a report can be rebuilt at any time with
``python run_scenarios.py report BATCH``. The HTML opens on a locked-down desktop with no
server, no internet and no Python: images are embedded as base64 PNG, the style is inline,
there is no script and no external address, and every piece of user text is escaped.
The PDF holds the same content on A4 pages drawn with ReportLab, in the figures' DejaVu fonts.

Content: how to read the report; the headline table of every scenario against the
baseline with 95% confidence intervals; the figures; a one-page value case per scenario
(what is put in place, how it works in the model, the impact year by year); the
assumptions and evidence behind every non-default parameter; replication adequacy and the
warm-up check, with plain warnings; and the manifest (versions, commit, seeds, hashes).
A money section appears only when the batch has ``cost_*`` metrics; with ``money.csv`` it shows, for every
scenario, who invests and who saves by organisation and year under an activity tariff and under a pooled
budget, the cash-releasing and other savings, and the net present value, break-even year and return on
investment (see ``docs/money.md``).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import shlex
import types
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Union, get_args, get_origin

import pandas as pd
from pydantic import BaseModel

from . import output, plots
from .analysis import replication_adequacy
from .metrics import intervention_key
from .money import NHS_PROVIDERS, ORG_IN_TEXT, ORG_LABELS, ORGANISATIONS
from .plots import display_name, is_money, is_share, kind_of, money_text, unit_of
from .scenario.schema import Scenario

#: Headline measures and which direction is better.
HEADLINE = [
    ("emergency_admissions", "lower"),
    ("ae_attendances", "lower"),
    ("bed_occupancy_mean", "lower"),
    ("delayed_discharge_bed_days", "lower"),
    ("deaths_in_hospital_share", "lower"),
    ("days_at_home_per_person_65plus", "higher"),
]
BETTER = {
    **dict(HEADLINE),
    "days_occupancy_above_92pct": "lower",
    "care_home_admissions_permanent": "lower",
    "ae_4h_performance": "higher",
    "ae_12h_waits": "lower",
    "deaths_at_home_share": "higher",
    "at_home_91d_after_reablement_share": "higher",
    "readmissions_30d": "lower",
    "bed_days": "lower",
    "mean_los_overnight_days": "lower",
}
#: The impact tables of a value case, by group (a metric is shown when the batch has it).
IMPACT = {
    "Activity": ["emergency_admissions", "ae_attendances", "ambulance_conveyances", "gp_urgent_contacts",
                 "ucr_visits", "readmissions_30d", "bed_days"],
    "Capacity": ["bed_occupancy_mean", "days_occupancy_above_92pct", "delayed_discharge_bed_days",
                 "ae_4h_performance", "ae_12h_waits", "mean_los_overnight_days"],
    "People": ["deaths_in_hospital_share", "deaths_at_home_share", "days_at_home_per_person_65plus",
               "care_home_admissions_permanent", "reablement_episodes", "at_home_91d_after_reablement_share"],
}
#: What a changed section does in the model (the most specific matching prefix is used).
SECTION_TEXT = {
    "run": "the run settings (time, replications, seeds): they change how precise the results are, not the "
           "place",
    "population": "the population: its size, ages, health and how it changes year by year",
    "demand": "how often people have a crisis and how serious it is",
    "routing": "where people in a crisis go first and what each service decides (probabilities; capacities are "
               "unchanged)",
    "routing.first_contact": "where people in a crisis go first: GP, NHS 111, 999 or straight to A&E",
    "routing.gp_outcome": "what the GP does with a same-day urgent contact: manage, refer to urgent community "
                          "response, send to A&E or admit",
    "routing.nhs111_outcome": "how NHS 111 triages calls: self-care, GP, urgent community response, ambulance or "
                              "A&E",
    "routing.ambulance_outcome": "how ambulance crews resolve incidents: hear-and-treat, see-and-treat, refer to "
                                 "urgent community response or convey to A&E",
    "routing.ucr_outcome": "how often an urgent community response visit resolves the crisis at home",
    "routing.ae_admission_probability": "how often people seen in A&E are admitted",
    "services": "the capacity and service times of services",
    "services.gp": "GP same-day capacity: when slots run out people call 111, go to A&E or wait a day",
    "services.nhs111": "NHS 111 call handling: how quickly calls are answered",
    "services.ambulance": "ambulance capacity: how quickly crews reach incidents and are free again",
    "services.ucr": "the capacity of urgent community response: 2-hour visits a day that treat people at home "
                    "instead of sending them to A&E",
    "services.ae": "A&E capacity and time in the department: waits, the 4-hour standard and ambulance handovers",
    "services.acute": "acute beds and length of stay: how many emergency patients can be in hospital at once and "
                      "how long they stay until medically fit",
    "services.reablement": "the capacity of reablement: when places are full, medically fit patients wait in an "
                           "acute bed (a delayed discharge)",
    "services.intermediate_care": "the capacity of intermediate-care (rehabilitation) beds: when they are full, "
                                  "patients on discharge pathway 2 wait in hospital",
    "services.home_care": "home-care packages: when none is free, patients who need one wait in hospital",
    "services.care_homes": "care-home beds and placements: patients waiting for a placement stay in hospital",
    "discharge": "discharge from hospital",
    "discharge.pathway_mix": "which discharge pathway people leave by: home, home with support, a "
                             "rehabilitation bed or a care home",
    "discharge.p1_split": "what support a 'home with support' discharge needs: reablement, home care or other "
                          "community support",
    "discharge.weekend_discharge_factor": "weekend discharge: how many patients who are fit at a weekend go home "
                                          "that day instead of waiting for Monday",
    "end_of_life": "care at the end of life: how often people in their last days are admitted and die in "
                   "hospital",
}
BASIS = {"R": "read in a published source", "D": "derived from published figures",
         "M": "recollection, not yet checked", "A": "modelling assumption"}
SKIP_PARAMETERS = ("name", "description")
TARGET_PRECISION = 0.05
MINUS = "\u2212"


# --- formatting ---------------------------------------------------------------------------------


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _signed(text: str, v: float) -> str:
    return ("+" if v > 0 else (MINUS if v < 0 else "")) + text


def fmt_value(metric: str, v, *, diff: bool = False) -> str:
    """A value of a metric as a board reads it (shares in %, differences of shares in percentage points)."""
    if not _finite(v):
        return "–"
    v = float(v)
    a = abs(v) if diff else v
    if is_share(metric):
        text = f"{a * 100:.1f}" + (" pp" if diff else "%")
    elif is_money(metric):
        text = f"£{abs(a):,.0f}"
        if not diff and v < 0:
            text = MINUS + text
    elif kind_of(metric) == "count":
        text = f"{a:,.0f}" if abs(a) >= 100 else f"{a:,.1f}"
    else:
        text = f"{a:,.0f}" if abs(a) >= 1000 else f"{a:,.1f}"
    if not is_share(metric) and not is_money(metric) and 0 < abs(a) < 0.95:
        text = f"{a:.2g}"
    text = text.replace("-", MINUS)
    return _signed(text, v) if diff else text


def nice_time(text) -> str:
    """``2026-11-22T20:37:42+00:00`` -> ``22 Nov 2026 20:37 UTC``."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return str(text) if text else "–"
    zone = "UTC" if t.utcoffset() == dt.timedelta(0) else t.strftime("%z")
    return f"{t.day} {t.strftime('%b %Y %H:%M')} {zone}"


def fmt_ci(metric: str, lo, hi, *, diff: bool = False) -> str:
    """A 95% CI as text; a level's interval is cut at 0 (counts and shares cannot be negative)."""
    if not (_finite(lo) and _finite(hi)):
        return "no CI"
    if not diff:
        lo = max(float(lo), 0.0)
    return f"{fmt_value(metric, lo, diff=diff)} to {fmt_value(metric, hi, diff=diff)}"


def fmt_param(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10000 else str(v)
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) >= 1000 else f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_param(x) for x in v) if v else "none"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {fmt_param(x)}" for k, x in v.items()) if v else "none"
    return str(v)


def horizon_note(metric: str, years: int) -> str:
    """What a whole-horizon number is ("total over 3 years", "% of deaths")."""
    unit = unit_of(metric)
    y = f"{years} year" + ("" if years == 1 else "s")
    if is_share(metric):
        return "%, whole horizon"
    if kind_of(metric) == "count":
        return f"{unit}, total over {y}" if unit else f"total over {y}"
    if kind_of(metric) == "rate":
        return f"{unit}, whole horizon"
    return f"{unit}, mean of the years" if unit else "mean of the years"


_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*)://")


def defang(text: str) -> str:
    """No live address in the report: ``https://x`` becomes ``https[:]//x``."""
    return _URL.sub(r"\1[:]//", str(text))


def esc(text) -> str:
    """User text for HTML: escaped, addresses defanged, newlines kept."""
    return html.escape(defang(str(text)), quote=True).replace("\n", "<br>")


# --- the document model (shared by HTML and PDF) --------------------------------------------------


@dataclass
class Cell:
    text: str
    tone: str = ""  # good | bad | muted | strong
    mono: bool = False


@dataclass
class Heading:
    text: str
    level: int = 2
    anchor: str = ""


@dataclass
class Para:
    text: str
    style: str = ""  # lead | note | warn | ok | quote


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list]
    caption: str = ""
    weights: list[float] | None = None
    small: bool = False


@dataclass
class FigureBlock:
    name: str
    caption: str


@dataclass
class PageBreak:
    pass


@dataclass
class Contents:
    entries: list[tuple[str, str]]


# --- reading the batch ----------------------------------------------------------------------------


@dataclass
class Batch:
    view: plots.BatchView
    runs: pd.DataFrame

    @property
    def manifest(self) -> dict:
        return self.view.manifest

    def comp(self, scenario: str, metric: str, year: str = "all") -> pd.Series | None:
        c = self.view.comparison
        rows = c[(c["scenario"] == scenario) & (c["metric"] == metric) & (c["year"] == year)]
        return None if rows.empty else rows.iloc[0]


@dataclass(frozen=True)
class Param:
    """One leaf of a resolved scenario: its dotted name, its path through the schema and its value."""

    display: str
    parts: tuple
    value: object
    item_default: bool = False  # a leaf of a list item (an intervention) left at its type's default
    text: bool = False  # a name, description or evidence text of a list item (shown elsewhere)
    evidence: str = ""  # the evidence text of the list item the leaf belongs to


ITEM_TEXT = ("name", "description", "evidence")


def flatten(d, parts: tuple = (), display: str = "", item: dict | None = None, defaults: dict | None = None) -> dict:
    """Nested resolved scenario -> ``{"services.reablement.places": Param, ...}`` in schema order.

    Lists of named sections (interventions) are spelt ``interventions[<name>].costs.setup``.
    """
    out: dict[str, Param] = {}
    if not isinstance(d, dict):
        return out
    for k, v in d.items():
        p = parts + (k,)
        disp = f"{display}.{k}" if display else str(k)
        if isinstance(v, dict):
            out.update(flatten(v, p, disp, item, defaults))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, entry in enumerate(v):
                label = entry.get("name", i)
                ip = p + (("item", entry.get("type")),)
                dflt = {q.display: q.value for q in flatten(_item_defaults(ip, entry)).values()}
                ordered = dict(sorted(entry.items(), key=lambda kv: (kv[0] != "type", isinstance(kv[1], dict))))
                out.update(flatten(ordered, ip, f"{disp}[{label}]", entry, dflt))
        else:
            if item is not None:  # top-level fields of an item always show; nested ones when not default
                rel = disp.split("].", 1)[1] if "]." in disp else disp
                nested_default = "." in rel and rel in (defaults or {}) and defaults[rel] == v
                out[disp] = Param(disp, p, v, item_default=nested_default, text=rel in ITEM_TEXT,
                                  evidence=str(item.get("evidence") or ""))
            else:
                out[disp] = Param(disp, p, v)
    return out


def _members(annotation) -> list:
    """Classes of an annotation (through Annotated, Optional, Union and list)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list):
        return [m for a in get_args(annotation) for m in _members(a)]
    return [annotation]


def _model_class(annotation, type_name=None):
    """The pydantic model a field holds (for a list of a union, the member whose ``type`` is `type_name`)."""
    models = [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    if type_name is not None:
        for m in models:
            f = m.model_fields.get("type")
            if f is not None and type_name in get_args(f.annotation):
                return m
    return models[0] if len(models) == 1 else None


def _item_defaults(parts: tuple, entry: dict) -> dict:
    """A list item (an intervention) as its type would be with only its required fields set."""
    cls = _schema_class(parts)
    if cls is None:
        return {}
    required = {n: entry[n] for n, f in cls.model_fields.items() if f.is_required() and n in entry}
    try:
        return cls.model_validate(required).model_dump(mode="json")
    except Exception:  # noqa: BLE001 - a type whose defaults cannot stand alone: show every field
        return {}


def _schema_class(parts: tuple):
    cls, annotation = Scenario, None
    for part in parts:
        if isinstance(part, tuple):
            cls = _model_class(annotation, part[1]) if annotation is not None else None
            annotation = None
            continue
        if cls is None or part not in cls.model_fields:
            return None
        annotation = cls.model_fields[part].annotation
        cls = _model_class(annotation)
    return cls


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return {k: p.value for k, p in flatten(Scenario().model_dump(mode="json")).items()}


@lru_cache(maxsize=4096)
def field_info(parts) -> tuple[str, str, str]:
    """(unit, source, description) of a parameter from the schema (the nearest field that has them).

    `parts` is a dotted path (``"services.reablement.places"``) or a :class:`Param`'s ``parts``.
    """
    if isinstance(parts, str):
        parts = tuple(parts.split("."))
    cls, annotation = Scenario, None
    unit = source = description = ""
    for part in parts:
        if isinstance(part, tuple):
            cls = _model_class(annotation, part[1]) if annotation is not None else None
            continue
        if cls is None or part not in cls.model_fields:
            break
        f = cls.model_fields[part]
        extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
        unit = extra.get("unit") or unit
        source = extra.get("source") or source
        description = f.description or description
        annotation = f.annotation
        cls = _model_class(annotation)
    return unit, source, description


def param_source(p: Param) -> str:
    """Where a value comes from: the schema's source, else the intervention's evidence text."""
    _, source, _ = field_info(p.parts)
    if not source and p.evidence:
        return f"evidence given: {p.evidence}"
    if not source and p.parts and p.parts[0] == "run":
        return "run setting"
    return source


def basis(source: str) -> str:
    m = re.match(r"\s*([RDMA](?:/[RDMA])*)\b", source or "")
    if not source:
        return "no source recorded"
    if not m:
        return "see source"
    return "; ".join(BASIS[t] for t in m.group(1).split("/"))


def differing(base: dict, other: dict) -> list[tuple[Param, object, object]]:
    """Parameters that differ between two resolved scenarios: (param, base value, other value).

    An intervention present on one side only shows the fields its scenario file sets (not its type's
    defaults); names, descriptions and evidence texts are shown elsewhere.
    """
    a, b = flatten(base), flatten(other)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        pa, pb = a.get(key), b.get(key)
        p = pb or pa
        if p.parts[0] in SKIP_PARAMETERS or p.text:
            continue
        va, vb = (pa.value if pa else None), (pb.value if pb else None)
        if va == vb or ((pa is None or pb is None) and p.item_default):
            continue
        if (pa is None or pb is None) and p.value == []:  # an empty list against the items listed one by one
            continue
        out.append((p, va, vb))
    return out


INTERVENTION_TEXT = {
    "capacity_change": "adds (or removes) places in a service as it matures; more places shorten waits, "
                       "including for patients waiting in hospital to leave",
    "seven_day_discharge": "moves the weekend discharge factor towards its target as it matures, so patients fit "
                           "at a weekend go home that day",
    "telehealth": "enrols eligible people up to its capacity as it matures and multiplies their crisis hazard by "
                  "the ratio given",
    "case_management": "case-manages the eligible people at highest predicted risk up to its caseload and "
                       "multiplies their crisis hazard by the ratio given",
}


def section_sentence(p: Param) -> tuple[str, str]:
    """(section, what it does in the model) for a changed parameter."""
    parts = p.parts
    for i, part in enumerate(parts):
        if isinstance(part, tuple):  # an intervention
            key = p.display.split("]", 1)[0] + "]"
            kind = part[1]
            return key, f"puts in place a {str(kind).replace('_', ' ')} intervention that " + INTERVENTION_TEXT.get(
                kind, "acts through capacity, routing or crisis hazards")
    names = [str(x) for x in parts]
    for k in range(len(names), 0, -1):
        key = ".".join(names[:k])
        if key in SECTION_TEXT:
            return key, "changes " + SECTION_TEXT[key]
    _, _, description = field_info(parts)
    return names[0], "changes " + (description or "a setting of the model").rstrip(".").lower()


# --- content --------------------------------------------------------------------------------------


def _verdict(metric: str, row) -> tuple[str, str, bool | None]:
    """(words, tone, clear) for a paired difference row."""
    d, lo, hi = float(row["diff_mean"]), row["diff_ci_low"], row["diff_ci_high"]
    if not (_finite(lo) and _finite(hi)):
        return "no confidence interval (one replication)", "muted", None
    lo, hi = float(lo), float(hi)
    if d == 0 and lo == 0 and hi == 0:
        return "no difference in any replication", "muted", False
    clear = lo > 0 or hi < 0
    if not clear:
        return "could be chance (95% CI includes 0)", "muted", False
    better = BETTER.get(metric, "lower" if is_money(metric) else "")
    tone = "" if not better else ("good" if (d < 0) == (better == "lower") else "bad")
    return "clear change (95% CI excludes 0)", tone, True


def _arrow_words(metric: str, row) -> str:
    d = float(row["diff_mean"])
    pct = row.get("pct_change")
    pct_text = ""
    if _finite(pct) and not is_share(metric):
        pct = float(pct)
        pct_text = " (less than 0.1%)" if 0 < abs(pct) < 0.05 else f" ({_signed(f'{abs(pct):.1f}%', pct)})"
    if d == 0:
        return "= no change"
    arrow, word = ("▲", "higher") if d > 0 else ("▼", "lower")
    return f"{arrow} {fmt_value(metric, d, diff=True).lstrip('+' + MINUS)} {word}{pct_text}"


def headline_table(b: Batch, metrics: list[str], better: dict[str, str]) -> Table | None:
    view = b.view
    metrics = [m for m in metrics if view.has(m)]
    if not metrics:
        return None
    names = [view.baseline] + view.others
    header = ["Measure (whole horizon)",
              *[(("Baseline: " + n) if n.lower() != "baseline" else "Baseline") if n == view.baseline else n
                for n in names]]
    rows = []
    for metric in metrics:
        label = f"{display_name(metric)}\n{horizon_note(metric, view.horizon)}"
        if better.get(metric):
            label += f"\nbetter if {better[metric]}"
        cells: list = [Cell(label, "strong")]
        for name in names:
            s = view.whole(name, metric)
            if s is None:
                cells.append(Cell("–", "muted"))
                continue
            value = fmt_value(metric, s["mean"])
            if name == view.baseline:
                cells.append(Cell(f"{value}\n95% CI {fmt_ci(metric, s['ci_low'], s['ci_high'])}"))
                continue
            c = b.comp(name, metric)
            if c is None:
                cells.append(Cell(value))
                continue
            words, tone, _ = _verdict(metric, c)
            cells.append(Cell(f"{value}\n{_arrow_words(metric, c)}\ndifference 95% CI "
                              f"{fmt_ci(metric, c['diff_ci_low'], c['diff_ci_high'], diff=True)}\n{words}", tone))
        rows.append(cells)
    return Table(header, rows, weights=[1.3] + [1.0] * len(names))


def in_short(b: Batch, name: str) -> str:
    """One or two plain sentences on the clear headline changes of a scenario."""
    parts = []
    for metric, _ in HEADLINE + [(m, "lower") for m in b.view.money_metrics()]:
        c = b.comp(name, metric)
        if c is None:
            continue
        _, _, clear = _verdict(metric, c)
        if clear:
            d = float(c["diff_mean"])
            way = "up" if d > 0 else "down"
            base = float(c["baseline_mean"]) if _finite(c["baseline_mean"]) else 0.0
            if is_share(metric):
                amount = f"{abs(d) * 100:.1f} percentage points"
                ci = fmt_ci(metric, c["diff_ci_low"], c["diff_ci_high"], diff=True)
            elif base:
                amount = f"{abs(d / base * 100):.1f}%"
                lo, hi = float(c["diff_ci_low"]) / base * 100, float(c["diff_ci_high"]) / base * 100
                ci = f"{_signed(f'{abs(lo):.1f}%', lo)} to {_signed(f'{abs(hi):.1f}%', hi)}"
            else:
                amount = fmt_value(metric, abs(d))
                ci = fmt_ci(metric, c["diff_ci_low"], c["diff_ci_high"], diff=True)
            parts.append(f"{display_name(metric)} {way} {amount} (95% CI {ci})")
    if not parts:
        reps = int(b.view.comparison[b.view.comparison["scenario"] == name]["replications"].max() or 0)
        return (f"No headline measure changes clearly against the baseline: every 95% confidence interval "
                f"includes zero with {reps} replications. The effect may be small, or more replications may be "
                "needed to see it.")
    return "Against the baseline, over the whole horizon: " + "; ".join(parts) + "."


def years_table(b: Batch, name: str, metrics: list[str]) -> Table | None:
    view = b.view
    years = view.years()
    metrics = [m for m in metrics if b.comp(name, m) is not None]
    if not metrics:
        return None
    header = ["Difference from baseline", *[f"Year {y}" for y in years], "Whole horizon"]
    rows = []
    for metric in metrics:
        unit = plots.axis_unit(metric, difference=True, per_year=True)
        cells: list = [Cell(f"{display_name(metric)}\n{unit}", "strong")]
        for y in [str(y) for y in years] + ["all"]:
            c = b.comp(name, metric, y)
            if c is None:
                cells.append(Cell("–", "muted"))
                continue
            _, tone, clear = _verdict(metric, c)
            cells.append(Cell(f"{fmt_value(metric, c['diff_mean'], diff=True)}\n"
                              f"[{fmt_ci(metric, c['diff_ci_low'], c['diff_ci_high'], diff=True)}]",
                              tone if clear else "muted"))
        rows.append(cells)
    return Table(header, rows, weights=[1.6] + [1.0] * (len(years) + 1), small=len(years) > 5,
                 caption="Each cell: mean paired difference (scenario minus baseline) and its 95% CI. Counts are "
                         "per year in the year columns and totals in the last column; shares are in percentage "
                         "points. Coloured cells are clear changes (green better, red worse). With many cells, "
                         "about one in twenty can look clear by chance alone: trust a pattern across years more "
                         "than a single cell.")


def impact_table(b: Batch, name: str) -> Table | None:
    view = b.view
    groups = dict(IMPACT)
    money = view.money_metrics()
    if money:
        groups["Money"] = money
    rows = []
    for group, metrics in groups.items():
        metrics = [m for m in metrics if b.comp(name, m) is not None]
        if not metrics:
            continue
        rows.append([Cell(group, "strong"), Cell(""), Cell(""), Cell(""), Cell("")])
        for metric in metrics:
            c = b.comp(name, metric)
            words, tone, _ = _verdict(metric, c)
            rows.append([Cell(f"{display_name(metric)} ({horizon_note(metric, view.horizon)})"),
                         Cell(fmt_value(metric, c["baseline_mean"])),
                         Cell(fmt_value(metric, c["scenario_mean"])),
                         Cell(f"{_arrow_words(metric, c)}\n95% CI "
                              f"{fmt_ci(metric, c['diff_ci_low'], c['diff_ci_high'], diff=True)}", tone),
                         Cell(words, "muted" if tone == "muted" else "")])
    if not rows:
        return None
    return Table(["Measure", "Baseline", "This scenario", "Difference", "Is it clear?"], rows,
                 weights=[2.0, 0.9, 0.9, 1.5, 1.3])


def ramp_up_table(b: Batch, name: str, items: list[dict]) -> Table | None:
    """Capacity in place and effect level of each intervention by year (means across replications)."""
    view = b.view
    s = view.summary
    years = view.years()
    rows = []
    for it in items:
        key = intervention_key(str(it.get("name", "")))
        for suffix, label, share in (("capacity", "capacity in place", False),
                                     ("effect_level", "effect level (maturity x fade)", True)):
            sub = s[(s["scenario"] == name) & (s["metric"] == f"{key}_{suffix}")]
            if sub.empty:
                continue
            by_year = dict(zip(sub["year"], sub["mean"]))
            cells = []
            for y in years:
                v = by_year.get(str(y))
                cells.append(Cell("–" if not _finite(v) else (f"{float(v) * 100:.0f}%" if share
                                                             else f"{float(v):,.1f}")))
            rows.append([Cell(f"{it.get('name', '?')}: {label}", "strong"), *cells])
    if not rows:
        return None
    return Table(["Ramp-up (mean of monthly values)", *[f"Year {y}" for y in years]], rows,
                 weights=[2.2] + [1.0] * len(years), small=len(years) > 5)


def value_case(b: Batch, name: str, figures: dict) -> list:
    view = b.view
    out: list = [PageBreak(), Heading(f"Value case: {name}", 2, f"case-{view.others.index(name) + 1}")]
    res, base = view.resolved(name), view.resolved(view.baseline)
    out.append(Para(in_short(b, name), "lead"))
    out.append(Heading("What is put in place", 3))
    description = (res or {}).get("description") or ""
    out.append(Para(description.strip() or "No description was given in the scenario file.",
                    "quote" if description.strip() else "note"))
    items = [i for i in ((res or {}).get("interventions") or []) if isinstance(i, dict)]
    if items:
        lines = []
        for it in items:
            desc = (it.get("description") or "").strip()
            head = (f"{it.get('name', '?')} ({str(it.get('type', '?')).replace('_', ' ')}), from "
                    f"{it.get('start', '?')}, funded by {str(it.get('funded_by', '?')).replace('_', ' ')}")
            text = f"{head}: {desc}" if desc else head
            lines.append(text.rstrip(".") + f". Evidence given: {(it.get('evidence') or 'none').rstrip('.')}.")
        out.append(Bullets(lines))
        ramp = ramp_up_table(b, name, items)
        if ramp is not None:
            out.append(ramp)
    diffs = differing(base or {}, res or {})
    size, default_size = (res or {}).get("population", {}).get("size"), _defaults().get("population.size")
    if diffs and size and size != default_size:
        out.append(Para(f"Service capacities and flows below are scaled to the modelled place of {size:,} people "
                        f"(the default place has {default_size:,}), so they can be smaller than the numbers in "
                        "the description.", "note"))
    file = next((s.get("file") for s in view.manifest.get("scenarios", []) if s["name"] == name), None)
    if diffs:
        rows = []
        for p, a, bval in diffs:
            unit, _, _ = field_info(p.parts)
            source = param_source(p)
            rows.append([Cell(p.display, mono=True), Cell(fmt_param(a)), Cell(fmt_param(bval), "strong"),
                         Cell(unit or "–"), Cell(source or "no source recorded", "" if source else "bad")])
        out.append(Table(["Parameter", "Baseline", "This scenario", "Unit", "Source of the baseline value"], rows,
                         weights=[2.0, 0.9, 0.9, 0.9, 2.6],
                         caption=f"Every setting that differs from the baseline ({len(diffs)}). The scenario's "
                                 f"values come from {file or 'its scenario file'}."))
        out.append(Heading("How it works in the model", 3))
        seen: dict[str, str] = {}
        for p, _, _ in diffs:
            key, text = section_sentence(p)
            seen.setdefault(key, text)
        out.append(Bullets([f"{key}: {text}." for key, text in seen.items()]))
    else:
        out.append(Para("No setting differs from the baseline: any difference in results is chance alone.",
                        "warn"))
    out.append(Heading("Impact", 3))
    t = impact_table(b, name)
    if t is not None:
        out.append(t)
    spec = figures.get(f"differences_by_year_{output.slug(name)}")
    if spec is not None:
        out.append(FigureBlock(spec.name, spec.caption))
    t = years_table(b, name, [m for m, _ in HEADLINE] + view.money_metrics())
    if t is not None:
        out.append(t)
    return out


# --- money ----------------------------------------------------------------------------------------

#: Payment views of the "who invests and who saves" tables, in order.
WHO_PAYS_VIEWS = [("tariff", "Under an activity tariff (every NHS contract)"),
                  ("pooled", "Under a pooled budget with a risk and gain share"),
                  ("contracts", "Under the scenario's own contracts")]


def _money_settings(b: Batch, name: str) -> dict:
    return ((b.view.resolved(name) or {}).get("money") or {})


def _money_cell(row, *, benefit: bool = False) -> Cell:
    """A paired money difference and its CI; green when clearly good for the organisation, red when clearly bad.

    A net cost change is good when below 0; a net benefit (``benefit=True``) when above 0.
    """
    if row is None or not _finite(row["mean"]):
        return Cell("–", "muted")
    m, lo, hi = float(row["mean"]), row["ci_low"], row["ci_high"]
    text = money_text(m, signed=True)
    if _finite(lo) and _finite(hi):
        text += f"\n[{money_text(float(lo), signed=True)} to {money_text(float(hi), signed=True)}]"
        lo, hi = float(lo), float(hi)
        good = (lo > 0) if benefit else (hi < 0)
        bad = (hi < 0) if benefit else (lo > 0)
        return Cell(text, "good" if good else ("bad" if bad else "muted"))
    return Cell(text)


def _contracts_text(settings: dict) -> str:
    contracts = settings.get("contracts") or {}
    parts = [f"{ORG_IN_TEXT[p]} {contracts.get(p, '?')}" for p in NHS_PROVIDERS]
    return ", ".join(parts)


def _active_orgs(view, name: str) -> list[str]:
    """Organisations whose money changes at all in a scenario (in any view)."""
    m = view.money
    sub = m[(m["scenario"] == name) & (m["measure"].isin(["net_cost_change", "investment"]))
            & (m["year"] == "all")]
    out = [o for o in ORGANISATIONS
           if (sub[sub["organisation"] == o]["mean"].astype(float).abs() >= 0.5).any()]
    return out or ["icb"]


def who_pays_table(b: Batch, name: str) -> Table | None:
    """Change in each organisation's net cost by year under a tariff, a pooled budget and the contracts."""
    view = b.view
    years = view.years()
    orgs = _active_orgs(view, name)
    rows = []
    for v, title in WHO_PAYS_VIEWS:
        if view.money_value(name, v, "total", "net_cost_change") is None:
            continue
        label = title if v != "contracts" else f"{title}: {_contracts_text(_money_settings(b, name))}"
        rows.append([Cell(label, "strong")] + [Cell("")] * (len(years) + 1))
        for org in orgs + ["total"]:
            cells = [Cell(ORG_LABELS[org], "strong" if org == "total" else "")]
            for y in [*years, "all"]:
                cells.append(_money_cell(view.money_value(name, v, org, "net_cost_change", y)))
            rows.append(cells)
    if not rows:
        return None
    return Table(["Change in net cost", *[f"Year {y}" for y in years], "Whole horizon"], rows,
                 weights=[1.9] + [1.0] * (len(years) + 1), small=True,
                 caption="Each cell: the change in the organisation's net cost against the baseline (investment plus "
                         "cash costs minus payments received), mean of paired replications and [95% CI]. Below 0 "
                         "(−) the organisation saves money; above 0 (+) it pays more. Green: a clear saving; red: "
                         "a clear extra cost. The total is the same under every payment model: payments move money "
                         "between organisations, they do not create or lose any.")


def savings_table(b: Batch, name: str) -> Table | None:
    """Investment, cash-releasing and non-cash-releasing savings by organisation over the whole horizon."""
    view = b.view
    rows = []
    for org in _active_orgs(view, name) + ["total"]:
        rows.append([Cell(ORG_LABELS[org], "strong" if org == "total" else ""),
                     _money_cell(view.money_value(name, "investment", org, "investment")),
                     _money_cell(view.money_value(name, "savings", org, "saving_cash_releasing"), benefit=True),
                     _money_cell(view.money_value(name, "savings", org, "saving_non_cash_releasing"), benefit=True),
                     _money_cell(view.money_value(name, "economic", org, "net_cost_change"))])
    if not rows:
        return None
    return Table(["Whole horizon", "Investment", "Cash-releasing saving", "Non-cash-releasing saving",
                  "Economic net cost change"], rows, weights=[1.6, 1.1, 1.1, 1.1, 1.1], small=True,
                 caption="Before payments. Cash-releasing: money that stops being spent (the marginal cost of "
                         "activity avoided, and fixed costs of capacity closed). Non-cash-releasing: capacity freed "
                         "but still paid for (valued at average cost less the marginal share), e.g. bed days freed "
                         "while the ward stays open. Economic net cost change = investment − both savings.")


def _fmt_year(v) -> str:
    return f"year {int(float(v))}" if _finite(v) else "not within the horizon"


def value_for_money_table(b: Batch) -> Table | None:
    """NPV, break-even year, return on investment and unit costs of every scenario (economic and cash)."""
    view = b.view
    rows = []
    for name in view.others:
        if view.money_value(name, "economic", "total", "npv") is None:
            continue
        cells = [Cell(name, "strong")]
        for v in ("economic", "contracts"):
            cells.append(_money_cell(view.money_value(name, v, "total", "npv"), benefit=True))
        for v in ("economic", "contracts"):
            be = view.money_value(name, v, "total", "break_even_year")
            share = view.money_value(name, v, "total", "break_even_share")
            text = _fmt_year(be["mean"]) if be is not None else "–"
            if share is not None and _finite(share["mean"]):
                text += f"\n({float(share['mean']):.0%} of replications by the end)"
            cells.append(Cell(text))
        for basis in ("economic", "cash"):
            r = view.money_value(name, basis, "total", "roi")
            if r is None or not _finite(r["mean"]):
                cells.append(Cell("– (no investment)" if r is not None else "–", "muted"))
            else:
                ci = (f"\n[{float(r['ci_low']):.0%} to {float(r['ci_high']):.0%}]"
                      if _finite(r["ci_low"]) and _finite(r["ci_high"])
                      else "\n[no bounded CI: investment could be 0]")
                cells.append(Cell(f"{float(r['mean']):.0%}{ci}".replace("-", MINUS)))
        for measure in ("investment_per_admission_avoided", "investment_per_bed_day_released"):
            r = view.money_value(name, "activity", "total", measure)
            if r is None or not _finite(r["mean"]) or float(r["mean"]) <= 0:
                cells.append(Cell("– (none avoided)" if r is not None else "–", "muted"))
            else:
                ci = (f"\n[{money_text(float(r['ci_low']))} to {money_text(float(r['ci_high']))}]"
                      if _finite(r["ci_low"]) and _finite(r["ci_high"])
                      else "\n[no bounded CI: the fall could be 0]")
                cells.append(Cell(money_text(float(r["mean"])) + ci))
        rows.append(cells)
    if not rows:
        return None
    return Table(["Scenario", "NPV, economic", "NPV, cash", "Breaks even (economic)", "Breaks even (cash)",
                  "ROI, economic", "ROI, cash", "Investment per admission avoided",
                  "Investment per bed day released"], rows,
                 weights=[1.3, 1.1, 1.1, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0], small=True,
                 caption="All organisations together, against the baseline, paired on replication, [95% CI]. NPV: "
                         "savings minus investment, discounted (year 1 undiscounted); above 0 it pays back. "
                         "Breaks even: the first year from which the mean cumulative discounted net benefit stays at "
                         "or above 0. ROI: (discounted savings − investment) ÷ investment. Investment per "
                         "admission avoided or bed day released: undiscounted investment over the horizon ÷ the "
                         "paired fall in emergency admissions or acute bed days (Fieller intervals; none when the "
                         "fall is not clearly above 0).")


def who_pays_sentence(b: Batch, name: str) -> str:
    """Plain words: who clearly saves and who clearly pays more under a tariff and under a pooled budget."""
    view = b.view
    parts = []
    for v, title in WHO_PAYS_VIEWS[:2]:
        saves, pays = [], []
        for org in ORGANISATIONS:
            r = view.money_value(name, v, org, "net_cost_change")
            if r is None or not (_finite(r["ci_low"]) and _finite(r["ci_high"])):
                continue
            if float(r["ci_high"]) < 0:
                saves.append(f"{ORG_IN_TEXT[org]} ({money_text(-float(r['mean']))})")
            elif float(r["ci_low"]) > 0:
                pays.append(f"{ORG_IN_TEXT[org]} ({money_text(float(r['mean']))})")
        what = []
        if pays:
            what.append("pays more: " + ", ".join(pays))
        if saves:
            what.append("saves: " + ", ".join(saves))
        parts.append(title[0].lower() + title[1:] + ", over the whole horizon, "
                     + ("; ".join(what) if what else "no organisation's net cost changes clearly"))
    npv = view.money_value(name, "contracts", "total", "npv")
    npv_e = view.money_value(name, "economic", "total", "npv")
    text = "; ".join(parts)
    text = text[0].upper() + text[1:] + "."
    if npv is not None and npv_e is not None:
        be = view.money_value(name, "contracts", "total", "break_even_year")
        text += (f" For all organisations together the net present value is {money_text(float(npv['mean']))} in "
                 f"cash and {money_text(float(npv_e['mean']))} counting capacity freed at average cost; in cash it "
                 f"{'pays back in ' + _fmt_year(be['mean']) if be is not None and _finite(be['mean']) else 'does not pay back within the horizon'}.")
    return text


def money_section(b: Batch, figures: dict, by_section: dict) -> list:
    view = b.view
    out: list = [PageBreak(), Heading("Money", 2, "money")]
    settings = _money_settings(b, view.baseline)
    base_year = settings.get("price_base_year")
    rate = settings.get("discount_rate_pct")
    price = f"{base_year}/{str(base_year + 1)[-2:]} prices" if isinstance(base_year, int) else "constant prices"
    out.append(Para(
        f"Money is in pounds at {price}, every unit cost uprated with the scenario's price index, for each reported "
        "year against the baseline and paired on replication. Two views. The economic view values the resources "
        "each organisation uses at average unit costs, so a bed day freed counts as a saving even if the bed stays "
        "open. The cash view counts only money that moves: fixed costs (staffed beds, teams) stay at the "
        "baseline's level unless capacity closes (acute beds in whole wards), and only the marginal share of each "
        "unit cost falls with activity. Payment models then pass cash between the commissioner (the ICB) and the "
        "providers: under an activity tariff fewer admissions cut the acute trust's income as well as the ICB's "
        "spend; under a block the ICB keeps paying the sum agreed on the baseline's activity; under a pooled "
        "budget each member is paid its costs and the gain or loss against the budget is shared by agreed "
        "percentages. Payments never create or lose money: the total is the same under every model. "
        + (f"Net present values are discounted at {fmt_param(rate)}% a year. " if rate is not None else "")
        + "money.csv holds every figure; docs/money.md explains the rules."))
    money = view.money_metrics()
    t = headline_table(b, money, {mm: "lower" for mm in money})
    if t is not None:
        out.append(t)
    if not view.money.empty:
        t = value_for_money_table(b)
        if t is not None:
            out += [Heading("Value for money", 3), t]
    for spec in by_section.get("money", []):
        out.append(FigureBlock(spec.name, spec.caption))
    if not view.money.empty:
        for name in view.others:
            if view.money_value(name, "economic", "total", "npv") is None:
                continue
            out.append(Heading(f"{name}: who invests and who saves", 3))
            out.append(Para(who_pays_sentence(b, name), "lead"))
            spec = figures.get(f"money_who_pays_{output.slug(name)}")
            if spec is not None:
                out.append(FigureBlock(spec.name, spec.caption))
            for t in (who_pays_table(b, name), savings_table(b, name)):
                if t is not None:
                    out.append(t)
    return out


def assumptions(b: Batch) -> list:
    view = b.view
    defaults = _defaults()
    values: dict[str, dict[str, object]] = {}
    params: dict[str, Param] = {}
    for sc in view.manifest.get("scenarios", []):
        for key, p in flatten(sc.get("resolved") or {}).items():
            if p.parts[0] in SKIP_PARAMETERS or p.text or (key not in defaults and p.item_default):
                continue
            if key not in defaults or defaults[key] != p.value:
                values.setdefault(key, {})[sc["name"]] = p.value
                params.setdefault(key, p)
    out: list = [PageBreak(), Heading("Assumptions and evidence", 2, "assumptions"),
                 Para("Every parameter that differs from the schema's default place in any scenario of this "
                      "batch, with the source of the default. Source tags: R read in a published source, "
                      "D derived from published figures, M recollection not yet checked, A modelling assumption. "
                      "Parameters not listed take the defaults documented in scenarios/baseline.yaml.")]
    sizes = {s["name"]: (s.get("resolved") or {}).get("population", {}).get("size")
             for s in view.manifest.get("scenarios", [])}
    default_size = defaults.get("population.size")
    if any(v is not None and v != default_size for v in sizes.values()):
        size = next(v for v in sizes.values() if v is not None)
        out.append(Para(f"This batch models a place of {size:,} people instead of {default_size:,}: service "
                        "capacities and community flows were scaled in proportion, so they appear below.", "note"))
    names = [s["name"] for s in view.manifest.get("scenarios", [])]
    rows = []
    for path, per in values.items():
        unit, _, _ = field_info(params[path].parts)
        source = param_source(params[path])
        if path in defaults:
            full = {n: per.get(n, defaults.get(path)) for n in names}
        else:  # a field of an intervention: only the scenarios that have it
            full = {n: per[n] for n in names if n in per}
        distinct = {repr(v) for v in full.values()}
        if len(distinct) == 1 and len(full) == len(names):
            shown = f"{fmt_param(next(iter(full.values())))} (all scenarios)"
        else:
            shown = "\n".join(f"{n}: {fmt_param(v)}" for n, v in full.items())
        if path.startswith("run."):
            src, src_tone, why, why_tone = source or "run setting", "", "run setting (not evidence)", "muted"
        elif source.startswith("evidence given: "):
            tagged = basis(source.split(": ", 1)[1])
            src, src_tone, why, why_tone = source, "", ("see the evidence given" if tagged == "see source"
                                                           else tagged), "muted"
        elif source:
            src, src_tone = source, ""
            why, why_tone = basis(source), ("muted" if source.strip().startswith(("A", "M")) else "")
        else:
            src, src_tone, why, why_tone = "no source recorded", "bad", "no source recorded", "bad"
        rows.append([Cell(path, mono=True), Cell(fmt_param(defaults.get(path))), Cell(shown, "strong"),
                     Cell(unit or "–"), Cell(src, src_tone), Cell(why, why_tone)])
    if rows:
        out.append(Table(["Parameter", "Default", "In this batch", "Unit", "Source", "Basis"], rows,
                         weights=[1.8, 0.8, 1.4, 0.8, 2.2, 1.0], small=True))
    else:
        out.append(Para("Every parameter of every scenario takes its default value.", "note"))
    return out


def checks(b: Batch, figures: dict) -> list:
    view = b.view
    out: list = [PageBreak(), Heading("Checks: are there enough replications, and is the warm-up long enough?", 2,
                                      "checks")]
    out.append(Heading("Replication adequacy", 3))
    metrics = [m for m, _ in HEADLINE if view.has(m)]
    if len(b.runs) and metrics:
        ra = replication_adequacy(b.runs, metrics, TARGET_PRECISION)
        poor = ra[~ra["adequate"].astype(bool)]
        if len(poor):
            worst = poor.sort_values("replications_needed", na_position="first").iloc[-1]
            needed = worst["replications_needed"]
            need_text = f"about {needed:,.0f}" if _finite(needed) else "more"
            out.append(Para(
                f"Warning: {len(poor)} of {len(ra)} estimates are less precise than ±{TARGET_PRECISION:.0%} of their "
                f"mean with the replications run. The hardest is {display_name(str(worst['metric'])).lower()} in "
                f"{worst['scenario']}, which needs {need_text} replications. Differences between scenarios are "
                "paired (same random numbers) and usually more precise than these single-scenario intervals, but "
                "treat results marked 'could be chance' as not yet known rather than as no effect.", "warn"))
        else:
            out.append(Para(f"Every headline estimate is within ±{TARGET_PRECISION:.0%} of its mean at 95% "
                            "confidence.", "ok"))
        rows = []
        for r in ra.itertuples(index=False):
            rel = f"±{r.rel_half_width * 100:.1f}%" if _finite(r.rel_half_width) else "–"
            need = f"{r.replications_needed:,.0f}" if _finite(r.replications_needed) else "–"
            rows.append([Cell(r.scenario), Cell(display_name(r.metric)), Cell(fmt_value(r.metric, r.mean)),
                         Cell(rel), Cell(str(r.replications)), Cell(need),
                         Cell("yes" if r.adequate else "no", "" if r.adequate else "bad")])
        out.append(Table(["Scenario", "Measure", "Mean (whole horizon)", "95% CI half-width", "Replications",
                          f"Needed for ±{TARGET_PRECISION:.0%}", "Enough?"], rows,
                         weights=[1.3, 1.6, 1.0, 0.9, 0.8, 0.9, 0.6], small=True))
    else:
        out.append(Para("Warning: no completed runs, so precision cannot be checked.", "warn"))
    out.append(Heading("Warm-up", 3))
    check = plots.warmup_assessment(view)
    if check is None:
        out.append(Para("Warning: the baseline's daily census is missing, so the warm-up could not be checked.",
                        "warn"))
    else:
        ok = bool(check.get("adequate"))
        out.append(Para(("" if ok else "Warning: ") + check["message"], "ok" if ok else "warn"))
        spec = figures.get("warmup_check")
        if spec is not None:
            out.append(FigureBlock(spec.name, spec.caption))
    return out


def provenance(b: Batch) -> list:
    m = b.manifest
    out: list = [PageBreak(), Heading("Where these numbers come from", 2, "provenance")]
    versions = m.get("versions", {})
    git = m.get("git", {})
    commit = git.get("commit") or "not a git checkout"
    if git.get("dirty"):
        commit += " (with uncommitted changes)"
    plat = m.get("platform", {})
    command = m.get("command") or []
    rows = [
        ["Created", nice_time(m.get("created"))],
        ["Command", shlex.join(str(c) for c in command) if command else "–"],
        ["careshift version", versions.get("careshift", "–")],
        ["Python", versions.get("python", "–")],
        ["Packages", ", ".join(f"{k} {v}" for k, v in versions.items() if k not in ("careshift", "python"))],
        ["Source commit", commit],
        ["Computer", f"{plat.get('system', '?')} {plat.get('machine', '?')}, {plat.get('cpu_count', '?')} cores"],
        ["Baseline", m.get("baseline", b.view.baseline)],
        ["Batch folder", b.view.batch.name],
    ]
    out.append(Table(["", ""], [[Cell(k, "strong"), Cell(str(v), mono=k in ("Command", "Source commit"))]
                                for k, v in rows], weights=[1.4, 4.0]))
    done = {}
    for name in b.view.scenarios:
        done[name] = int(b.runs[b.runs["scenario"] == name]["replication"].nunique()) if len(b.runs) else 0
    srows = [[Cell(s["name"]), Cell(str(s.get("file", "–")), mono=True), Cell(str(s.get("seed", "–")), mono=True),
              Cell(f"{done.get(s['name'], 0)} of {s.get('replications', '?')}",
                   "" if done.get(s["name"], 0) >= (s.get("replications") or 0) else "bad"),
              Cell(str(s.get("sha256", "–")), mono=True)]
             for s in m.get("scenarios", [])]
    out.append(Table(["Scenario", "File", "Root seed", "Replications done", "SHA-256 of the resolved scenario"],
                     srows, weights=[1.2, 1.6, 1.1, 0.9, 3.0], small=True,
                     caption="Equal hashes mean identical inputs. Every scenario is stored in full in manifest.json."))
    return out


def run_warnings(b: Batch) -> list[str]:
    """Plain warnings shown at the top: failed runs, one replication, warm-up, precision."""
    view, out = b.view, []
    for s in view.manifest.get("scenarios", []):
        want = s.get("replications") or 0
        got = int(b.runs[b.runs["scenario"] == s["name"]]["replication"].nunique()) if len(b.runs) else 0
        if got < want:
            out.append(f"{s['name']}: only {got} of {want} replications finished; failed runs keep error.txt in "
                       "their folders and are left out of every number.")
    reps = int(view.summary["replications"].max()) if len(view.summary) else 0
    if reps < 2:
        out.append("Only one replication per scenario: no confidence intervals can be given, so no change can be "
                   "called clear.")
    check = plots.warmup_assessment(view)
    if check is not None and not check.get("adequate"):
        out.append("The warm-up may be too short (see Checks).")
    metrics = [m for m, _ in HEADLINE if view.has(m)]
    if len(b.runs) and metrics and reps >= 2:
        ra = replication_adequacy(b.runs, metrics, TARGET_PRECISION)
        if (~ra["adequate"].astype(bool)).any():
            out.append(f"Some estimates are less precise than ±{TARGET_PRECISION:.0%} with {reps} replications "
                       "(see Checks): results marked 'could be chance' are not yet known.")
    return out


def document(b: Batch, figures: dict) -> list:
    """The report as blocks, in reading order."""
    view, m = b.view, b.manifest
    first = (view.resolved(view.baseline) or {})
    run = first.get("run", {})
    size = first.get("population", {}).get("size")
    reps = int(view.summary["replications"].max()) if len(view.summary) else 0
    H = view.horizon
    blocks: list = [Heading("careshift: what the scenarios change", 1)]
    facts = [f"Batch {view.batch.name}", f"created {nice_time(m.get('created'))}",
             f"{len(view.scenarios)} scenario" + ("" if len(view.scenarios) == 1 else "s"),
             f"{reps} replication" + ("" if reps == 1 else "s") + " each",
             f"{H} reported year" + ("" if H == 1 else "s") + f" after a {fmt_param(run.get('warmup_years', '?'))}"
             "-year warm-up"]
    if size:
        facts.append(f"a place of {size:,} people")
    blocks.append(Para(" · ".join(facts), "note"))
    blocks.append(Heading("How to read this", 2, "how"))
    blocks.append(Para(
        f"Each scenario is compared with the baseline{'' if view.baseline == 'baseline' else f' ({view.baseline})'}."
        " Both are run on the same simulated "
        f"people with the same random events, {reps} times each (replications), so a difference comes from what "
        "the scenario changes, not from luck. Numbers are means across replications with a 95% confidence "
        "interval (CI), the range that holds the model's true mean 95 times in 100. When the CI of a difference "
        "excludes zero the change is called clear; when it includes zero the change could be chance, and more "
        "replications would tell. Arrows give the direction (▲ higher, ▼ lower); for clear changes, green means "
        "better and red worse on that measure. Counts are totals over the horizon; shares and averages cover "
        "the whole horizon. This is a model of a synthetic place built from published figures and stated "
        "assumptions: use it to compare options, not as a forecast."))
    warnings = run_warnings(b)
    if warnings:
        blocks.append(Para("Please note: " + " ".join(warnings), "warn"))
    entries = [("headline", "Headline: each scenario against the baseline"), ("charts", "Charts")]
    if view.money_metrics():
        entries.append(("money", "Money"))
    entries += [(f"case-{i + 1}", f"Value case: {n}") for i, n in enumerate(view.others)]
    entries += [("assumptions", "Assumptions and evidence"), ("checks", "Checks"),
                ("provenance", "Where these numbers come from")]
    blocks.append(Contents(entries))

    blocks.append(Heading("Headline: each scenario against the baseline", 2, "headline"))
    t = headline_table(b, [m for m, _ in HEADLINE], dict(HEADLINE))
    if t is not None:
        blocks.append(t)
    if not view.others:
        blocks.append(Para("This batch has no scenario other than the baseline, so there is nothing to compare.",
                           "note"))
    by_section: dict[str, list] = {}
    for spec in figures.values():
        by_section.setdefault(spec.section, []).append(spec)
    for spec in by_section.get("overview", []):
        blocks.append(FigureBlock(spec.name, spec.caption))

    blocks += [PageBreak(), Heading("Charts", 2, "charts")]
    titles = {"time": "Over time", "differences": "Differences year by year", "capacity": "Beds",
              "people": "People", "ramp_up": "Ramp-up of interventions"}
    for section, title in titles.items():
        specs = by_section.get(section, [])
        if not specs:
            continue
        blocks.append(Heading(title, 3))
        for spec in specs:
            blocks.append(FigureBlock(spec.name, spec.caption))

    if view.money_metrics():
        blocks += money_section(b, figures, by_section)

    for name in view.others:
        blocks += value_case(b, name, figures)
    blocks += assumptions(b)
    blocks += checks(b, figures)
    blocks += provenance(b)
    return blocks


# --- HTML -----------------------------------------------------------------------------------------

CSS = """
body { font-family: Arial, "Helvetica Neue", Helvetica, sans-serif; color: #212b32; background: #f0f4f5;
       margin: 0; line-height: 1.45; font-size: 15px; }
main { max-width: 1100px; margin: 0 auto; background: #ffffff; padding: 24px 36px 48px 36px; }
h1 { color: #005eb8; font-size: 30px; margin: 8px 0 4px 0; }
h2 { color: #003087; font-size: 23px; border-bottom: 3px solid #005eb8; padding-bottom: 4px; margin-top: 36px; }
h3 { color: #212b32; font-size: 18px; margin: 22px 0 8px 0; }
p { margin: 8px 0; max-width: 76em; }
p.lead { font-size: 16.5px; background: #e8f1f8; border-left: 6px solid #005eb8; padding: 10px 14px; }
p.note { color: #425563; }
p.quote { border-left: 4px solid #aeb7bd; padding: 2px 12px; font-style: italic; }
p.warn { background: #fff4e0; border-left: 6px solid #e69f00; padding: 10px 14px; }
p.ok { background: #e6f4ea; border-left: 6px solid #007f3b; padding: 10px 14px; }
table { border-collapse: collapse; margin: 10px 0 4px 0; width: 100%; font-size: 13.5px; }
table.small { font-size: 12.5px; }
th { background: #005eb8; color: #ffffff; text-align: left; padding: 6px 8px; vertical-align: bottom; }
td { border-bottom: 1px solid #d8dde0; padding: 6px 8px; vertical-align: top; }
td.strong { font-weight: bold; }
td.good { background: #e6f4ea; color: #00512a; }
td.bad { background: #fbe9e7; color: #8a1538; }
td.muted { color: #5f6b73; }
td.mono { font-family: Consolas, "Courier New", monospace; font-size: 12.5px; overflow-wrap: anywhere; }
p.caption, figcaption { color: #425563; font-size: 13px; margin: 4px 0 14px 0; }
figure { margin: 14px 0 22px 0; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #e8edee; }
ul { margin: 6px 0 10px 0; }
nav ol { margin: 4px 0; }
nav a { color: #005eb8; }
.pagebreak { height: 0; }
@page { size: A4; margin: 14mm; }
@media print {
  body { background: #ffffff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .pagebreak { page-break-before: always; break-before: page; }
  figure, tr { page-break-inside: avoid; break-inside: avoid; }
}
"""


def _html_block(block, images: dict[str, bytes]) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{esc(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{esc(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        cls = f' class="{block.style}"' if block.style else ""
        return f"<p{cls}>{esc(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Contents):
        items = "".join(f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in block.entries)
        return f"<nav><h2>Contents</h2><ol>{items}</ol></nav>"
    if isinstance(block, PageBreak):
        return '<div class="pagebreak"></div>'
    if isinstance(block, FigureBlock):
        png = images.get(block.name)
        if png is None:
            return ""
        data = base64.b64encode(png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(block.caption)}">'
                f"<figcaption>{esc(block.caption)}</figcaption></figure>")
    if isinstance(block, Table):
        cls = ' class="small"' if block.small else ""
        head = ""
        if any(h for h in block.header):
            head = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in block.header) + "</tr></thead>"
        body = []
        for row in block.rows:
            tds = []
            for cell in row:
                cell = cell if isinstance(cell, Cell) else Cell(str(cell))
                classes = " ".join(c for c in (cell.tone, "mono" if cell.mono else "") if c)
                text = esc(cell.text)
                if cell.mono:
                    text = text.replace(".", ".<wbr>").replace("/", "/<wbr>").replace("_", "_<wbr>")
                tds.append(f'<td class="{classes}">{text}</td>' if classes else f"<td>{text}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        caption = f'<p class="caption">{esc(block.caption)}</p>' if block.caption else ""
        return f"<table{cls}>{head}<tbody>{''.join(body)}</tbody></table>{caption}"
    raise TypeError(f"unknown block {block!r}")


def render_html(blocks: list, images: dict[str, bytes]) -> str:
    body = "\n".join(_html_block(b, images) for b in blocks)
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>careshift report</title>\n<style>" + CSS + "</style>\n</head>\n<body>\n<main>\n"
            + body + "\n</main>\n</body>\n</html>\n")


# --- PDF ------------------------------------------------------------------------------------------

PAGE_W, PAGE_H = 8.27, 11.69
MARGIN = 0.6
TONE_FILL = {"good": "#E6F4EA", "bad": "#FBE9E7"}
TONE_TEXT = {"good": "#00512A", "bad": "#8A1538", "muted": "#5F6B73"}
PARA_FILL = {"lead": "#E8F1F8", "warn": "#FFF4E0", "ok": "#E6F4EA"}
PARA_BAR = {"lead": "#005EB8", "warn": "#E69F00", "ok": "#007F3B", "quote": "#AEB7BD"}


#: The report's fonts: DejaVu, as in the figures (the files come with matplotlib), embedded as subsets.
_FONT_FILES = {"sans": "DejaVuSans.ttf", "sans-bold": "DejaVuSans-Bold.ttf", "sans-italic": "DejaVuSans-Oblique.ttf",
               "mono": "DejaVuSansMono.ttf", "mono-bold": "DejaVuSansMono-Bold.ttf"}
#: Height of a line's top above its baseline, in ems: matplotlib's ``va="top"`` (DejaVu's "l" is 0.76 em tall).
_ASCENT = 0.76


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for key, file in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(f"careshift-{key}", str(_font_file(folder, file))))


def _font_file(folder: Path, file: str) -> Path:
    """The font file from matplotlib's own fonts, else from the system's (some packagers leave them out)."""
    if (folder / file).is_file():
        return folder / file
    from matplotlib import font_manager

    found = sorted(Path(f) for f in font_manager.findSystemFonts(fontext="ttf") if Path(f).name == file)
    if not found:
        raise RuntimeError(f"the PDF report needs the font {file} (DejaVu, which comes with matplotlib), "
                           f"and neither matplotlib's fonts nor the system's have it; install fonts-dejavu or "
                           f"reinstall matplotlib from the package registry")
    return found[0]


def _font(bold: bool = False, italic: bool = False, mono: bool = False) -> str:
    _register_fonts()
    if mono:
        return "careshift-mono-bold" if bold else "careshift-mono"
    return "careshift-sans-bold" if bold else "careshift-sans-italic" if italic else "careshift-sans"


@lru_cache(maxsize=20000)
def _width_pt(text: str, size: float, bold: bool = False, mono: bool = False) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, _font(bold, mono=mono), size)


def wrap_text(text: str, width_pt: float, size: float, bold: bool = False, mono: bool = False) -> list[str]:
    """Greedy word wrap to a width in points (long words are broken)."""
    lines: list[str] = []
    space = _width_pt(" ", size, bold, mono) or size * 0.3
    for para in str(text).split("\n"):
        words = para.split(" ")
        line, line_w = "", 0.0
        for word in words:
            w = _width_pt(word, size, bold, mono) if word else 0.0
            while w > width_pt and len(word) > 1:  # break a long word
                cut = max(1, int(len(word) * width_pt / w) - 1)
                if line:
                    lines.append(line)
                    line, line_w = "", 0.0
                lines.append(word[:cut])
                word = word[cut:]
                w = _width_pt(word, size, bold, mono)
            if line and line_w + space + w > width_pt:
                lines.append(line)
                line, line_w = word, w
            else:
                line = f"{line} {word}" if line else word
                line_w = line_w + space + w if line_w else w
        lines.append(line)
    return lines


class PdfFlow:
    """Blocks flowed onto A4 pages (a ReportLab canvas; positions in inches from the bottom left)."""

    def __init__(self, canvas, footer: str):
        self.canvas = canvas
        self.footer = footer
        self.open = False
        self.page = 0
        self.y = 0.0

    @property
    def width(self) -> float:
        return PAGE_W - 2 * MARGIN

    def new_page(self) -> None:
        self.finish_page()
        self.open = True
        self.page += 1
        self.y = PAGE_H - MARGIN

    def finish_page(self) -> None:
        if not self.open:
            return
        c = self.canvas
        c.setFillColor(_colour("#768692"))
        c.setFont(_font(), 7)
        baseline = 0.35 * 72
        c.drawString(MARGIN * 72, baseline, self.footer)
        c.drawRightString((PAGE_W - MARGIN) * 72, baseline, f"page {self.page}")
        c.showPage()
        self.open = False

    def at_top(self) -> bool:
        return not self.open or self.y >= PAGE_H - MARGIN - 1e-6

    def need(self, h: float) -> None:
        if not self.open or self.y - h < MARGIN:
            self.new_page()

    def text(self, x: float, y: float, s: str, size: float, color: str = "#212B32", fontweight: str = "normal",
             fontstyle: str = "normal", family: str = "DejaVu Sans") -> None:
        """One line of text whose top is at height `y` (inches)."""
        c = self.canvas
        c.setFillColor(_colour(color))
        c.setFont(_font(fontweight == "bold", fontstyle == "italic", family == "DejaVu Sans Mono"), size)
        c.drawString(x * 72, y * 72 - size * _ASCENT, s)

    def rect(self, x: float, y_top: float, w: float, h: float, colour: str) -> None:
        c = self.canvas
        c.setFillColor(_colour(colour))
        c.rect(x * 72, (y_top - h) * 72, w * 72, h * 72, stroke=0, fill=1)

    def heading(self, block: Heading) -> None:
        size = {1: 18, 2: 14, 3: 11}.get(block.level, 11)
        lines = wrap_text(block.text, self.width * 72, size, bold=True)
        h = len(lines) * size * 1.3 / 72
        if block.level >= 2 and not self.at_top():
            self.y -= 0.12
        self.need(h + 0.9)  # keep a heading with what follows
        colour = {1: "#005EB8", 2: "#003087"}.get(block.level, "#212B32")
        for line in lines:
            self.text(MARGIN, self.y, line, size, fontweight="bold", color=colour)
            self.y -= size * 1.3 / 72
        if block.level == 2:
            self.rect(MARGIN, self.y + 0.02, self.width, 0.025, "#005EB8")
            self.y -= 0.06
        self.y -= 0.06

    def paragraph(self, text: str, style: str = "", size: float = 9.0, indent: float = 0.0,
                  prefix: str = "") -> None:
        size = {"lead": 10.0, "note": 8.5}.get(style, size)
        pad = 0.1 if style in PARA_FILL else 0.0
        bar = 0.12 if style in PARA_BAR else 0.0
        width = self.width - indent - 2 * pad - bar
        lines = wrap_text(text, width * 72, size, bold=False)
        lh = size * 1.38 / 72
        colour = "#425563" if style == "note" else "#212B32"
        i = 0
        while i < len(lines):
            self.need(lh + 2 * pad)
            room = int((self.y - MARGIN - 2 * pad) / lh)
            chunk = lines[i:i + max(1, room)]
            h = len(chunk) * lh + 2 * pad
            if style in PARA_FILL:
                self.rect(MARGIN + indent, self.y, self.width - indent, h, PARA_FILL[style])
            if style in PARA_BAR:
                self.rect(MARGIN + indent, self.y, 0.05, h, PARA_BAR[style])
            y = self.y - pad
            for j, line in enumerate(chunk):
                if prefix and i + j == 0:
                    self.text(MARGIN + indent - 0.15, y, prefix, size, color=colour)
                self.text(MARGIN + indent + pad + bar, y, line, size, color=colour,
                          fontstyle="italic" if style == "quote" else "normal")
                y -= lh
            self.y -= h
            i += len(chunk)
        self.y -= 0.08

    def table(self, block: Table) -> None:
        size = 6.8 if block.small else 7.6
        n = len(block.header)
        weights = block.weights or [1.0] * n
        total = sum(weights)
        widths = [self.width * w / total for w in weights]
        pad = 0.04
        lh = size * 1.3 / 72

        def lines_of(cell, w, bold=False):
            cell = cell if isinstance(cell, Cell) else Cell(str(cell))
            return wrap_text(cell.text, (w - 2 * pad) * 72, size, bold=bold or cell.tone == "strong",
                             mono=cell.mono)

        has_header = any(block.header)
        head_lines = [lines_of(Cell(h), w, True) for h, w in zip(block.header, widths)] if has_header else []
        head_h = (max(len(x) for x in head_lines) * lh + 2 * pad) if has_header else 0.0

        def draw_header():
            if not has_header:
                return
            self.rect(MARGIN, self.y, self.width, head_h, "#005EB8")
            x = MARGIN
            for lines, w in zip(head_lines, widths):
                for k, line in enumerate(lines):
                    self.text(x + pad, self.y - pad - k * lh, line, size, fontweight="bold", color="white")
                x += w
            self.y -= head_h

        self.need(head_h + 3 * lh)
        draw_header()
        for row in block.rows:
            cells = [c if isinstance(c, Cell) else Cell(str(c)) for c in row]
            cl = [lines_of(c, w) for c, w in zip(cells, widths)]
            h = max(len(x) for x in cl) * lh + 2 * pad
            if self.y - h < MARGIN:
                self.new_page()
                draw_header()
            x = MARGIN
            for cell, lines, w in zip(cells, cl, widths):
                if cell.tone in TONE_FILL:
                    self.rect(x, self.y, w, h, TONE_FILL[cell.tone])
                for k, line in enumerate(lines):
                    self.text(x + pad, self.y - pad - k * lh, line, size,
                              color=TONE_TEXT.get(cell.tone, "#212B32"),
                              fontweight="bold" if cell.tone == "strong" else "normal",
                              family="DejaVu Sans Mono" if cell.mono else "DejaVu Sans")
                x += w
            self.rect(MARGIN, self.y - h + 0.006, self.width, 0.006, "#D8DDE0")
            self.y -= h
        self.y -= 0.06
        if block.caption:
            self.paragraph(block.caption, "note", size=7.5)
        else:
            self.y -= 0.06

    def image(self, png: bytes, caption: str) -> None:
        from reportlab.lib.utils import ImageReader

        picture = ImageReader(io.BytesIO(png))
        w_px, h_px = picture.getSize()
        width = min(self.width, w_px / plots.DPI)
        height = width * h_px / w_px
        cap_h = 0.45
        max_h = PAGE_H - 2 * MARGIN - cap_h
        if height > max_h:
            height = max_h
            width = height * w_px / h_px
        self.need(height + cap_h)
        self.canvas.drawImage(picture, MARGIN * 72, (self.y - height) * 72, width * 72, height * 72)
        self.y -= height + 0.05
        self.paragraph(caption, "note", size=7.5)

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.paragraph(item, "", size=9.0, indent=0.22, prefix="•")

    def contents(self, block: Contents) -> None:
        self.heading(Heading("Contents", 2))
        for i, (_, title) in enumerate(block.entries):
            self.paragraph(f"{i + 1}. {title}", "", size=9.0, indent=0.1)


def _title_only(title: str):
    """ReportLab's document information, holding the title only."""
    from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFInfo, PDFString

    class TitleOnly(PDFInfo):
        def format(self, document):
            return PDFDictionary({"Title": PDFString(self.title)}).format(document)

    info = TitleOnly()
    info.title = title
    return info


@lru_cache(maxsize=64)
def _colour(hex_colour: str):
    """A ReportLab colour from "#RRGGBB" or a named colour ("white")."""
    from reportlab.lib.colors import toColor

    return toColor(hex_colour)


def render_pdf(blocks: list, images: dict[str, bytes]) -> bytes:
    """The report as an A4 PDF, the same bytes for the same blocks (no date or producer of the moment)."""
    from reportlab.pdfbase.pdfdoc import PDFInfo
    from reportlab.pdfgen.canvas import Canvas

    title = "careshift report"
    buf = io.BytesIO()
    # invariant: the file's id is fixed, so a report rebuilt later is the same file; the document
    # information holds the title only (ReportLab's would add a fixed date of 2000 and its name)
    canvas = Canvas(buf, pagesize=(PAGE_W * 72, PAGE_H * 72), invariant=1, pageCompression=1)
    canvas.setTitle(title)
    doc = getattr(canvas, "_doc", None)
    if doc is not None and isinstance(getattr(doc, "info", None), PDFInfo):
        doc.info = _title_only(title)
    flow = PdfFlow(canvas, title)
    flow.new_page()
    for block in blocks:
        if isinstance(block, Heading):
            flow.heading(block)
        elif isinstance(block, Para):
            flow.paragraph(block.text, block.style)
        elif isinstance(block, Bullets):
            flow.bullets(block.items)
        elif isinstance(block, Table):
            flow.table(block)
        elif isinstance(block, FigureBlock):
            if block.name in images:
                flow.image(images[block.name], block.caption)
        elif isinstance(block, PageBreak):
            if not flow.at_top():
                flow.new_page()
        elif isinstance(block, Contents):
            flow.contents(block)
    flow.finish_page()
    canvas.save()
    return buf.getvalue()


# --- entry point ----------------------------------------------------------------------------------


def load(batch: Path) -> Batch:
    view = plots.BatchView.from_batch(batch)
    return Batch(view, view.runs())


def write_report(batch: Path, *, plots_too: bool = True) -> list[Path]:
    """Write ``<batch>/report.html`` and ``<batch>/report.pdf`` from the saved batch files.

    The figures are those of :func:`plots.figure_specs`. When ``<batch>/plots`` already holds them
    for the batch exactly as it is now (drawn by :func:`plots.draw_all` or an earlier report) they
    are embedded as they are; otherwise they are drawn, and with ``plots_too`` (the default) also
    written to ``<batch>/plots`` as PNG and SVG, so a caller needs no separate ``draw_all``.
    Returns the report files first, then the plot files written or found.
    """
    batch = Path(batch)
    b = load(batch)
    specs = {spec.name: spec for spec in plots.figure_specs(b.view)}
    images = plots.cached_pngs(batch)
    plot_files: list[Path] = []
    if images is not None and set(images) <= set(specs):
        figures = {name: specs[name] for name in specs if name in images}
        for name in figures:
            plot_files += [p for p in (batch / "plots" / f"{name}.png", batch / "plots" / f"{name}.svg")
                           if p.is_file()]
    else:
        key = plots.fingerprint(batch)
        figures, images = {}, {}
        for name, spec in specs.items():
            fig = plots.build(spec)
            if fig is None:
                continue
            figures[name] = spec
            images[name] = plots.render(fig, "png")
            if plots_too:
                png = batch / "plots" / f"{name}.png"
                output.atomic_write_bytes(png, images[name])
                svg = batch / "plots" / f"{name}.svg"
                output.atomic_write_bytes(svg, plots.render(fig, "svg"))
                plot_files += [png, svg]
        if plots_too:
            plots.remember(batch, list(figures), key)
    blocks = document(b, figures)
    html_path, pdf_path = batch / "report.html", batch / "report.pdf"
    output.atomic_write_text(html_path, render_html(blocks, images))
    output.atomic_write_bytes(pdf_path, render_pdf(blocks, images))
    return [html_path, pdf_path, *plot_files]


__all__ = ["write_report", "document", "render_html", "render_pdf", "differing", "field_info"]
