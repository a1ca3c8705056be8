"""Open-data agenda: keeps ``agenda.json`` and ``agenda.ics`` (RFC 5545) of a territory's
instances up to date from ``<territory>.meetings.instances``, and with ``--schema-org`` also
``agenda.jsonld`` (schema.org Event) and ``agenda.csv``. A third-party consumer written only
against ``conseils-schemas`` and FastStream 0.7 (see README.md); its rules are the contract's
``conseils_schemas.open_data``, the ones the platform's site publishes with."""

import argparse
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
from conseils_schemas import open_data

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

    def __init__(self, out_dir: Path, territory: str, publisher: open_data.Publisher | None = None) -> None:
        self.territory, self.publisher = territory, publisher
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
        saved = self.entries.get(key)
        entry = open_data.AgendaEntry.from_json(saved) if saved is not None else None
        new = open_data.apply(entry, event, event_time)  # the contract's rules, the site's too
        if new is None:
            return False
        self.entries[key] = new.as_json()
        return True

    def save(self) -> None:
        # The other files first: agenda.json is the state, so a crash in between is repaired on redelivery.
        write_atomically(self.ics_path, self.to_ics())
        entries = [open_data.AgendaEntry.from_json(entry) for entry in self.entries.values()]
        if self.publisher is not None:
            linked = open_data.agenda_jsonld(entries, self.publisher)
            jsonld = json.dumps(linked, ensure_ascii=False, indent=2) + "\n"
            write_atomically(self.json_path.with_suffix(".jsonld"), jsonld.encode("utf-8"))
            csv_text = open_data.agenda_csv(entries, self.publisher)
            write_atomically(self.json_path.with_suffix(".csv"), csv_text.encode("utf-8"))
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
    publisher: open_data.Publisher | None = None,
) -> FastStream:
    """``publisher``: also write ``agenda.jsonld`` and ``agenda.csv`` (names and addresses it gives)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    agenda = Agenda(out_dir, territory, publisher)
    broker = KafkaBroker(bootstrap, client_id="open-data-agenda", security=security)

    @broker.subscriber(
        cs.topic_name(territory, cs.MEETINGS_INSTANCES),
        group_id=group_id or default_group(territory, security),
        auto_offset_reset="earliest",  # a new deployment rebuilds the agenda from the retained history
        ack_policy=AckPolicy.ACK,  # commit the offset only once the record is processed
    )
    async def on_instance_event(message: KafkaMessage) -> None:
        if message.headers.get(cs.TYPE_HEADER) not in open_data.HANDLED_TYPES:
            return  # tolerant reader: other types of the topic, newer versions... are not ours
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


def publisher_from_args(argv: list[str] | None, territory: str) -> open_data.Publisher | None:
    """``--schema-org --site-url https://… --territory-name "…"``: also publish JSON-LD and CSV."""
    parser = argparse.ArgumentParser(prog="open-data-agenda")
    parser.add_argument("--schema-org", action="store_true", help="also write agenda.jsonld and agenda.csv")
    parser.add_argument("--site-url", default="http://127.0.0.1:8000", help="public address of the site")
    parser.add_argument("--territory-name", default=territory, help="the organiser's public name")
    args = parser.parse_args(argv)
    if not args.schema_org:
        return None
    return open_data.Publisher(territory, args.territory_name, args.site_url.rstrip("/"))


def main(argv: list[str] | None = None) -> None:
    """Entry point: configuration from the environment and the command line (see README.md)."""
    territory = os.environ["CONSEILS_TERRITORY"]
    app = create_app(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
        territory,
        Path(os.environ.get("OPEN_DATA_DIR", "public")),
        os.environ.get("OPEN_DATA_GROUP_ID"),
        security=security_from_env(),
        publisher=publisher_from_args(argv, territory),
    )
    asyncio.run(app.run())


if __name__ == "__main__":
    main()
