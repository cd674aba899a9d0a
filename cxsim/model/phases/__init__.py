"""The day's phases, in the order of the schedule, over one :class:`DayState`.

:meth:`cxsim.model.cxmodel.CXModel.simulate_day` calls them in order (one module each,
beside this one):

1. :func:`calendar`: the day's conditions, events taking effect, stores opening the day;
2. :func:`needs`: memories fade overnight; promotions pull needs forward; who needs something;
3. :func:`research`: the research channel, reviews read online, store visits (beliefs updated);
4. :func:`choice`: the choice of store and fulfilment (or postponing);
5. :func:`fulfilment`: crowding, late deliveries, product fit, returns, after-sales needs;
6. :func:`experience`: the experience, satisfaction, beliefs, loyalty, familiarity, avoidance;
7. :func:`sharing`: NPS answers, reviews, word of mouth (beliefs of hearers); then the shopper's
   records and next need
   (the day's purchases become ``model.today``);
8. :func:`stores`: the stores' books, closures and strategy reviews;
9. :func:`collection`: the day's numbers and the data collector.

Each phase reads and writes the model's state (shoppers' arrays, stores) and
the day state; the behavioural rules are the functions of :mod:`cxsim.rules`
they call. Random numbers are drawn in this order, phase by phase, so that a
seed gives the same run.
"""

from typing import Any

from cxsim.core.threads import one_blas_thread
from cxsim.model.phases.books import collection, stores
from cxsim.model.phases.calendar import calendar, needs
from cxsim.model.phases.choice import choice
from cxsim.model.phases.experience import experience
from cxsim.model.phases.fulfilment import fulfilment
from cxsim.model.phases.research import research
from cxsim.model.phases.sharing import sharing
from cxsim.model.phases.state import DayState

__all__ = [
    "DayState",
    "calendar",
    "choice",
    "collection",
    "experience",
    "fulfilment",
    "needs",
    "research",
    "sharing",
    "simulate_day",
    "stores",
]


def simulate_day(m: Any, day: int, warm: bool = False) -> None:
    """The day's phases, in the order of the schedule, over one day state.

    ``m`` is a :class:`~cxsim.model.cxmodel.CXModel` (one town) or an
    :class:`~cxsim.model.ensemble.Ensemble` (towns stacked in shared arrays): the
    same phases serve both. A warm-up day (``warm``) has no calendar and books and
    records nothing.
    """
    d = DayState(day, warm)
    with one_blas_thread():  # the day's one matrix product: no threads waiting on each other
        calendar(m, d)
        needs(m, d)
        research(m, d)
        choice(m, d)
        fulfilment(m, d)
        experience(m, d)
        sharing(m, d)
        stores(m, d)
        collection(m, d)
