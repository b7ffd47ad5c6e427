"""Survival of devices: when a device still in service today will be retired.

A category's lifetimes follow a Weibull law, S(t) = exp(-(t / scale) ** shape) for a device of
age t years. Without data of the organisation's own, the shape is the stated hypothesis
:data:`DEFAULT_SHAPE` and the scale is set so that the mean lifetime equals the referential's
(or the organisation's) lifetime of the category: mean = scale × Γ(1 + 1/shape). With enough
dated retirements of its own (:data:`MIN_RETIREMENTS_TO_FIT`), the organisation's history
gives both parameters by maximum likelihood, devices still in service counting as censored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Weibull shape used when the organisation's history is too short to fit one (hypothesis:
#: retirements spread around the mean lifetime, their rate growing with age).
DEFAULT_SHAPE = 2.0
#: Dated retirements needed, in a category, before its parameters are fitted on them.
MIN_RETIREMENTS_TO_FIT = 30

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Weibull:
    """A lifetime law: ``shape`` (k) and ``scale`` (λ, years); ``origin`` says where from."""

    shape: float
    scale: float
    origin: str = "hypothesis"
    """« hypothesis » (shape stated, scale from the mean lifetime) or « fitted » (history)."""
    retirements: int = 0
    """Dated retirements the fit used (0 for a hypothesis)."""

    @classmethod
    def from_mean(cls, mean_years: float, shape: float = DEFAULT_SHAPE) -> Weibull:
        """The law of the given shape whose mean lifetime is ``mean_years``."""
        if mean_years <= 0 or shape <= 0:
            raise ValueError("La durée de vie moyenne et la forme doivent être positives.")
        return cls(shape, mean_years / math.gamma(1.0 + 1.0 / shape))

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def stretched(self, extra_years: float) -> Weibull:
        """The same law with its mean lengthened by ``extra_years`` (same shape)."""
        return Weibull.from_mean(max(self.mean + extra_years, 0.1), self.shape)

    def survival(self, age: FloatArray | float) -> FloatArray:
        """S(age): the probability that a device is still in service at ``age`` years."""
        t = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
        return np.asarray(np.exp(-((t / self.scale) ** self.shape)), dtype=np.float64)

    def kept(self, age: FloatArray | float, years: float = 1.0) -> FloatArray:
        """P(still in service at age + years | in service at age) = S(age + years) / S(age).

        Computed as exp(-(H(age + years) - H(age))) with the cumulative hazard H, so that it
        stays exact for devices far past their mean lifetime (where S underflows).
        """
        t = np.maximum(np.asarray(age, dtype=np.float64), 0.0)
        h0 = (t / self.scale) ** self.shape
        h1 = ((t + years) / self.scale) ** self.shape
        return np.asarray(np.exp(-(h1 - h0)), dtype=np.float64)


def fit(ages: FloatArray, retired: npt.NDArray[np.bool_]) -> Weibull:
    """Maximum-likelihood Weibull of lifetimes with right censoring.

    ``ages`` are the lifetimes of retired devices (``retired`` true) and the current ages of
    devices still in service (censored). The shape solves the profile-likelihood equation
    Σ tᵏ ln t / Σ tᵏ − 1/k − mean(ln t over retirements) = 0 (bisection), then
    scale = (Σ tᵏ / d)^(1/k) with d the number of retirements.
    """
    t = np.asarray(ages, dtype=np.float64)
    done = np.asarray(retired, dtype=bool)
    keep = t > 0
    t, done = t[keep], done[keep]
    d = int(done.sum())
    if d < 2:
        raise ValueError("Au moins deux sorties datées sont nécessaires pour ajuster une loi.")
    log_t = np.log(t)
    mean_log_failures = float(log_t[done].mean())

    def equation(k: float) -> float:
        # Scaled by the largest age so that t**k stays finite for large k.
        w = (t / t.max()) ** k
        return float((w * log_t).sum() / w.sum() - 1.0 / k - mean_log_failures)

    lo, hi = 0.05, 50.0
    if equation(lo) > 0 or equation(hi) < 0:  # no root in range: keep the stated shape
        k = DEFAULT_SHAPE
    else:
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if equation(mid) < 0:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-10:
                break
        k = 0.5 * (lo + hi)
    scale = float(((t / t.max()) ** k).sum() / d) ** (1.0 / k) * float(t.max())
    return Weibull(k, scale, "fitted", d)
