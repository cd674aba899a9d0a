"""Nested logit: alternatives grouped in nests whose members share unobserved utility.

The plain logit's independence of irrelevant alternatives makes an exact copy
of a store take share from every rival in proportion, doubling the pair's
appeal. The nested logit (McFadden 1978; Train 2009, *Discrete Choice Methods
with Simulation*, ch. 4) groups alternatives whose errors are correlated; a
new member of a nest takes share mostly from its own nest. Here the nests are
the store formats (physical, online, omnichannel: González-Benito 2005,
J. Business Research 58:457, on competition within and between retail
formats) and the outside option alone.

With nest ``k`` of dissimilarity ``lambda_k`` in (0, 1] (1: the nest's errors
are independent, plain logit) and the inclusive value
``I_k = lambda_k * log(sum_{j in k} exp(V_j / lambda_k))``,

    P(j) = exp(I_k) / sum_l exp(I_l)  x  exp(V_j / lambda_k) / sum_{m in k} exp(V_m / lambda_k).

:func:`nested_logit_draw` draws from it exactly: the nest by its probability
(a logit over the inclusive values), then the alternative within the nest (a
logit over ``V / lambda_k``), each by inverse-CDF sampling with one uniform per
row. This is the same distribution as a Gumbel-max over the inclusive values
followed by a Gumbel-max over ``V / lambda_k`` within the nest, with two random
numbers per shopper instead of one per alternative (the choice runs for every
shopper with a need, every day). ``-inf`` marks an unavailable alternative; a
nest with none available has ``I_k = -inf`` and is never chosen.
"""

from __future__ import annotations

import functools

import numpy as np


def _weights(
    utilities: np.ndarray, nest: np.ndarray, lambdas: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Within-nest weights ``exp(V/lambda - m)`` ``(n, J)``, their nest sums and inclusive values ``(n, K)``.

    ``m`` is each row's largest ``V / lambda`` (so no weight overflows; a nest more than
    ~700 below it has weight 0, a probability below 1e-300). Unavailable alternatives
    (``-inf``) weigh 0; a nest with none available has inclusive value ``-inf``.
    """
    scaled = utilities / lambdas[nest]
    top = _row_max(scaled)
    top = np.where(np.isfinite(top), top, 0.0)
    weight = np.exp(scaled - top)
    total = weight @ _membership(nest.tobytes(), nest.dtype.str, lambdas.size)
    with np.errstate(divide="ignore"):
        iv = lambdas[None, :] * (top + np.log(total))
    return weight, total, iv


def _row_max(x: np.ndarray) -> np.ndarray:
    """``np.max(x, axis=1, keepdims=True)`` of a 2-D array, the same values (NaN propagates).

    Numpy reduces a short last axis one row at a time; the columns of a transposed
    copy are reduced a whole row of shoppers at a time, several times faster.
    """
    out: np.ndarray = np.ascontiguousarray(x.T).max(axis=0)[:, None]
    return out


@functools.lru_cache(maxsize=16)
def _membership(nest: bytes, dtype: str, k: int) -> np.ndarray:
    """Which nest each column is in, ``(J, K)`` of 0.0/1.0 (read-only; one per nest structure)."""
    cols = np.frombuffer(nest, dtype=dtype)
    out: np.ndarray = (cols[:, None] == np.arange(k)[None, :]).astype(np.float64)
    out.flags.writeable = False
    return out


def _first_above(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row, the first column whose cumulative weight exceeds ``u`` x the row's total."""
    out: np.ndarray = (cumulative > u[:, None] * cumulative[:, -1:]).argmax(axis=1)
    return out


def nested_logit_draw(
    rng: np.random.Generator, utilities: np.ndarray, nest: np.ndarray, lambdas: np.ndarray
) -> np.ndarray:
    """Draw one alternative per row from the nested logit, exactly.

    ``utilities`` is ``(n, J)`` (``-inf``: unavailable), ``nest`` ``(J,)`` the nest of
    each column (0..K-1), ``lambdas`` ``(K,)`` the dissimilarities. First the nest, with
    probabilities ``exp(I_k) / sum_l exp(I_l)`` over the inclusive values, then the
    alternative within it, with probabilities ``exp(V_j / lambda_k)`` normalised over the
    nest; each by inverting its cumulative distribution with one uniform draw per row
    (two uniforms per row in all: the same distribution as the two Gumbel-max draws of
    the module docstring, at a fraction of the random numbers). Each row must have an
    available alternative. Columns of weight 0 in every row (alternatives nobody has
    today) add nothing to any cumulative weight and are left out of the second step
    (the first column stays, the fallback of a row whose cumulative never exceeds).
    """
    weight, _, iv = _weights(utilities, nest, lambdas)
    n = utilities.shape[0]
    u_nest = rng.random((n,))  # the same stream as one draw of (2, n); row by row per town in a batch
    u_alt = rng.random((n,))
    p_nest = np.exp(iv - _row_max(iv))
    chosen = _first_above(p_nest.cumsum(axis=1), u_nest)
    some = weight.any(axis=0)
    some[0] = True
    live = np.flatnonzero(some)
    inside = np.where(nest.take(live)[None, :] == chosen[:, None], weight[:, live], 0.0)
    out: np.ndarray = live.take(_first_above(inside.cumsum(axis=1), u_alt))
    return out


def nested_logit_probabilities(utilities: np.ndarray, nest: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Closed-form nested-logit probabilities per row, ``(n, J)`` (for analysis and tests)."""
    weight, total, iv = _weights(utilities, nest, lambdas)
    e = np.exp(iv - _row_max(iv))
    p_nest = e / e.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(weight > 0.0, weight / total[:, nest], 0.0)
    out: np.ndarray = p_nest[:, nest] * within
    return out
