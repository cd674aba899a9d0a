"""Sharing: likelihood to recommend, NPS, online reviews and word of mouth."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from cxsim.rules.coefficients import Coefficients, NonNeg, Unit


class WordOfMouthCoefficients(Coefficients):
    """Recommendation, reviews and word of mouth (``behaviour.word_of_mouth``)."""

    recommend_noise: NonNeg = 0.7
    """Spread of the likelihood-to-recommend answer around ten times satisfaction."""
    review_base: Unit = 0.02
    """Probability that a shopper with a middling experience writes a review."""
    review_extremity: Unit = 0.35
    """Extra probability of a review at the extremes of satisfaction."""
    review_rate: Unit = 0.05
    """Weight of one review in the store's public rating."""
    positive: Unit = 0.30
    """Probability that a promoter tells acquaintances."""
    negative: Unit = 0.30
    """Probability that a detractor tells acquaintances."""
    reach: Annotated[int, Field(ge=0, le=64)] = 3
    """Acquaintances told."""
    weight: Unit = 0.15
    """How far praise moves a hearer's view of the store."""
    negative_weight: Unit = 0.25
    """How far a complaint moves a hearer's view of the store."""
    nps_window_days: Annotated[int, Field(ge=1)] = 30
    """Days of answers pooled in the rolling NPS."""


def likelihood_to_recommend(rng: np.random.Generator, satisfaction: np.ndarray, noise: float) -> np.ndarray:
    """Answer to "how likely are you to recommend us?" on 0..10 (int8)."""
    raw = 10.0 * satisfaction + noise * rng.standard_normal(satisfaction.shape[0])
    return np.clip(np.rint(raw), 0, 10).astype(np.int8)


def promoters_detractors(ltr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Promoters answer 9-10, detractors 0-6 (Reichheld 2003, HBR 81(12):46)."""
    return ltr >= 9, ltr <= 6


def net_promoter_score(
    promoters: np.ndarray | float, detractors: np.ndarray | float, respondents: np.ndarray | float
) -> np.ndarray:
    """NPS = 100 x (promoters - detractors) / respondents; NaN where nobody answered."""
    promoters = np.asarray(promoters, dtype=float)
    respondents = np.asarray(respondents, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = np.where(respondents > 0, 100.0 * (promoters - detractors) / respondents, np.nan)
    return out


def writes_review(
    rng: np.random.Generator, satisfaction: np.ndarray, c: WordOfMouthCoefficients
) -> np.ndarray:
    """Whether a shopper writes an online review.

    Mostly the very pleased and the very displeased write (the J-shaped
    distribution of reviews, Hu, Pavlou and Zhang 2009, CACM 52(10):144).
    """
    extreme = (2.0 * satisfaction - 1.0) ** 4
    return rng.random(satisfaction.shape[0]) < c.review_base + c.review_extremity * extreme


def update_ratings(rating: np.ndarray, store: np.ndarray, score: np.ndarray, rate: float) -> np.ndarray:
    """Public rating per store: exponentially weighted mean of the day's review scores."""
    counts = np.bincount(store, minlength=rating.shape[0])
    sums = np.bincount(store, weights=score, minlength=rating.shape[0])
    has = counts > 0
    mean = np.divide(sums, counts, out=np.zeros_like(rating), where=has)
    keep = (1.0 - rate) ** counts
    return np.where(has, keep * rating + (1.0 - keep) * mean, rating)


def tells_acquaintances(
    rng: np.random.Generator, promoter: np.ndarray, detractor: np.ndarray, c: WordOfMouthCoefficients
) -> np.ndarray:
    """Whether each shopper talks about the purchase to acquaintances.

    Promoters talk with probability ``positive``, detractors with probability
    ``negative``; passives stay silent.

    Promoters and detractors are Reichheld's (2003, HBR 81(12):46) categories
    of the likelihood to recommend (:func:`promoters_detractors`).
    """
    n = promoter.shape[0]
    return (promoter & (rng.random(n) < c.positive)) | (detractor & (rng.random(n) < c.negative))


def spread_word_of_mouth(
    rng: np.random.Generator,
    senders: np.ndarray,
    store: np.ndarray,
    positive: np.ndarray,
    acquaintances: np.ndarray,
    reputation: np.ndarray,
    c: WordOfMouthCoefficients,
) -> tuple[int, int]:
    """Tell ``reach`` acquaintances about a store; returns (positive, negative) messages.

    Each sender talks to ``reach`` distinct acquaintances drawn from its ties; each
    hearer's perceived reputation of the store moves toward 1 (praise) or 0
    (complaint), by ``weight`` or ``negative_weight``. Complaints weigh more by default, a
    common modelling assumption after Arndt (1967, JMR 4:291); East, Hammond
    and Lomax (2008, IJRM 25:215) found positive WOM usually has the larger
    impact, so the asymmetry is a parameter to explore, not a settled fact.
    Updates ``reputation`` (``(n, S)``) in place.
    """
    degree, reach = acquaintances.shape[1], c.reach
    if senders.size == 0 or degree == 0 or reach == 0:
        return 0, 0
    k = min(reach, degree)
    picks = np.argsort(rng.random((senders.size, degree)), axis=1)[:, :k]  # k distinct ties
    hearers = acquaintances[senders[:, None], picks].ravel()
    about = np.repeat(store, k)
    good = np.repeat(positive, k)
    target = good.astype(np.float32)
    weight = np.where(good, c.weight, c.negative_weight).astype(np.float32)
    current = reputation[hearers, about]
    reputation[hearers, about] = current + weight * (target - current)
    n_pos = int(good.sum())
    return n_pos, int(good.size - n_pos)
