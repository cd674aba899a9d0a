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

:func:`nested_logit_draw` draws from it exactly: a Gumbel-max over the inclusive values
picks the nest, then a Gumbel-max over ``V / lambda_k`` within it picks the
alternative. ``-inf`` marks an unavailable alternative; a nest with none
available has ``I_k = -inf`` and is never chosen.
"""

from __future__ import annotations

import numpy as np


def _inclusive_values(
    utilities: np.ndarray, nest: np.ndarray, lambdas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Utilities scaled by their nest's lambda ``(n, J)`` and the inclusive values ``(n, K)``."""
    lam = lambdas[nest]
    scaled = utilities / lam
    K = lambdas.size
    iv = np.full((utilities.shape[0], K), -np.inf)
    for k in range(K):
        cols = np.flatnonzero(nest == k)
        if cols.size == 0:
            continue
        part = scaled[:, cols]
        top = np.max(part, axis=1)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            total = np.log(np.exp(part - safe[:, None]).sum(axis=1))
        iv[:, k] = lambdas[k] * (safe + total)
    return scaled, iv


def nested_logit_draw(
    rng: np.random.Generator, utilities: np.ndarray, nest: np.ndarray, lambdas: np.ndarray
) -> np.ndarray:
    """Draw one alternative per row from the nested logit (exact, by two Gumbel-max draws).

    ``utilities`` is ``(n, J)`` (``-inf``: unavailable), ``nest`` ``(J,)`` the nest of
    each column (0..K-1), ``lambdas`` ``(K,)`` the dissimilarities. The nest is the argmax
    of inclusive value plus standard Gumbel noise (its logit over the inclusive values);
    the alternative is the argmax of ``V / lambda_k`` plus Gumbel noise among the columns
    of that nest (the within-nest logit). Each row must have an available alternative.
    """
    scaled, iv = _inclusive_values(utilities, nest, lambdas)
    chosen_nest = np.argmax(iv + rng.gumbel(size=iv.shape), axis=1)
    inner = scaled + rng.gumbel(size=scaled.shape)
    inner[nest[None, :] != chosen_nest[:, None]] = -np.inf
    out: np.ndarray = np.argmax(inner, axis=1)
    return out


def nested_logit_probabilities(utilities: np.ndarray, nest: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Closed-form nested-logit probabilities per row, ``(n, J)`` (for analysis and tests)."""
    scaled, iv = _inclusive_values(utilities, nest, lambdas)
    top = np.max(iv, axis=1, keepdims=True)
    e = np.exp(iv - top)
    p_nest = e / e.sum(axis=1, keepdims=True)
    own_iv = iv[:, nest] / lambdas[nest]
    with np.errstate(invalid="ignore"):
        within = np.exp(scaled - own_iv)
    within = np.where(np.isfinite(scaled), within, 0.0)
    out: np.ndarray = p_nest[:, nest] * within
    return out
