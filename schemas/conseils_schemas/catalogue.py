"""The event catalogue for integrators, generated from the models.

``python -m conseils_schemas.catalogue [--check] [--out FILE]``

This module owns ``docs/events/catalogue.md``: one Markdown page listing every
topic, every event type with its partition key and a field table taken from the
model's JSON Schema, the CloudEvents headers, the dead-letter header contract,
the tombstone rule of the compacted contacts topic and the versioning rules.
Headings are in English with short French glosses for domain words. With
``--check`` nothing is written: it exits 1 when the committed page is stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from . import topics
from .envelope import (
    CONTENT_TYPE_HEADER,
    CORRELATION_ID_HEADER,
    DATASCHEMA_HEADER,
    ID_HEADER,
    SOURCE_HEADER,
    SPECVERSION_HEADER,
    SUBJECT_HEADER,
    TIME_HEADER,
    TYPE_HEADER,
)
from .events import Event, representation, voice
from .jsonschema import event_schema, schema_filename
from .registry import EVENT_TYPES, event_types_for_topic
from .topics import ALL_TOPICS, COMPACTED_TOPICS, REGISTRY_MEMBER_CONTACTS, dlq_topic, topic_name

__all__ = [
    "DEFAULT_OUT",
    "DLQ_HEADERS",
    "check",
    "main",
    "render_catalogue",
    "write",
]

DEFAULT_OUT: Final = Path(__file__).resolve().parents[2] / "docs" / "events" / "catalogue.md"
_EXAMPLE_TERRITORY: Final = "plaine-commune"
_SCHEMA_LINK: Final = "../../schemas/jsonschema/"

TOPIC_GLOSSES_FR: Final[dict[str, str]] = {
    "registry.councils": "conseils citoyens et référents thématiques",
    "registry.members": "conseillers citoyens (identifiants et rôles)",
    "registry.member-contacts": "coordonnées des conseillers (topic compacté)",
    "meetings.instances": "instances, dossiers, comptes rendus, émargement",
    "meetings.registrations": "inscriptions aux instances",
    "notifications.deliveries": "envois de notifications",
    "alerts.staff": "alertes pour les techniciens",
    "meetings.outcomes": "propositions des conseils et engagements des élus, et leur suivi",
    "registry.directory": "annuaire des partenaires, dispositifs et lieux",
} | voice.GLOSSES_FR
"""Short French gloss of each base topic (a topic without gloss is shown without)."""

EVENT_GLOSSES_FR: Final[dict[str, str]] = {
    "CouncilRegistered": "conseil citoyen créé",
    "CouncilUpdated": "conseil citoyen modifié",
    "CouncilDissolved": "conseil citoyen dissous",
    "ReferentDesignated": "référent thématique désigné",
    "ReferentWithdrawn": "référent thématique retiré",
    "ThemeLeftWithoutReferent": "thématique sans référent",
    "MemberJoined": "conseiller entré au conseil",
    "MemberUpdated": "conseiller modifié",
    "MemberLeft": "conseiller sorti du conseil",
    "MemberErased": "conseiller effacé (droit à l'effacement)",
    "MemberContactCard": "fiche de coordonnées",
    "MemberContactCardV2": "fiche de coordonnées, courriel facultatif (joignable par SMS)",
    "InstanceScheduled": "instance programmée",
    "InstanceRescheduled": "instance déplacée",
    "InstanceCancelled": "instance annulée",
    "InstanceHeld": "instance tenue",
    "DossierPublished": "dossier publié",
    "MinutesPublished": "compte rendu publié",
    "AttendanceRecorded": "émargement enregistré",
    "RegistrationConfirmed": "inscription confirmée",
    "RegistrationWaitlisted": "inscription en liste d'attente",
    "RegistrationPromoted": "inscription sortie de la liste d'attente",
    "RegistrationCancelled": "inscription annulée",
    "NotificationSent": "notification envoyée",
    "NotificationFailed": "notification en échec",
    "StaffAlertRaised": "alerte levée pour les techniciens",
    "OutcomeRecorded": "proposition ou engagement enregistré",
    "OutcomeStatusChanged": "suivi d'une proposition ou d'un engagement",
    "DirectoryEntrySaved": "fiche de l'annuaire enregistrée",
    "DirectoryEntryRemoved": "fiche de l'annuaire supprimée",
} | {**voice.GLOSSES_FR, **representation.GLOSSES_FR}
"""Short French gloss of each event model (an event without gloss is shown without)."""

_FIELD_NOTES: Final[dict[str, str]] = {
    "council_id": "Id of the council (conseil citoyen).",
    "member_id": "Id of the councillor (conseiller citoyen); never their name.",
    "instance_id": "Id of the instance (réunion d'une instance de gouvernance).",
    "registration_id": "Id of the registration (inscription).",
    "delivery_id": "Id of the notification delivery (envoi).",
    "alert_id": "Id of the alert.",
    "territory": "Territory slug (territoire), e.g. 'plaine-commune'.",
    "theme": "Theme slug (thématique) from the territory file.",
    "themes_followed": "Theme slugs (thématiques) the councillor follows.",
    "college": "College (collège): residents (habitants) or local actors (acteurs locaux).",
    "mode": "How the councillor attends: participant or observer (observateur).",
    "starts_at": "Start, RFC 3339 with offset.",
    "ends_at": "End, RFC 3339 with offset; after starts_at.",
    "is_political": "Political body (instance politique): should be held in the evening.",
    "is_evening": "Starts in the evening, as the councils asked.",
    "policy_warnings": "Rules of the territory policy this instance breaks (French texts).",
    "reason": "Free text; never names a private person.",
    "summary": "Free text; never names a private person.",
}
"""Fallback descriptions for fields whose model gives none."""

DLQ_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    (topics.DLQ_ORIGIN_TOPIC, "Topic the record was read from (replay target)."),
    (topics.DLQ_ORIGIN_PARTITION, "Its partition (decimal)."),
    (topics.DLQ_ORIGIN_OFFSET, "Its offset (decimal)."),
    (topics.DLQ_CONSUMER_GROUP, "Consumer group that gave up, `<territory>.<service>.<consumer>`."),
    (
        topics.DLQ_ERROR,
        "Why (at most 2,000 characters): invalid envelope, invalid payload, unsupported version,"
        " or the handler's last error.",
    ),
    (topics.DLQ_ATTEMPTS, "Attempts made (1 for invalid records, `max_attempts` for a failing handler)."),
    (topics.DLQ_FAILED_AT, "When it was dead-lettered (ISO 8601, UTC)."),
    (
        topics.DLQ_TRUNCATED,
        "`true` when the dead letter was cut to fit in a broker record (absent otherwise).",
    ),
    (topics.DLQ_ORIGINAL_SIZE, "Size in bytes of the original value (truncated letters only)."),
    (topics.DLQ_ORIGINAL_SHA256, "SHA-256 (hex) of the original value (truncated letters only)."),
)
"""Headers the services add to a dead-lettered record (the runtime writes them)."""

_ENVELOPE: Final[tuple[tuple[str, str, str, str], ...]] = (
    (SPECVERSION_HEADER, "specversion", "yes", "Always `1.0`."),
    (ID_HEADER, "id", "yes", "Unique per event (UUID). **Deduplicate on it.**"),
    (
        SOURCE_HEADER,
        "source",
        "yes",
        f"`/conseils/<territory>/<service>`, e.g. `/conseils/{_EXAMPLE_TERRITORY}/meetings`.",
    ),
    (
        TYPE_HEADER,
        "type",
        "yes",
        "Event type with its version, e.g. `fr.conseils.meetings.instance.scheduled.v1`.",
    ),
    (TIME_HEADER, "time", "yes", "RFC 3339 in UTC, e.g. `2025-03-11T17:30:00Z`."),
    (SUBJECT_HEADER, "subject", "no", "The aggregate id (same as the Kafka key)."),
    (
        CORRELATION_ID_HEADER,
        "correlationid (extension)",
        "yes",
        "Copied from the event that caused this one: follow a chain across services.",
    ),
    (DATASCHEMA_HEADER, "dataschema", "no", "`urn:conseils:schema:<type>` = `$id` of the JSON Schema."),
    (
        CONTENT_TYPE_HEADER,
        "datacontenttype",
        "yes",
        "`application/json`; the body is the UTF-8 JSON payload.",
    ),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _json_literal(value: Any) -> str:
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if value == []:
        return "`[]`"
    return f"`{value}`"


def _type_of(node: dict[str, Any]) -> str:
    """Readable type of one JSON Schema node (pydantic's output: $ref, anyOf, enum...)."""
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in node:
        return " or ".join(_type_of(variant) for variant in node["anyOf"])
    if "const" in node:
        return _json_literal(node["const"])
    if "enum" in node:
        return "one of " + ", ".join(_json_literal(value) for value in node["enum"])
    kind = str(node.get("type", "any"))
    if kind == "array":
        items = _type_of(node.get("items", {}))
        return f"array of ({items})" if "," in items or " or " in items else f"array of {items}"
    if "format" in node:
        kind = f"{kind} ({node['format']})"
    constraints = []
    if "pattern" in node:
        constraints.append(f"pattern `{node['pattern']}`")
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "≥"),
        ("maximum", "≤"),
    ):
        if key in node:
            constraints.append(f"{label} {node[key]}")
    return kind + (", " + ", ".join(constraints) if constraints else "")


def _field_table(schema: dict[str, Any], key_field: str | None) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | required | default | description |", "|---|---|---|---|---|"]
    for name, node in schema.get("properties", {}).items():
        description = node.get("description") or _FIELD_NOTES.get(name, "")
        if name == key_field:
            description = f"**Kafka key.** {description}".strip()
        default = _json_literal(node["default"]) if "default" in node else ""
        is_required = "yes" if name in required else "no"
        row = [f"`{name}`", _type_of(node), is_required, default, description]
        lines.append("| " + " | ".join(_cell(part) for part in row) + " |")
    return lines


def _anchor(name: str) -> str:
    # Explicit anchors: generated heading ids differ between Markdown renderers.
    return f'<a id="{name.lower()}"></a>'


def _heading_gloss(gloss: str | None) -> str:
    return f" — *{gloss}*" if gloss else ""


def _event_section(model: type[Event]) -> list[str]:
    schema = event_schema(model)
    lines = [
        _anchor(model.__name__),
        f"#### {model.__name__}{_heading_gloss(EVENT_GLOSSES_FR.get(model.__name__))}",
        "",
        f"{schema.get('description', '').strip()}",
        "",
        f"- type (`ce_type`): `{model.event_type}`",
        f"- topic: `<territory>.{model.topic}` · Kafka key: `{model.key_field}`",
        f"- JSON Schema: [`{schema_filename(model.event_type)}`]"
        f"({_SCHEMA_LINK}{schema_filename(model.event_type)})",
        "",
        *_field_table(schema, model.key_field),
        "",
    ]
    return lines


def _nested_types() -> list[str]:
    found: dict[str, dict[str, Any]] = {}
    for model in EVENT_TYPES.values():
        found.update(event_schema(model).get("$defs", {}))
    lines: list[str] = []
    for name in sorted(found):
        lines += [_anchor(name), f"### {name}", "", found[name].get("description", "").strip(), ""]
        lines += [*_field_table(found[name], None), ""]
    return lines


def _topics_table() -> list[str]:
    lines = [
        f"| base topic | physical name (territory `{_EXAMPLE_TERRITORY}`) | Kafka key | cleanup | events |",
        "|---|---|---|---|---|",
    ]
    for base in ALL_TOPICS:
        models = event_types_for_topic(base).values()
        keys = sorted({model.key_field for model in models})
        events = ", ".join(f"[{m.__name__}](#{m.__name__.lower()})" for m in models)
        cleanup = "**compact**" if base in COMPACTED_TOPICS else "delete"
        gloss = TOPIC_GLOSSES_FR.get(base)
        label = f"`{base}`{_heading_gloss(gloss)}"
        physical = f"`{topic_name(_EXAMPLE_TERRITORY, base)}`"
        lines.append(f"| {label} | {physical} | {', '.join(f'`{k}`' for k in keys)} | {cleanup} | {events} |")
    return lines


_INTRO: Final = """\
# Event catalogue — *catalogue des événements*

<!-- Generated by `python -m conseils_schemas.catalogue` from the models of conseils-schemas. Do not edit:
     change the models, then regenerate. CI runs `python -m conseils_schemas.catalogue --check`. -->

Every event the `conseils` services publish on Kafka, for integrators who plug in their
own consumer (*consommateur tiers*). How to write one: [integrators guide](../integrators.md).
Machine-readable contracts: the JSON Schemas in [`schemas/jsonschema/`]({schema_link}) and the
AsyncAPI 3 document of each service in [`docs/asyncapi/`](../asyncapi/).
Python models: `pip install conseils-schemas` (`import conseils_schemas as cs`).
"""

_DELIVERY: Final = """\
<a id="delivery"></a>
## Delivery and ordering — *livraison et ordre*

- Topic name = `<territory>.<base topic>` (`cs.topic_name(territory, base)`); one territory
  (*territoire*) never sees another's topics.
- The Kafka key is the aggregate id of the event (council, member or instance id, see each event).
  Events with the same key go to the same partition and keep their order; there is **no order
  across keys or topics**.
- Delivery is **at least once**: the producers relay an outbox and may publish an event twice, and
  a consumer that crashes before committing reads it again. Deduplicate on `ce_id`, or make the
  effect idempotent (e.g. keep the highest `sequence` of an instance).
- Retention: `delete` topics keep their whole history (`retention.ms=-1`, or the territory's
  `CONSEILS_FACT_RETENTION_DAYS`, never below 400 days), so a new consumer group reading from
  `earliest` rebuilds its read model from every event; their dead letters keep 30 days. The compacted
  topic drops an erased card within hours (see docs/operations.md, "Retention and compaction").
"""

_VERSIONING: Final = """\
<a id="versioning"></a>
## Versioning — *versions des contrats*

- `ce_type` ends with the major version: `fr.conseils.meetings.instance.scheduled.v1`.
- **A breaking change is a new type** (`...scheduled.v2`), with a new model and a new JSON Schema;
  producers publish both versions during a transition period. Breaking = a field removed or renamed,
  a type changed (nullable included), a new required field, an enum value removed, a tighter pattern
  or bound. CI compares every schema with the frozen baseline (`schemas/jsonschema-baseline/`).
- **Compatible changes keep the type**: a new optional field, a new enum value, descriptions.
- **Consumers are tolerant readers**: ignore unknown fields (the models do), skip `ce_type`s they do
  not know (`cs.UnknownEventType`), and treat an unknown enum value as "other".
"""

_ENVELOPE_TEXT: Final = """\
The record value is the JSON payload; the CloudEvents attributes are record headers with UTF-8
values (`cs.from_kafka_headers(headers)` / `cs.to_kafka_headers(meta)`). Unknown headers are ignored.
"""

_DLQ_TEXT: Final = """\
A record a service cannot process (invalid envelope or payload, unsupported version, handler still
failing after bounded retries) is copied to `<topic>.dlq` (e.g. `{example}`) with the same key,
value and CloudEvents headers, plus the headers below. Operators replay dead letters to the source
topic (`conseils ops dlq replay`) with the original key, `ce_id` and `ce_correlationid`, without
the `dlq_*` headers and with `dlq_replayed_from=<dlq topic>:<partition>:<offset>`: every consumer
group of the source topic reads it again, one more reason to deduplicate on `ce_id`.
"""

_TOMBSTONE: Final = f"""\
<a id="tombstones"></a>
## Tombstones on the contacts topic — *effacement des coordonnées*

`<territory>.{REGISTRY_MEMBER_CONTACTS}` is **log-compacted** and keyed by member id. It is the only
topic carrying personal data (*données personnelles*: name, email, phone). When a person asks for
erasure the registry publishes a **tombstone**: key = member id, **null value** (no body; an empty
byte string is not a tombstone; headers may be absent). Compaction then removes the earlier cards.
A consumer receiving a tombstone (`cs.is_tombstone(record.value)`) **must delete every copy** it holds
of that member's contact data; `MemberErased` on `registry.members` says the same for all other data.
"""


def render_catalogue() -> str:
    """The whole Markdown page, deterministic (same models, same text)."""
    envelope = ["| header | CloudEvents attribute | required | notes |", "|---|---|---|---|"]
    envelope += [f"| `{h}` | {a} | {r} | {_cell(n)} |" for h, a, r, n in _ENVELOPE]
    dlq = ["| header | meaning |", "|---|---|"]
    dlq += [f"| `{name}` | {_cell(meaning)} |" for name, meaning in DLQ_HEADERS]
    example_dlq = dlq_topic(topic_name(_EXAMPLE_TERRITORY, ALL_TOPICS[3]))
    parts: list[str] = [
        _INTRO.format(schema_link=_SCHEMA_LINK),
        _anchor("topics"),
        "## Topics — *topics Kafka*",
        "",
        *_topics_table(),
        "",
        "Each topic has a dead-letter topic `<topic>.dlq` (see below).",
        "",
        _anchor("envelope"),
        "## Envelope: CloudEvents 1.0, binary mode — *enveloppe*",
        "",
        _ENVELOPE_TEXT,
        *envelope,
        "",
        _DELIVERY,
        _VERSIONING,
        _anchor("dead-letters"),
        "## Dead letters — *lettres mortes*",
        "",
        _DLQ_TEXT.format(example=example_dlq),
        *dlq,
        "",
        _TOMBSTONE,
        _anchor("events"),
        "## Events by topic — *événements par topic*",
        "",
    ]
    for base in ALL_TOPICS:
        gloss = TOPIC_GLOSSES_FR.get(base)
        parts += [f"### `{base}`{_heading_gloss(gloss)}", ""]
        for model in event_types_for_topic(base).values():
            parts += _event_section(model)
    parts += ["## Nested types — *types imbriqués*", "", *_nested_types()]
    text = "\n".join(parts)
    return text.rstrip("\n") + "\n"


def check(out: Path) -> list[str]:
    """Problems with the committed page (empty when it is up to date)."""
    if not out.is_file():
        return [f"missing: {out}"]
    if out.read_text(encoding="utf-8") != render_catalogue():
        return [f"differs: {out}"]
    return []


def write(out: Path) -> bool:
    """Write the page; return True when it changed."""
    content = render_catalogue()
    if out.is_file() and out.read_text(encoding="utf-8") == content:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(content, encoding="utf-8", newline="\n")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conseils_schemas.catalogue", description="Generate the event catalogue page."
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when stale")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    out: Path = args.out
    if args.check:
        problems = check(out)
        for line in problems:
            print(line)
        if problems:
            print("event catalogue is out of date: run python -m conseils_schemas.catalogue", file=sys.stderr)
            return 1
        print(f"{out}: up to date")
        return 0
    changed = write(out)
    print(f"{'wrote' if changed else 'unchanged'} {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
