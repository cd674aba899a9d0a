"""Sharing: likelihood to recommend, NPS, online reviews and word of mouth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import numpy as np
from pydantic import Field

from cxsim.rules.arrays import clip_in_place
from cxsim.rules.coefficients import Coefficients, NonNeg, Unit


class WordOfMouthCoefficients(Coefficients):
    """Recommendation, reviews and word of mouth (``behaviour.word_of_mouth``)."""

    recommend_noise: NonNeg = 0.7
    """Spread of the likelihood-to-recommend answer around ten times satisfaction."""
    review_base: Unit = 0.02
    """Probability that a shopper with a middling experience writes a review."""
    review_extremity: Unit = 0.35
    """Extra probability of a review at the extremes of satisfaction."""
    neutral: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.75
    """Satisfaction at which a customer has nothing to tell (the bottom of the U): the
    satisfaction of an NPS passive (likelihood to recommend 7-8)."""
    spread: Annotated[float, Field(gt=0.0, le=1.0)] = 0.25
    """Distance of satisfaction from ``neutral`` at which a story has full strength."""
    positive: Unit = 0.30
    """Probability that a delighted customer (satisfaction 1) talks."""
    negative: Unit = 0.60
    """Probability that an outraged customer (satisfaction 0) talks (calibrated, 0.4.0: who talks,
    P4; 0.40 until 0.3.0)."""
    reach: Annotated[int, Field(ge=0, le=64)] = 3
    """Acquaintances told by each teller."""
    credibility: Unit = 0.5
    """Weight of an acquaintance's story relative to one's own experience (precision ratio)."""
    retell: Unit = 0.3
    """Probability that a hearer passes a story of full strength on."""
    hops: Annotated[int, Field(ge=1, le=5)] = 2
    """Longest chain of tellings (1: hearers never retell)."""
    decay: Unit = 0.5
    """Credibility kept by a story at each retelling."""
    nps_window_days: Annotated[int, Field(ge=1)] = 30
    """Days of answers pooled in the rolling NPS."""


def likelihood_to_recommend(rng: np.random.Generator, satisfaction: np.ndarray, noise: float) -> np.ndarray:
    """Answer to "how likely are you to recommend us?" on 0..10 (int8)."""
    raw = 10.0 * satisfaction + noise * rng.standard_normal(satisfaction.shape[0])
    rounded = np.rint(raw, out=raw)
    return clip_in_place(rounded, 0, 10).astype(np.int8)


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


def stars(ltr: np.ndarray) -> np.ndarray:
    """Stars of a review, 1..5 (int8), from the writer's likelihood to recommend (0..10).

    ``1 + round(0.4 x LTR)``: 9-10 give five stars, 7-8 four, 4-6 three, 2-3 two, 0-1 one.
    """
    return (1 + np.rint(0.4 * ltr)).astype(np.int8)


def star_signal(star: np.ndarray) -> np.ndarray:
    """What a review's stars say about the whole experience, on 0..1: ``(stars - 1) / 4``."""
    out: np.ndarray = (star.astype(np.float64) - 1.0) / 4.0
    return out


def talk_propensity(satisfaction: np.ndarray, c: WordOfMouthCoefficients) -> tuple[np.ndarray, np.ndarray]:
    """Probability of talking about a purchase and the story's strength, both ``(n,)``.

    An asymmetric U in satisfaction (Anderson 1998, J. Service Research 1:5):
    strength is the distance from the ``neutral`` satisfaction over ``spread``,
    capped at 1; the probability is ``positive x strength**2`` above neutral
    and ``negative x strength**2`` below. Dissatisfied customers talk more
    (``negative`` > ``positive``), but by far less than the folklore of
    "tell ten for every three"; Anderson found the difference modest.
    """
    n = c.neutral
    above = clip_in_place((satisfaction - n) / c.spread, 0.0, 1.0)
    below = clip_in_place((n - satisfaction) / c.spread, 0.0, 1.0)
    strength = np.maximum(above, below)
    p = np.where(satisfaction >= n, c.positive * above**2, c.negative * below**2)
    return p, strength


def tells_acquaintances(rng: np.random.Generator, propensity: np.ndarray) -> np.ndarray:
    """Whether each customer talks about the purchase (one uniform per purchase)."""
    out: np.ndarray = rng.random(propensity.shape[0]) < propensity
    return out


def spread_word_of_mouth(
    rng: np.random.Generator | Callable[[np.ndarray], np.random.Generator],
    tellers: np.ndarray,
    strength: np.ndarray,
    acquaintances: np.ndarray,
    c: WordOfMouthCoefficients,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who hears each story, hop by hop: ``(hearer, story, hop)`` arrays, one entry per message.

    Each teller tells ``reach`` distinct acquaintances drawn from its ties (a
    small world, Watts and Strogatz 1998); each hearer retells the story with
    probability ``retell x strength`` to ``reach`` of its own acquaintances, up
    to ``hops`` tellings. ``story`` indexes ``tellers`` (the original teller);
    the hop says how often the story was retold (1: first hand). ``rng`` is a
    generator, or a function giving the generator for the draws of given tellers
    (towns run together: :meth:`cxsim.model.towns.Towns.draws_for_rows`).
    """
    draws = rng if callable(rng) else (lambda rows: rng)
    degree = acquaintances.shape[1]
    k = min(c.reach, degree)
    empty = np.zeros(0, dtype=np.int64)
    if tellers.size == 0 or k == 0:
        return empty, empty, empty
    hearers, stories = [], []
    who, story = tellers.astype(np.int64, copy=False), np.arange(tellers.size)
    for hop in range(1, c.hops + 1):
        if who.size == 0:
            break
        picks = np.argsort(draws(who).random((who.size, degree)), axis=1)[:, :k]  # k distinct ties
        heard = acquaintances[who[:, None], picks].ravel().astype(np.int64)
        about = np.repeat(story, k)
        hearers.append(heard)
        stories.append(about)
        if hop < c.hops:
            passes = draws(heard).random(heard.size) < c.retell * strength.take(about)
            who, story = heard[passes], about[passes]
    sizes = [h.size for h in hearers]  # hop 1, 2, ... for each message of each telling
    hops = np.repeat(np.arange(1, len(sizes) + 1, dtype=np.int64), sizes)
    return np.concatenate(hearers), np.concatenate(stories), hops


def message_credibility(strength: np.ndarray, hop: np.ndarray, c: WordOfMouthCoefficients) -> np.ndarray:
    """Precision of a story relative to one's own experience: ``credibility x strength x decay**(hop-1)``.

    Strong stories persuade more; each retelling loses ``1 - decay`` of the
    credibility (second-hand news is discounted).
    """
    out: np.ndarray = c.credibility * strength * c.decay ** (hop - 1.0)
    return out
