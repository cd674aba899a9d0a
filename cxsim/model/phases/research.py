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
    from cxsim.model.cxmodel import CXModel


# ------------------------------------------------------------------------- 3. research


def research(m: CXModel, d: DayState) -> None:
    """Each shopper with a need picks a research channel and researches.

    Online research reads reviews of every store; a visit to a store meets its
    service and shows its environment. Both update the shopper's beliefs.
    """
    if not d.shopping:
        return
    a, c, st, who = m.shoppers, m.spec.behaviour.research, d.stores, d.who
    d.avoided = a.avoid_until.take(who, axis=0) > d.day
    open_ok = st.is_open[None, :] & ~d.avoided
    walk_ok = open_ok & d.walk_open
    dist, loyal = a.dist_km.take(who, axis=0), a.loyalty.take(who, axis=0)
    u = research_rules.research_utilities(
        max_loyalty=row_max(np.where(open_ok, loyal, 0.0)),
        savvy=a.savvy.take(who),
        recreational=a.recreational.take(who),
        habit=a.habit.take(who),
        nearest_store_km=row_min(np.where(walk_ok, dist, np.inf)),
        touch_feel=m.spec.category.touch_feel,
        visit_allowed=bool(d.walk_open.any()),
        c=c,
    )
    d.channel = research_rules.choose_channel(m.rng, u)
    back = _returning(m, d, walk_ok)
    d.channel[back >= 0] = research_rules.VISIT
    learning.read_reviews(m, who[d.channel == research_rules.ONLINE])
    d.visited = np.full(who.size, -1, dtype=np.int32)
    d.encounter = np.full(who.size, np.nan)
    goers = np.flatnonzero(d.channel == research_rules.VISIT)
    if goers.size:
        vu = research_rules.visit_utilities(
            dist.take(goers, axis=0), loyal.take(goers, axis=0), st.atmosphere, walk_ok.take(goers, axis=0), c
        )
        chosen = choice_rules.gumbel_argmax(m.rng, vu)
        back_goers = back.take(goers)
        v = np.where(back_goers >= 0, back_goers, chosen).astype(np.int32)  # as stored in d.visited
        d.visited[goers] = v
        noise = m.spec.behaviour.experience.service_noise
        d.encounter[goers] = experience_rules.realized_service(
            m.rng, st.service.take(v), st.consistency.take(v), noise
        )
        learning.learn_from_visit(m, st, who.take(goers), v, d.encounter.take(goers))
        d.visits = np.bincount(v, minlength=len(m.stores))
    else:
        d.visits = np.zeros(len(m.stores), dtype=np.int64)


def _returning(m: CXModel, d: DayState, walk_ok: np.ndarray) -> np.ndarray:
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
