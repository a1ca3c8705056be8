"""Use cases of the registry: one transaction each, the state change and its
outbox events together.

Events carry ids and roles only; a contact card goes to the compacted
contacts topic, and erasure publishes `MemberErased` plus a tombstone there.

`RegistryService` is composed of one module per seam over `RegistryCore`
(use_cases.py: dependencies, units of work, shared steps): territory.py
(reference data), councils.py, members.py (and the CSV), referents.py, substitutes.py,
directory.py (projection.py applies its events), community.py (the councils as
every councillor sees them, a member's name shown or not), privacy.py (erasure,
access), retention.py (erasure requests, erasure after the retention period),
staff.py. Their input commands are in commands.py.
"""

from __future__ import annotations

from conseils_registry.commands import (
    ContactInput,
    CouncilChange,
    CouncilCreate,
    DirectoryEntryInput,
    MemberChange,
    MemberJoin,
    StaffAccountInput,
)
from conseils_registry.community import Community
from conseils_registry.councils import Councils
from conseils_registry.directory import Directory
from conseils_registry.members import Members
from conseils_registry.privacy import Privacy
from conseils_registry.referents import Referents
from conseils_registry.retention import Retention
from conseils_registry.staff import StaffAccounts
from conseils_registry.substitutes import Substitutes
from conseils_registry.territory import Territory
from conseils_registry.use_cases import (
    Clock,
    RegistryCore,
    Unit,
    contact_card,
    council_updated_event,
    utc_now,
)

__all__ = [
    "Clock",
    "ContactInput",
    "CouncilChange",
    "CouncilCreate",
    "DirectoryEntryInput",
    "MemberChange",
    "MemberJoin",
    "RegistryCore",
    "RegistryService",
    "StaffAccountInput",
    "Unit",
    "contact_card",
    "council_updated_event",
    "utc_now",
]


class RegistryService(
    Territory,
    Councils,
    Members,
    Referents,
    Substitutes,
    Directory,
    Community,
    Retention,
    Privacy,
    StaffAccounts,
):
    """The registry's use cases, one module per seam; what they share is in use_cases.py."""
