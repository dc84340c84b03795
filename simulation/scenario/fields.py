"""Building blocks shared by the scenario schema: strict base model, sourced fields, distributions."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

AGE_BANDS = ("age_0_17", "age_18_64", "age_65_74", "age_75_84", "age_85_plus")
AGE_BAND_LABELS = ("0-17", "18-64", "65-74", "75-84", "85+")
AGE_BAND_LOWER = (0, 18, 65, 75, 85)
SEGMENTS = ("healthy", "ltc", "complex", "frailty", "end_of_life")
ACUITIES = ("minor", "urgent", "acute")


class Model(BaseModel):
    """Strict, frozen, closed pydantic model: the base of every scenario section.

    ``extra="forbid"`` turns a misspelt key into an error, ``strict=True`` refuses
    ``true`` for 1, ``"10"`` for 10 and ``2.5`` for a whole number, and
    ``allow_inf_nan=False`` refuses NaN and infinity.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        validate_default=True,
        use_attribute_docstrings=False,
    )


def sourced(default: Any, description: str, *, unit: str = "", source: str = "", **limits: Any) -> Any:
    """A field with its meaning, unit, limits and the source of its default.

    Parameters
    ----------
    default
        The default value (the baseline's value).
    description
        One sentence on what the field means.
    unit
        The unit (also carried in the field name).
    source
        Where the default comes from: a key of ``docs/evidence.md`` with its
        basis tag (R read, D derived, M unverified recollection, A assumption).
    **limits
        ``gt``, ``ge``, ``lt``, ``le`` passed to :func:`pydantic.Field`.
    """
    extra = {"unit": unit, "source": source}
    if isinstance(default, BaseModel) or callable(default):
        factory = default if callable(default) and not isinstance(default, BaseModel) else (lambda d=default: d)
        return Field(default_factory=factory, description=description, json_schema_extra=extra, **limits)
    return Field(default, description=description, json_schema_extra=extra, **limits)


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Union[Probability, Literal["remainder"]]


class ProbabilityTable(Model):
    """Branch probabilities out of one decision point.

    Values are probabilities in [0, 1]; at most one branch may be the word
    ``remainder`` and then takes 1 minus the others. Without a remainder the
    branches must sum to 1 (within 1e-6).
    """

    @model_validator(mode="after")
    def _sums_to_one(self) -> "ProbabilityTable":
        values = [getattr(self, name) for name in type(self).model_fields]
        remainders = [v for v in values if v == "remainder"]
        total = sum(v for v in values if v != "remainder")
        if len(remainders) > 1:
            raise ValueError("at most one branch may be 'remainder'")
        if remainders:
            if total > 1.0 + 1e-9:
                raise ValueError(f"branches other than the remainder sum to {total:.6g}, more than 1")
        elif abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"branch probabilities sum to {total:.6g}; they must sum to 1 "
                "(or write 'remainder' for one branch)"
            )
        return self

    def probabilities(self) -> dict[str, float]:
        """Branch name -> probability, with the remainder resolved."""
        names = list(type(self).model_fields)
        values = {n: getattr(self, n) for n in names}
        fixed = sum(v for v in values.values() if v != "remainder")
        return {n: (max(0.0, 1.0 - fixed) if v == "remainder" else float(v)) for n, v in values.items()}


class ByAgeBand(Model):
    """One number per reporting age band (0-17, 18-64, 65-74, 75-84, 85+)."""

    age_0_17: Annotated[float, Field(ge=0.0, le=1e6)]
    age_18_64: Annotated[float, Field(ge=0.0, le=1e6)]
    age_65_74: Annotated[float, Field(ge=0.0, le=1e6)]
    age_75_84: Annotated[float, Field(ge=0.0, le=1e6)]
    age_85_plus: Annotated[float, Field(ge=0.0, le=1e6)]

    def as_list(self) -> list[float]:
        """Values in band order."""
        return [getattr(self, b) for b in AGE_BANDS]


class ProbabilityByAgeBand(ByAgeBand):
    """One probability per age band."""

    age_0_17: Probability
    age_18_64: Probability
    age_65_74: Probability
    age_75_84: Probability
    age_85_plus: Probability


class GrowthByAgeBand(Model):
    """Annual growth of each age band, per cent a year (negative allowed)."""

    age_0_17: Annotated[float, Field(ge=-10.0, le=10.0)]
    age_18_64: Annotated[float, Field(ge=-10.0, le=10.0)]
    age_65_74: Annotated[float, Field(ge=-10.0, le=10.0)]
    age_75_84: Annotated[float, Field(ge=-10.0, le=10.0)]
    age_85_plus: Annotated[float, Field(ge=-10.0, le=10.0)]

    def as_list(self) -> list[float]:
        """Values in band order."""
        return [getattr(self, b) for b in AGE_BANDS]


class BySegment(Model):
    """One non-negative multiplier per population segment."""

    healthy: Annotated[float, Field(ge=0.0, le=1000.0)]
    ltc: Annotated[float, Field(ge=0.0, le=1000.0)]
    complex: Annotated[float, Field(ge=0.0, le=1000.0)]
    frailty: Annotated[float, Field(ge=0.0, le=1000.0)]
    end_of_life: Annotated[float, Field(ge=0.0, le=1000.0)]

    def as_list(self) -> list[float]:
        """Values in segment order."""
        return [getattr(self, s) for s in SEGMENTS]


# --- distributions: nested leaves chosen by `dist` -------------------------------

Positive = Annotated[float, Field(gt=0.0, le=1e6)]


class Fixed(Model):
    """A constant duration."""

    dist: Literal["fixed"]
    value: Annotated[float, Field(ge=0.0, le=1e6)]

    @property
    def mean(self) -> float:
        return self.value


class Exponential(Model):
    """Exponential with the given mean."""

    dist: Literal["exponential"]
    mean: Positive


class Lognormal(Model):
    """Lognormal given by its mean and standard deviation (not the log-scale parameters)."""

    dist: Literal["lognormal"]
    mean: Positive
    sd: Positive

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2."""
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)


class Uniform(Model):
    """Uniform between low and high."""

    dist: Literal["uniform"]
    low: Annotated[float, Field(ge=0.0, le=1e6)]
    high: Annotated[float, Field(ge=0.0, le=1e6)]

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must not be below low ({self.low})")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0


Distribution = Annotated[Union[Fixed, Exponential, Lognormal, Uniform], Field(discriminator="dist")]


def fixed(value: float) -> Fixed:
    return Fixed(dist="fixed", value=value)


def exponential(mean: float) -> Exponential:
    return Exponential(dist="exponential", mean=mean)


def lognormal(mean: float, sd: float) -> Lognormal:
    return Lognormal(dist="lognormal", mean=mean, sd=sd)


def bands(a: float, b: float, c: float, d: float, e: float, cls: type[ByAgeBand] = ByAgeBand) -> Any:
    """Shorthand for a by-age-band value in band order."""
    return cls(age_0_17=a, age_18_64=b, age_65_74=c, age_75_84=d, age_85_plus=e)
