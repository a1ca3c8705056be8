"""The territory file's rules for lifting the barriers to attending (issue 19): the lead time of
each need a councillor may declare when she registers (`needs:`), and what her costs may be
repaid (`claims:`). Both sections are optional; the defaults are those of the demo territory."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conseils_schemas.events.attending import ClaimKind, NeedKind

NEED_KINDS: tuple[NeedKind, ...] = (
    "childcare",
    "sign_language",
    "interpreting",
    "hearing_loop",
    "step_free",
    "transport",
    "other",
)

CLAIM_KINDS: tuple[ClaimKind, ...] = ("childcare", "transport")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NeedLeadDays(_Strict):
    """How many days before the instance each need must be booked (an interpreter is booked
    further ahead than a hearing loop)."""

    childcare: int = Field(default=7, ge=0, le=90)
    sign_language: int = Field(default=14, ge=0, le=90)
    interpreting: int = Field(default=14, ge=0, le=90)
    hearing_loop: int = Field(default=7, ge=0, le=90)
    step_free: int = Field(default=7, ge=0, le=90)
    transport: int = Field(default=5, ge=0, le=90)
    other: int = Field(default=7, ge=0, le=90)

    def of(self, kind: str) -> int:
        days: int = getattr(self, kind)
        return days


class NeedsSettings(_Strict):
    lead_days: NeedLeadDays = NeedLeadDays()
    keep_days_after_instance: int = Field(
        default=30, ge=1, le=365, description="Les besoins déclarés sont effacés ce nombre de jours après."
    )


class ClaimCaps(_Strict):
    """Ceilings in euros: per hour of childcare, and per instance for each kind."""

    childcare_per_hour: Decimal = Field(default=Decimal("18.00"), ge=0, le=1000)
    childcare_per_instance: Decimal = Field(default=Decimal("90.00"), ge=0, le=10000)
    transport_per_instance: Decimal = Field(default=Decimal("30.00"), ge=0, le=10000)

    def per_instance(self, kind: str) -> Decimal:
        return self.childcare_per_instance if kind == "childcare" else self.transport_per_instance


class ClaimsSettings(_Strict):
    """Cost claims after an instance she attended: what is eligible, the ceilings, who decides."""

    eligible: list[ClaimKind] = list(CLAIM_KINDS)
    caps: ClaimCaps = ClaimCaps()
    approved_by: str = Field(
        default="L'équipe politique de la ville du territoire",
        min_length=2,
        max_length=200,
        description="Qui approuve les demandes (affiché aux conseillers) ; tout compte « staff » décide.",
    )
    window_days: int = Field(default=60, ge=1, le=366, description="Délai pour demander, après l'instance.")
    max_receipt_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)

    @model_validator(mode="after")
    def _unique(self) -> ClaimsSettings:
        if len(set(self.eligible)) != len(self.eligible):
            raise ValueError("claims.eligible : types en double")
        return self
