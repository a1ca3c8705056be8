"""Local Apache Kafka broker: launcher library and ``conseils kafka`` commands."""
