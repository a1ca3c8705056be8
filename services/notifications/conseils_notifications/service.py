"""Use cases of the notifications service. Each runs in one unit of work: read models,
deliveries, reminders and outbox events change together.

`NotificationsService` is composed of one mixin per seam over `NotificationsCore`
(use_cases.py: dependencies and shared steps): read_model.py (contacts copy, registry facts,
instances copy), invitations.py (who must hear about what), reminders.py, digest.py,
alerts.py (staff alerts), deliveries.py (sending steps, inbox, delivery log), feeds.py
(calendar feeds and their tokens), preferences.py (preferences, unsubscribe), webhooks.py
(outgoing webhooks: endpoints, their messages and the outcome of each attempt), sms.py (SMS
answers, delivery reports), representation.py (the referents' substitutes, invited when
the referent cancels; the rotation turns).
"""

from __future__ import annotations

from conseils_notifications.alerts import Alerts
from conseils_notifications.deliveries import Deliveries, LoggedDelivery
from conseils_notifications.digest import Digest
from conseils_notifications.feeds import Feeds
from conseils_notifications.invitations import Invitations
from conseils_notifications.personal_data import PersonalData
from conseils_notifications.preferences import PreferencesOfMembers
from conseils_notifications.read_model import ReadModel
from conseils_notifications.reminders import Reminders
from conseils_notifications.representation import Representation
from conseils_notifications.sms import SmsMessages
from conseils_notifications.use_cases import Clock, NotificationsCore, Unit, system_clock
from conseils_notifications.webhooks import Webhooks

__all__ = [
    "Clock",
    "LoggedDelivery",
    "NotificationsCore",
    "NotificationsService",
    "Unit",
    "system_clock",
]


class NotificationsService(
    ReadModel,
    Invitations,
    Reminders,
    Digest,
    Alerts,
    Deliveries,
    Feeds,
    PreferencesOfMembers,
    PersonalData,
    Webhooks,
    SmsMessages,
    Representation,
):
    """What happens when an event arrives, a reminder falls due, a delivery is sent, or a
    member or staff asks: one module per seam, what they share in use_cases.py."""
