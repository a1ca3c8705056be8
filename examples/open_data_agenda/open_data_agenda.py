"""Open-data agenda: keeps ``agenda.json`` and ``agenda.ics`` (RFC 5545) of a territory's
instances up to date from ``<territory>.meetings.instances``. A third-party consumer written
only against ``conseils-schemas`` and FastStream 0.7 (see README.md)."""

import asyncio
import json
import os
import ssl
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
from faststream import AckPolicy, FastStream
from faststream.exceptions import NackMessage
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

import conseils_schemas as cs
from conseils_schemas.envelope import format_time

HANDLED = (cs.InstanceScheduled, cs.InstanceRescheduled, cs.InstanceCancelled, cs.InstanceHeld)
HANDLED_TYPES = frozenset(model.event_type for model in HANDLED)
MOVED = {"starts_at", "ends_at", "location", "sequence"}
Entry = dict[str, Any]


def write_atomically(path: Path, content: bytes) -> None:
    """Readers see the old file or the new one, never half of it: temp file + rename."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)  # published files are public (mkstemp creates them 0600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class Agenda:
    """One entry per instance; ``agenda.json`` is both the open-data file and our state."""

    def __init__(self, out_dir: Path, territory: str) -> None:
        self.territory = territory
        self.json_path, self.ics_path = out_dir / "agenda.json", out_dir / "agenda.ics"
        self.load()

    def load(self) -> None:
        self.entries: dict[str, Entry] = {}
        if self.json_path.exists():
            saved = json.loads(self.json_path.read_text(encoding="utf-8"))
            self.entries = {entry["instance_id"]: entry for entry in saved["instances"]}

    def apply(self, event: cs.Event, event_time: datetime) -> bool:
        """Apply one event; False when it changes nothing (duplicate, stale or unknown instance)."""
        key = event.partition_key()  # the instance id
        entry = self.entries.get(key)
        new: Entry
        match event:
            case cs.InstanceScheduled() if not _stale(entry, event.sequence):
                new = {"instance_id": key, "status": "scheduled", "cancellation_reason": None}
                new |= event.model_dump(mode="json", exclude={"instance_id", "policy_warnings"})
            case cs.InstanceRescheduled() if entry and not _stale(entry, event.sequence):
                new = {**entry, **event.model_dump(mode="json", include=MOVED), "status": "scheduled"}
            case cs.InstanceCancelled() if entry and not _stale(entry, event.sequence):
                new = {**entry, "status": "cancelled", "sequence": event.sequence}
                new["cancellation_reason"] = event.reason
            case cs.InstanceHeld() if entry and entry["status"] == "scheduled":
                new = {**entry, "status": "held"}
            case _:
                return False  # other types, replays of older versions, instances we never saw
        new["updated_at"] = format_time(event_time)
        if entry is not None and {**entry, "updated_at": None} == {**new, "updated_at": None}:
            return False
        self.entries[key] = new
        return True

    def save(self) -> None:
        # ICS first: agenda.json is the state, so a crash in between is repaired on redelivery.
        write_atomically(self.ics_path, self.to_ics())
        instances = sorted(self.entries.values(), key=lambda e: (_utc(e["starts_at"]), e["instance_id"]))
        document = {"territory": self.territory, "instances": instances}
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_atomically(self.json_path, text.encode("utf-8"))

    def to_ics(self) -> bytes:
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//conseils//open-data-agenda//FR")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"Instances des conseils citoyens — {self.territory}")
        for entry in sorted(self.entries.values(), key=lambda e: e["instance_id"]):
            vevent = icalendar.Event()
            vevent.add("uid", cs.instance_uid(entry["instance_id"], self.territory))
            vevent.add("dtstamp", _utc(entry["updated_at"]))
            vevent.add("dtstart", _utc(entry["starts_at"]))
            vevent.add("dtend", _utc(entry["ends_at"]))
            vevent.add("summary", entry["title"])
            vevent.add("location", entry["location"])
            vevent.add("sequence", entry["sequence"])
            vevent.add("status", "CANCELLED" if entry["status"] == "cancelled" else "CONFIRMED")
            vevent.add("categories", [c for c in (entry["instance_type"], entry["theme"]) if c])
            calendar.add_component(vevent)
        ics: bytes = calendar.to_ical()
        return ics


def _stale(entry: Entry | None, sequence: int) -> bool:
    """Idempotence by (instance id, sequence): older changes never undo newer ones."""
    if entry is None:
        return False
    seen: int = entry["sequence"]
    return sequence < seen or (sequence == seen and entry["status"] != "scheduled")


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def security_from_env(env: Mapping[str, str] = os.environ) -> BaseSecurity | None:
    """The platform's Kafka client settings (the same ``CONSEILS_KAFKA_*`` as its services): SASL/SCRAM
    with the integrator's principal on a secured cluster, over TLS (``SASL_SSL``) verified against
    ``CONSEILS_KAFKA_SSL_CAFILE`` (else the system's authorities); None on a plaintext one."""
    protocol = env.get("CONSEILS_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").strip().upper() or "PLAINTEXT"
    if protocol == "PLAINTEXT":
        return None
    if protocol not in {"SASL_PLAINTEXT", "SASL_SSL"}:
        raise ValueError(
            f"CONSEILS_KAFKA_SECURITY_PROTOCOL={protocol}: PLAINTEXT, SASL_PLAINTEXT or SASL_SSL"
        )
    username = env.get("CONSEILS_KAFKA_SASL_USERNAME", "")
    password = env.get("CONSEILS_KAFKA_SASL_PASSWORD", "")
    if not (username and password):
        raise ValueError(f"{protocol} needs CONSEILS_KAFKA_SASL_USERNAME and CONSEILS_KAFKA_SASL_PASSWORD")
    mechanism = env.get("CONSEILS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    scram = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256}.get(mechanism)
    if scram is None:
        raise ValueError(f"CONSEILS_KAFKA_SASL_MECHANISM={mechanism}: SCRAM-SHA-512 or SCRAM-SHA-256")
    context = None
    if protocol == "SASL_SSL":
        context = ssl.create_default_context(cafile=env.get("CONSEILS_KAFKA_SSL_CAFILE") or None)
    return scram(username, password, ssl_context=context, use_ssl=context is not None)


def default_group(territory: str, security: BaseSecurity | None) -> str:
    """``<territory>.<principal>.open-data-agenda`` on a secured cluster (an integrator commits only
    in its own groups), ``<territory>.open-data-agenda`` on a plaintext one."""
    principal = getattr(security, "username", "") if security is not None else ""
    return f"{territory}.{principal}.open-data-agenda" if principal else f"{territory}.open-data-agenda"


def create_app(
    bootstrap: str,
    territory: str,
    out_dir: Path,
    group_id: str | None = None,
    *,
    security: BaseSecurity | None = None,
) -> FastStream:
    out_dir.mkdir(parents=True, exist_ok=True)
    agenda = Agenda(out_dir, territory)
    broker = KafkaBroker(bootstrap, client_id="open-data-agenda", security=security)

    @broker.subscriber(
        cs.topic_name(territory, cs.MEETINGS_INSTANCES),
        group_id=group_id or default_group(territory, security),
        auto_offset_reset="earliest",  # a new deployment rebuilds the agenda from the retained history
        ack_policy=AckPolicy.ACK,  # commit the offset only once the record is processed
    )
    async def on_instance_event(message: KafkaMessage) -> None:
        if message.headers.get(cs.TYPE_HEADER) not in HANDLED_TYPES:
            return  # tolerant reader: dossiers, minutes, newer versions... are not ours
        record = message.raw_message
        assert not isinstance(record, tuple)  # one record per call (not a batch subscriber)
        meta = cs.from_kafka_headers(record.headers)  # invalid envelope/payload: logged, skipped
        event = cs.parse_event(meta.type, message.body)
        if agenda.apply(event, meta.time):
            try:
                agenda.save()
            except OSError:  # disk full, permissions: not the record's fault, read it again
                agenda.load()
                await asyncio.sleep(5)
                raise NackMessage() from None

    return FastStream(broker)


def main() -> None:
    """Entry point: configuration from the environment (see README.md)."""
    app = create_app(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
        os.environ["CONSEILS_TERRITORY"],
        Path(os.environ.get("OPEN_DATA_DIR", "public")),
        os.environ.get("OPEN_DATA_GROUP_ID"),
        security=security_from_env(),
    )
    asyncio.run(app.run())


if __name__ == "__main__":
    main()
