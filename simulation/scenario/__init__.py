"""Scenario files: the schema, loading with located errors, and sweeps."""

from .schema import Scenario, default_scenario

__all__ = ["Scenario", "default_scenario"]
