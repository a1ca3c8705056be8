"""TLS for the secured local broker (``conseils kafka start --secure --tls``): a local certificate
authority and the broker's certificate, made with ``openssl`` once per state directory.

``<state dir>/tls/`` holds ``ca.pem`` (what clients verify the broker with:
``CONSEILS_KAFKA_SSL_CAFILE``), ``ca.key`` and ``broker.pem`` (the broker's PKCS#8 key, its
certificate for ``127.0.0.1``/``localhost`` and the CA, which the broker reads as a PEM key store),
all mode 0600 but ``ca.pem``. The files are kept across restarts, so a client's CA stays valid;
deleting the folder makes a new authority at the next start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from conseils_cli.kafka.common import HOST, KafkaLauncherError, tail_text

TLS_DIR = "tls"
DAYS = "825"


def tls_dir(state_dir: Path) -> Path:
    return state_dir / TLS_DIR


def ca_file(state_dir: Path) -> Path:
    return tls_dir(state_dir) / "ca.pem"


def keystore_file(state_dir: Path) -> Path:
    return tls_dir(state_dir) / "broker.pem"


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise KafkaLauncherError("openssl was not found on PATH (needed by --tls).")
    result = subprocess.run(
        [openssl, *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise KafkaLauncherError(
            f"openssl {args[0]} failed (exit {result.returncode}).", tail_text(result.stdout + result.stderr)
        )


def ensure_certificates(state_dir: Path) -> Path:
    """The local CA and the broker's key store (made on the first call); returns the CA file."""
    directory = tls_dir(state_dir)
    if ca_file(state_dir).exists() and keystore_file(state_dir).exists():
        return ca_file(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    with tempfile.TemporaryDirectory(dir=directory) as work_dir:
        work = Path(work_dir)
        _openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", DAYS,
            "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=conseils local Kafka CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=work,
        )  # fmt: skip
        _openssl(
            "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "broker.key", cwd=work
        )
        _openssl("req", "-new", "-key", "broker.key", "-subj", f"/CN={HOST}", "-out", "broker.csr", cwd=work)
        (work / "broker.ext").write_text(
            f"subjectAltName=IP:{HOST},DNS:localhost\n"
            "basicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
        )
        _openssl(
            "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-sha256", "-days", DAYS, "-extfile", "broker.ext", "-out", "broker.crt",
            cwd=work,
        )  # fmt: skip
        store = work / "broker.pem"
        store.write_text(
            "".join((work / name).read_text() for name in ("broker.key", "broker.crt", "ca.pem"))
        )
        for name in ("ca.key", "broker.pem"):
            os.chmod(work / name, 0o600)
            (work / name).replace(directory / name)
        (work / "ca.pem").replace(ca_file(state_dir))  # last: its presence means "complete"
    return ca_file(state_dir)
