"""Settings of the SMS channel: the Kannel gateway (env prefix `CONSEILS_NOTIFICATIONS_SMS_`)
and the territory's SMS rules (quiet hours, sender name), read from the territory file's
`notifications.sms` section when it has one, else the defaults below."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from conseils_notifications.sms_rules import QuietHours
from conseils_runtime.territory import TerritoryConfig

DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class SmsSettings(BaseSettings):
    """Where Kannel's `sendsms` interface is, and where it calls us back (delivery reports)."""

    model_config = SettingsConfigDict(
        env_prefix="CONSEILS_NOTIFICATIONS_SMS_", env_file=".env", extra="ignore"
    )

    sendsms_url: str = Field(
        default="",
        description="Kannel smsbox sendsms address, e.g. http://127.0.0.1:13013/cgi-bin/sendsms; "
        "empty: SMS are only logged (no gateway).",
    )
    username: str = ""
    password: str = ""
    smsc_id: str = Field(default="", description="Kannel smsc-id to route through (empty: any).")
    callback_base_url: str = Field(
        default="http://127.0.0.1:8103",
        description="How Kannel reaches this service for delivery reports (dlr-url).",
    )
    mo_token: str = Field(
        default="", description="Secret in the get-url of Kannel's sms-service (answers such as STOP)."
    )
    timeout_seconds: float = Field(default=10.0, gt=0)
    country_code: str = Field(default="33", pattern=r"^[1-9][0-9]{0,2}$")


class SmsRules(BaseModel):
    """`notifications.sms` in a territory file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender: str = Field(default="Conseils", max_length=11, description="Expéditeur alphanumérique.")
    quiet_from: time = time(20, 30)
    quiet_until: time = time(8, 0)
    quiet_days: list[str] = ["dimanche"]

    @field_validator("quiet_days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        unknown = [day for day in value if day not in DAY_NAMES]
        if unknown:
            raise ValueError(f"jour inconnu : {', '.join(unknown)}")
        return value

    def quiet_hours(self, timezone: str) -> QuietHours:
        return QuietHours(
            start=self.quiet_from,
            end=self.quiet_until,
            days_off=frozenset(DAY_NAMES.index(day) for day in self.quiet_days),
            timezone=timezone,
        )


def territory_sms_rules(territory: TerritoryConfig) -> SmsRules:
    """The territory's SMS rules (defaults until its file says otherwise)."""
    section: Any = getattr(territory.notifications, "sms", None)
    if section is None:
        return SmsRules()
    if isinstance(section, SmsRules):
        return section
    data = section.model_dump() if isinstance(section, BaseModel) else section
    return SmsRules.model_validate(data)
