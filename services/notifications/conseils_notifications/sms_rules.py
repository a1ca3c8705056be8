"""The rules of the SMS channel, plain Python: quiet hours, phone numbers (normalised to E.164,
masked in logs, looked up by a keyed hash), STOP answers, who may be sent an SMS, and the
signatures of the short links and delivery-report addresses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from conseils_runtime.errors import DomainError, constant_time_equal

# --------------------------------------------------------------------------- quiet hours


@dataclass(frozen=True)
class QuietHours:
    """No SMS from `start` to `end` (local time), nor on `days_off` (0 = Monday ... 6 = Sunday).
    Default: 20:30-08:00 and Sundays, Europe/Paris."""

    start: time = time(20, 30)
    end: time = time(8, 0)
    days_off: frozenset[int] = frozenset({6})
    timezone: str = "Europe/Paris"

    def quiet_at(self, local: datetime) -> bool:
        if local.weekday() in self.days_off:
            return True
        moment = local.time()
        if self.start == self.end:
            return False
        if self.start > self.end:  # across midnight
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end

    def next_allowed(self, now: datetime) -> datetime | None:
        """None when an SMS may leave now; else the first moment it may (UTC): deferred, not dropped."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        if not self.quiet_at(local):
            return None
        for days in range(9):  # the first end of a quiet window ahead that is not a day off
            candidate = datetime.combine(local.date() + timedelta(days=days), self.end, zone)
            if candidate > local and not self.quiet_at(candidate):
                return candidate.astimezone(UTC)
        raise DomainError("Heures calmes sans fin : vérifiez le fichier du territoire.")


# --------------------------------------------------------------------------- phone numbers

_SEPARATORS = re.compile(r"[ .()\-\u00a0]")


def normalise_phone(raw: str, country_code: str = "33") -> str:
    """E.164 (`+33639980000`) of a French or international number; DomainError when invalid.
    '06 39 98 00 00', '+33 6 39 98 00 00', '0033639980000' are the same number."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("0") and len(digits) == 10:
        digits = f"+{country_code}{digits[1:]}"
    elif digits.startswith(country_code) and len(digits) == len(country_code) + 9:
        digits = "+" + digits
    if not re.fullmatch(r"\+[1-9][0-9]{7,14}", digits):
        raise DomainError("Numéro de téléphone invalide.", code="numero_invalide", status_code=400)
    return digits


def mask_phone(raw: str | None) -> str:
    """What a log may show of a number: `+33 6•• •• •• 78`-like, never the whole."""
    if not raw:
        return "<aucun>"
    digits = re.sub(r"\D", "", raw)
    return f"…{digits[-2:]}" if len(digits) >= 4 else "…"


def phone_key(secret: str, raw: str) -> str:
    """A keyed hash of the normalised number: how an answer (STOP) finds its sender without
    an index of phone numbers."""
    number = normalise_phone(raw)
    return hmac.new(secret.encode(), f"sms-phone:{number}".encode(), hashlib.sha256).hexdigest()[:40]


# --------------------------------------------------------------------------- answers

STOP_WORDS: Final = frozenset({"stop", "arret", "arreter", "desabonner", "desinscrire", "unsubscribe"})
START_WORDS: Final = frozenset({"start", "unstop"})


def _bare(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def is_stop(text: str) -> bool:
    """'STOP', 'Stop.', 'stop sms', 'ARRÊT' ...: the first word of the answer decides."""
    words = re.findall(r"[a-z]+", _bare(text))
    return bool(words) and words[0] in STOP_WORDS


def is_start(text: str) -> bool:
    words = re.findall(r"[a-z]+", _bare(text))
    return bool(words) and words[0] in START_WORDS


STOP_REPLY = "Conseils citoyens : vous ne recevrez plus de SMS. Pour les réactiver : répondez START."
START_REPLY = "Conseils citoyens : les SMS sont réactivés. Répondez STOP pour les arrêter."


# --------------------------------------------------------------------------- who may get one


@dataclass(frozen=True)
class SmsStanding:
    """What the SMS channel knows of a person beyond her card: her STOP."""

    opted_out_at: datetime | None = None


def may_text(standing: SmsStanding, *, has_phone: bool, consented: bool) -> str | None:
    """None when an SMS may go to her; else why not (French, for the delivery log): she
    consented on her card (registry), has a number and never answered STOP."""
    if not consented:
        return "pas de consentement"
    if not has_phone:
        return "pas de numéro de téléphone"
    if standing.opted_out_at is not None:
        return "la personne a répondu STOP"
    return None


# --------------------------------------------------------------------------- signatures


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(secret: str, purpose: str, data: bytes, size: int) -> bytes:
    return hmac.new(secret.encode(), purpose.encode() + b":" + data, hashlib.sha256).digest()[:size]


def short_link_token(secret: str, instance_id: UUID) -> str:
    """30 characters: the instance (16 bytes) and 6 bytes of signature."""
    return _b64(instance_id.bytes + _mac(secret, "sms-link", instance_id.bytes, 6))


def read_short_link(secret: str, token: str) -> UUID:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 22 or not constant_time_equal(raw[16:], _mac(secret, "sms-link", raw[:16], 6)):
        raise DomainError("Lien invalide.", code="lien_invalide", status_code=404)
    return UUID(bytes=raw[:16])


def report_signature(secret: str, delivery_id: UUID) -> str:
    """Signs the delivery-report address of one delivery (the gateway calls it back)."""
    return _b64(_mac(secret, "sms-dlr", delivery_id.bytes, 12))


def check_report_signature(secret: str, delivery_id: UUID, signature: str) -> None:
    if not constant_time_equal(report_signature(secret, delivery_id), signature):
        raise DomainError("Accusé de réception refusé.", code="signature_invalide", status_code=403)
