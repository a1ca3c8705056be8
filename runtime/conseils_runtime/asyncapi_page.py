"""The /asyncapi page of every service: its AsyncAPI 3 document as plain HTML rendered on the
server (Jinja), with no script and nothing loaded from outside, so that it reads on an
intranet without internet; the raw document is one link away (/asyncapi.json). No offline
bundle of the official AsyncAPI viewer ships on PyPI (FastStream's page loads it from a CDN)."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment

_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ info.title }} — événements (AsyncAPI)</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; line-height: 1.5; }
pre { overflow-x: auto; background: #f4f4f4; padding: .5rem; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
.tableau { overflow-x: auto; } code { overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
<h1>{{ info.title }} <small>version {{ info.version }}</small></h1>
<p>Document AsyncAPI {{ version }} des événements de ce service.
Document brut (JSON) : <a href="{{ raw_url }}">{{ raw_url }}</a>.</p>
{% if info.description %}<p>{{ info.description }}</p>{% endif %}
<h2>Serveurs</h2>
<ul>{% for name, server in servers %}<li><strong>{{ name }}</strong> : <code>{{ server.host }}</code> ({{ server.protocol }}){% if server.description %} — {{ server.description }}{% endif %}</li>{% endfor %}</ul>
<h2>Opérations</h2>
<div class="tableau" role="region" tabindex="0" aria-label="Opérations">
<table>
<caption>{{ operations|length }} opération{{ "s" if operations|length > 1 }} : ce que le service envoie (send) et reçoit (receive)</caption>
<thead><tr><th scope="col">Action</th><th scope="col">Topic</th><th scope="col">Messages</th><th scope="col">Résumé</th></tr></thead>
<tbody>
{% for name, op in operations %}<tr><td>{{ op.action }}</td><td><a href="#canal-{{ op.channel }}"><code>{{ op.channel }}</code></a></td><td>{% for message in op.messages %}<a href="#message-{{ message }}"><code>{{ message }}</code></a>{% if not loop.last %}<br>{% endif %}{% endfor %}</td><td>{{ op.summary }}</td></tr>
{% endfor %}</tbody>
</table>
</div>
<h2>Topics</h2>
{% for name, channel in channels %}
<section id="canal-{{ name }}">
<h3><code>{{ channel.address }}</code></h3>
{% if channel.description %}<p>{{ channel.description }}</p>{% endif %}
<ul>{% for message in channel.messages %}<li><a href="#message-{{ message }}"><code>{{ message }}</code></a></li>{% endfor %}</ul>
</section>
{% endfor %}
<h2>Messages</h2>
{% for name, message in messages %}
<section id="message-{{ name }}">
<h3><code>{{ name }}</code></h3>
{% if message.title or message.summary %}<p>{{ message.title }}{% if message.title and message.summary %} — {% endif %}{{ message.summary }}</p>{% endif %}
{% if message.description %}<p>{{ message.description }}</p>{% endif %}
<details><summary>Contenu (schéma JSON)</summary><pre>{{ message.payload }}</pre></details>
</section>
{% endfor %}
</main>
</body>
</html>
"""  # noqa: E501 (HTML lines)

_TEMPLATE = Environment(autoescape=True).from_string(_PAGE)


def _ref_name(ref: Any) -> str:
    """`#/channels/a.b` → `a.b`; `#/channels/x/messages/m` → `m`."""
    if isinstance(ref, dict):
        ref = ref.get("$ref", "")
    return str(ref).rsplit("/", 1)[-1]


def _payload(message: dict[str, Any], schemas: dict[str, Any]) -> str:
    payload = message.get("payload", {})
    if isinstance(payload, dict) and "$ref" in payload:
        payload = schemas.get(_ref_name(payload), payload)
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)


def asyncapi_html(document: dict[str, Any], raw_url: str = "/asyncapi.json") -> str:
    """The document as one readable page: its servers, operations, topics and messages."""
    components = document.get("components", {})
    schemas = components.get("schemas", {})
    operations = [
        (
            name,
            {
                "action": op.get("action", ""),
                "channel": _ref_name(op.get("channel", "")),
                "messages": [_ref_name(m) for m in op.get("messages", [])],
                "summary": op.get("summary") or op.get("title", ""),
            },
        )
        for name, op in sorted(document.get("operations", {}).items())
    ]
    channels = [
        (
            name,
            {
                "address": channel.get("address") or name,
                "description": channel.get("description", ""),
                "messages": sorted(channel.get("messages", {})),
            },
        )
        for name, channel in sorted(document.get("channels", {}).items())
    ]
    messages = [
        (name, {**message, "payload": _payload(message, schemas)})
        for name, message in sorted(components.get("messages", {}).items())
    ]
    return _TEMPLATE.render(
        info=document.get("info", {}),
        version=document.get("asyncapi", ""),
        servers=sorted(document.get("servers", {}).items()),
        operations=operations,
        channels=channels,
        messages=messages,
        raw_url=raw_url,
    )
