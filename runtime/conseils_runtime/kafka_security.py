"""How every Kafka client of the platform authenticates to the broker (SASL), read from the environment.

A secured broker (``conseils kafka start --secure``, ``docker-compose.yml``) accepts clients only on a
``SASL_PLAINTEXT`` listener with SCRAM-SHA-512, one principal per service, and authorizes each
request with ACLs. The services, the site and the CLI all build their clients from these settings:

* ``CONSEILS_KAFKA_SECURITY_PROTOCOL``: ``PLAINTEXT`` (default, the unsecured development broker),
  ``SASL_PLAINTEXT`` or ``SASL_SSL``;
* ``CONSEILS_KAFKA_SASL_MECHANISM``: ``SCRAM-SHA-512`` (default) or ``SCRAM-SHA-256``;
* ``CONSEILS_KAFKA_SASL_USERNAME`` / ``CONSEILS_KAFKA_SASL_PASSWORD``: the principal and its password
  (``conseils kafka credentials <principal>`` prints them for a local secured broker);
* ``CONSEILS_KAFKA_SSL_CAFILE``: with ``SASL_SSL``, the PEM file of the certificate authority the
  broker's certificate is checked against (``<state dir>/tls/ca.pem`` for ``conseils kafka start
  --secure --tls``); empty: the system's authorities. The broker's name is always checked.

The password never appears in a log line or a ``repr``.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]

ENV_PROTOCOL = "CONSEILS_KAFKA_SECURITY_PROTOCOL"
ENV_MECHANISM = "CONSEILS_KAFKA_SASL_MECHANISM"
ENV_USERNAME = "CONSEILS_KAFKA_SASL_USERNAME"
ENV_PASSWORD = "CONSEILS_KAFKA_SASL_PASSWORD"  # noqa: S105 (the variable's name)
ENV_CAFILE = "CONSEILS_KAFKA_SSL_CAFILE"


class KafkaSecurity(BaseSettings):
    """The SASL settings of one Kafka client (all empty: plaintext, no authentication)."""

    model_config = SettingsConfigDict(env_prefix="CONSEILS_KAFKA_", env_file=".env", extra="ignore")

    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: SecretStr = Field(default=SecretStr(""))
    ssl_cafile: str = ""

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaSecurity:
        if self.sasl and not (self.sasl_username and self.sasl_password.get_secret_value()):
            raise ValueError(
                f"{ENV_PROTOCOL}={self.security_protocol} demande {ENV_USERNAME} et {ENV_PASSWORD} / "
                f"needs {ENV_USERNAME} and {ENV_PASSWORD}"
            )
        return self

    @property
    def sasl(self) -> bool:
        return self.security_protocol != "PLAINTEXT"

    @classmethod
    def scram(
        cls,
        username: str,
        password: str,
        mechanism: SaslMechanism = "SCRAM-SHA-512",
        *,
        protocol: SecurityProtocol = "SASL_PLAINTEXT",
        cafile: str = "",
    ) -> KafkaSecurity:
        """Explicit credentials (the CLI and the tests), whatever the environment says."""
        return cls.model_validate(
            {
                "security_protocol": protocol,
                "sasl_mechanism": mechanism,
                "sasl_username": username,
                "sasl_password": password,
                "ssl_cafile": cafile,
            }
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        """With ``SASL_SSL``: a context that verifies the broker's certificate and name (against
        ``ssl_cafile``, else the system's authorities); None otherwise."""
        if self.security_protocol != "SASL_SSL":
            return None
        from aiokafka.helpers import create_ssl_context

        context: ssl.SSLContext = create_ssl_context(cafile=self.ssl_cafile or None)
        return context

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``AIOKafkaProducer``/``AIOKafkaConsumer``/``AIOKafkaAdminClient``."""
        if not self.sasl:
            return {}
        kwargs: dict[str, Any] = {
            "security_protocol": self.security_protocol,
            "sasl_mechanism": self.sasl_mechanism,
            "sasl_plain_username": self.sasl_username,
            "sasl_plain_password": self.sasl_password.get_secret_value(),
        }
        context = self.ssl_context()
        if context is not None:
            kwargs["ssl_context"] = context
        return kwargs

    def faststream_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for FastStream's ``KafkaBroker`` (its ``security=`` object)."""
        if not self.sasl:
            return {}
        from faststream.security import SASLScram256, SASLScram512

        scram = SASLScram512 if self.sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
        ssl_context = self.ssl_context()
        return {
            "security": scram(
                self.sasl_username,
                self.sasl_password.get_secret_value(),
                ssl_context=ssl_context,
                use_ssl=ssl_context is not None,
            )
        }

    def env(self) -> dict[str, str]:
        """The environment variables that give a child process these settings."""
        if not self.sasl:
            return {ENV_PROTOCOL: "PLAINTEXT"}
        env = {
            ENV_PROTOCOL: self.security_protocol,
            ENV_MECHANISM: self.sasl_mechanism,
            ENV_USERNAME: self.sasl_username,
            ENV_PASSWORD: self.sasl_password.get_secret_value(),
        }
        if self.ssl_cafile:
            env[ENV_CAFILE] = self.ssl_cafile
        return env

    def settings_values(self) -> dict[str, Any]:
        """These settings as the fields of a :class:`KafkaClientSettings` (a service's settings)."""
        return {
            "kafka_security_protocol": self.security_protocol,
            "kafka_sasl_mechanism": self.sasl_mechanism,
            "kafka_sasl_username": self.sasl_username,
            "kafka_sasl_password": self.sasl_password,
            "kafka_ssl_cafile": self.ssl_cafile,
        }


class KafkaClientSettings(BaseSettings):
    """The same settings as fields of a service's settings (``ServiceSettings`` inherits them), so that
    ``CONSEILS_KAFKA_*`` are settings the service declares (and docker-compose may pass)."""

    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", validation_alias=AliasChoices(ENV_PROTOCOL, "kafka_security_protocol")
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512", validation_alias=AliasChoices(ENV_MECHANISM, "kafka_sasl_mechanism")
    )
    kafka_sasl_username: str = Field(
        default="", validation_alias=AliasChoices(ENV_USERNAME, "kafka_sasl_username")
    )
    kafka_sasl_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices(ENV_PASSWORD, "kafka_sasl_password")
    )
    kafka_ssl_cafile: str = Field(default="", validation_alias=AliasChoices(ENV_CAFILE, "kafka_ssl_cafile"))

    def kafka_security(self) -> KafkaSecurity:
        return KafkaSecurity.model_validate(
            {
                "security_protocol": self.kafka_security_protocol,
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_username": self.kafka_sasl_username,
                "sasl_password": self.kafka_sasl_password,
                "ssl_cafile": self.kafka_ssl_cafile,
            }
        )


def from_env() -> KafkaSecurity:
    """The settings of this process (``CONSEILS_KAFKA_*`` variables, then ``.env``)."""
    return KafkaSecurity()


def aiokafka_kwargs(security: KafkaSecurity | None = None) -> dict[str, Any]:
    """SASL keyword arguments for an aiokafka client: ``security``, else the environment's."""
    return (security if security is not None else from_env()).aiokafka_kwargs()


def faststream_kwargs(security: KafkaSecurity | None = None) -> dict[str, Any]:
    """SASL keyword arguments for a FastStream ``KafkaBroker``: ``security``, else the environment's."""
    return (security if security is not None else from_env()).faststream_kwargs()
