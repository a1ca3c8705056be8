"""The registry's facts as another service keeps them: one temporal read model, written once.

The meetings and notifications services both need to know, from registry
events only, which councils exist, who is a member of which council and who
is referent of which theme -- today and on any past date. A bilan a year
later asks "who was the Emploi referent of Franc-Moisin on 12 April?", not
"who is it now?".

`registry_view_tables(metadata)` defines the same tables in each service's
database; `RegistryView.apply` is the only code that writes them, called by
the live consumers and by the replay alike. Two kinds of table:

- current state (`councils`, `members`): one row per council or member, each
  with the instant (`as_of`, the event's `ce_time`) of the newest fact applied.
  An older fact arriving late never overwrites a newer one.
- history (`member_periods`, `referent_terms`, `council` dates): validity
  intervals ``[since, until)`` in the territory's calendar dates. Every fact
  carries its own date (joined_on, left_on, since, until, dissolved_on), so
  the intervals converge whatever the order the facts arrive in, and applying
  a fact twice changes nothing.

A member who left on D is not a member on D; a referent withdrawn on D is not
referent on D (her successor, designated on D, is).

Only pseudonymous ids are held (no names or contacts). An erased member's
periods stay, as ids, so past figures keep counting her; her current row is
marked erased and she is never concerned again.

The parts: :mod:`.tables` (the tables), :mod:`.view` (`RegistryView`: `apply` and the
queries) and :mod:`.history` (`RegistryHistory`, the intervals in memory, and `covers`).
"""

from conseils_runtime.registry_view.history import RegistryHistory, covers
from conseils_runtime.registry_view.rules import UNKNOWN_START
from conseils_runtime.registry_view.tables import RegistryViewTables, registry_view_tables
from conseils_runtime.registry_view.view import REGISTRY_VIEW_EVENTS, RegistryView

__all__ = [
    "REGISTRY_VIEW_EVENTS",
    "UNKNOWN_START",
    "RegistryHistory",
    "RegistryView",
    "RegistryViewTables",
    "covers",
    "registry_view_tables",
]
