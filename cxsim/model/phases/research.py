"""Phase 3 of the day: research (channel, reviews read, store visits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cxsim.model import learning
from cxsim.model.phases.state import DayState
from cxsim.rules import (
    choice as choice_rules,
)
from cxsim.rules import (
    experience as experience_rules,
)
from cxsim.rules import (
    research as research_rules,
)
from cxsim.rules.arrays import row_max, row_min

if TYPE_CHECKING:
    from cxsim.model.phases.state import DayModel


# ------------------------------------------------------------------------- 3. research


def research(m: DayModel, d: DayState) -> None:
    """Each shopper with a need picks a research channel and researches.

    Online research reads reviews of every store; a visit to a store meets its
    service and shows its environment. Both update the shopper's beliefs.
    """
    if not d.shopping:
        return
    a, c, st, who, t, town = m.shoppers, m.spec.behaviour.research, d.stores, d.who, m.towns, d.town
    d.avoided = a.avoid_until.take(who, axis=0) > d.day
    open_ok = t.rows(st.is_open, town) & ~d.avoided
    walk_ok = open_ok & t.rows(d.walk_open, town)
    dist, loyal = a.dist_km.take(who, axis=0), a.loyalty.take(who, axis=0)
    u = research_rules.research_utilities(
        max_loyalty=row_max(np.where(open_ok, loyal, 0.0)),
        savvy=a.savvy.take(who),
        recreational=a.recreational.take(who),
        habit=a.habit.take(who),
        nearest_store_km=row_min(np.where(walk_ok, dist, np.inf)),
        touch_feel=m.spec.category.touch_feel,
        visit_allowed=_visit_allowed(m, d),
        c=c,
    )
    d.channel = research_rules.choose_channel(t.draws(town), u)
    back = _returning(m, d, walk_ok)
    d.channel[back >= 0] = research_rules.VISIT
    learning.read_reviews(m, who[d.channel == research_rules.ONLINE])
    d.visited = np.full(who.size, -1, dtype=np.int32)
    d.encounter = np.full(who.size, np.nan)
    goers = np.flatnonzero(d.channel == research_rules.VISIT)
    if goers.size:
        goer_town = None if town is None else town.take(goers)
        vu = research_rules.visit_utilities(
            dist.take(goers, axis=0),
            loyal.take(goers, axis=0),
            t.rows(st.atmosphere, goer_town),
            walk_ok.take(goers, axis=0),
            c,
        )
        rng = t.draws(goer_town)
        chosen = choice_rules.gumbel_argmax(rng, vu)
        back_goers = back.take(goers)
        v = np.where(back_goers >= 0, back_goers, chosen).astype(np.int32)  # as stored in d.visited
        d.visited[goers] = v
        noise = m.spec.behaviour.experience.service_noise
        at = t.flat(goer_town, v)
        d.encounter[goers] = experience_rules.realized_service(
            rng, st.service.take(at), st.consistency.take(at), noise
        )
        learning.learn_from_visit(m, st, who.take(goers), v, at, d.encounter.take(goers))
        d.visits = np.bincount(at, minlength=len(m.stores))
    else:
        d.visits = np.zeros(len(m.stores), dtype=np.int64)


def _visit_allowed(m: DayModel, d: DayState) -> bool | np.ndarray:
    """Whether any shop floor takes visits today: one answer per town, per row in a batch."""
    if d.town is None:
        return bool(d.walk_open.any())
    out: np.ndarray = d.walk_open.reshape(m.towns.B, m.towns.S).any(axis=1).take(d.town)
    return out


def _returning(m: DayModel, d: DayState, walk_ok: np.ndarray) -> np.ndarray:
    """The store each of today's shoppers stands in after returning a purchase over its counter, -1 if none.

    A shopper whose need re-opened after a return over a store's counter starts
    its new occasion with a visit there (cross-channel returns bring store
    traffic: Bell, Gallino and Moreno 2014, MIT Sloan Mgmt Review 56:45), if
    the store's floor is open to it today. The record is used once.
    """
    a, who = m.shoppers, d.who
    back: np.ndarray = a.return_store.take(who).astype(np.int64)
    a.return_store[who] = -1
    rows = np.flatnonzero(back >= 0)
    if rows.size:
        back[rows[~walk_ok[rows, back[rows]]]] = -1
    return back
