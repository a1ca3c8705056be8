// Parses iCalendar documents with ical.js (Mozilla, as in Thunderbird); prints one JSON report
// per file: what a calendar client reads (method, refresh, each event's UID, CN, status...).
// Usage: node check.mjs a.ics b.ics   (exit code 1 when a document does not parse)
import { readFile } from "node:fs/promises";
import ICAL from "ical.js";

const address = (property) => property && {
  value: property.getFirstValue(),
  cn: property.getParameter("cn") ?? null,
  role: property.getParameter("role") ?? null,
};

let failed = false;
for (const path of process.argv.slice(2)) {
  try {
    const root = new ICAL.Component(ICAL.parse(await readFile(path, "utf8")));
    const value = (name) => {
      const found = root.getFirstPropertyValue(name);
      return found === null ? null : found.toString();
    };
    const events = root.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        summary: event.summary,
        location: event.location,
        sequence: event.sequence,
        status: vevent.getFirstPropertyValue("status"),
        start: event.startDate.toJSDate().toISOString(),
        end: event.endDate.toJSDate().toISOString(),
        timezone: event.startDate.zone ? event.startDate.zone.tzid : null,
        organizer: address(vevent.getFirstProperty("organizer")),
        attendees: vevent.getAllProperties("attendee").map(address),
      };
    });
    console.log(JSON.stringify({
      file: path,
      parsed: true,
      method: value("method"),
      refresh_interval: value("refresh-interval"),
      published_ttl: value("x-published-ttl"),
      timezones: root.getAllSubcomponents("vtimezone").map((zone) => zone.getFirstPropertyValue("tzid")),
      events,
    }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ file: path, parsed: false, error: String(error) }));
  }
}
process.exit(failed ? 1 : 0);
