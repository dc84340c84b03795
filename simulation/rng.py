"""Named random streams: (root seed, replication, stream name) -> numpy Generator.

Each stochastic activity draws from its own stream, built from
``SeedSequence(root_seed, spawn_key=(replication, crc32(name), *extra))``. Adding a
stream never moves another, and replication k uses the same numbers in every
scenario (common random numbers). There is no global seeding anywhere.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Streams the model uses, with what each drives (recorded in the manifest).
STREAMS: dict[str, str] = {
    "population.initial": "ages, sexes, segments and latent risk of the starting population",
    "population.year": "deaths, segment progression and entrants, one child per simulated year",
    "demand.crises": "candidate crises and their pre-drawn uniforms, one child per month",
    "demand.dynamic": "crises made during a run (after a discharge, after reablement, terminal admissions)",
    "end_of_life": "terminal admissions and place of death, one child per year",
    "services.durations": "package, episode and stay durations drawn when they start",
    "services.initial": "people in care homes and on home care at the start of the warm-up",
    "services.community": "community referrals to reablement, home care and care homes",
    "risk.prediction": "noise of the predicted-risk score, one child per scoring day",
    "intervention.<name>": "enrolment of an intervention's cohort, one child per update day",
}


def stream_key(name: str) -> int:
    """Stable 32-bit key of a stream name (crc32; independent of PYTHONHASHSEED)."""
    return zlib.crc32(name.encode("utf-8")) & 0xFFFFFFFF


def generator(root_seed: int, replication: int, name: str, *extra: int) -> np.random.Generator:
    """The generator for one named stream of one replication.

    Parameters
    ----------
    root_seed
        The scenario's ``run.seed``.
    replication
        Replication index, from 0.
    name
        Stream name (see :data:`STREAMS`).
    *extra
        Further integers (for example a month index) that pick a child stream.
    """
    seq = np.random.SeedSequence(root_seed, spawn_key=(replication, stream_key(name), *extra))
    return np.random.Generator(np.random.PCG64(seq))


def stream_layout() -> dict[str, object]:
    """A description of the stream layout for the manifest."""
    return {
        "scheme": "SeedSequence(run.seed, spawn_key=(replication, crc32(name), *child))",
        "bit_generator": "PCG64",
        "streams": {name: {"key": stream_key(name), "drives": what} for name, what in STREAMS.items()},
    }
