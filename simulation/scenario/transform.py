"""Scenario variants built by copying (``model_copy``), never by mutating a shared object."""

from __future__ import annotations

from pydantic import BaseModel

from .schema import Scenario

#: Service fields that are capacities (places, servers or slots) and scale with the population.
CAPACITY_FIELDS = {"beds", "places", "packages", "crews", "cubicles", "call_handlers",
                   "same_day_slots_per_weekday", "visits_per_day", "caseload"}


def _scale_model(model: BaseModel, factor: float) -> BaseModel:
    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            update[name] = _scale_model(value, factor)
        elif name in CAPACITY_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            update[name] = max(1, round(value * factor)) if value > 0 else 0
        elif name.endswith("_per_year") and isinstance(value, float):
            update[name] = value * factor
    return model.model_copy(update=update)


def with_population(scenario: Scenario, size: int) -> Scenario:
    """The same place at another size: capacities, community flows and intervention sizes scale in proportion.

    Rates per person, probabilities and durations are unchanged, so a smaller
    place has the same utilisations (small pools queue a little more: they pool
    less variability).
    """
    factor = size / scenario.population.size
    services = _scale_model(scenario.services, factor)
    population = scenario.population.model_copy(update={"size": size})
    interventions = [_scale_intervention(it, factor) for it in scenario.interventions]
    return scenario.model_copy(update={"services": services, "population": population,
                                       "interventions": interventions})


#: Intervention fields that are sizes (places or people) and scale with the population.
INTERVENTION_SIZES = ("change", "capacity_patients", "caseload", "places", "packages", "visits_per_day")


def _scale_intervention(item: BaseModel, factor: float) -> BaseModel:
    """An intervention sized for the rescaled place: its places, patients and money scale with it."""
    update = {}
    for name in INTERVENTION_SIZES:
        value = getattr(item, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            update[name] = round(value * factor)
    costs = item.costs.model_copy(update={"setup": item.costs.setup * factor,
                                          "fixed_per_year": item.costs.fixed_per_year * factor})
    update["costs"] = costs
    return item.model_copy(update=update)


def with_run(scenario: Scenario, **run_update) -> Scenario:
    """The scenario with run settings replaced (``replications``, ``seed``, ``horizon_years``...)."""
    run = scenario.run.model_copy(update={k: v for k, v in run_update.items() if v is not None})
    return scenario.model_copy(update={"run": run})


def revalidate(scenario: Scenario) -> Scenario:
    """Validate a variant again (``model_copy`` does not), so a bad override is caught."""
    return Scenario.model_validate(scenario.model_dump())
