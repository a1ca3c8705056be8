"""``conseils ops``: watch a territory's event flows, trace a chain of events, replay dead letters.

:mod:`.flows` talks to Kafka and returns plain data (reusable by a web page);
:mod:`.commands` renders it for people (rich) or machines (``--json``).
"""
