"""The broker's jars, assembled from Maven Central with ``mvn`` (see ``pom.xml`` next to this
module) and cached once per machine in ``<cache>/kafka-<version>/jars``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from conseils_cli.kafka.common import KAFKA_VERSION, KafkaLauncherError, Progress, locked, tail_text

POM_FILE = Path(__file__).with_name("pom.xml")
MARKER_NAME = ".complete"
MVN_GOAL = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"


def cache_dir() -> Path:
    """Root of the conseils cache (``$CONSEILS_CACHE_DIR`` or ``~/.cache/conseils``)."""
    env = os.environ.get("CONSEILS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "conseils"


def jars_dir() -> Path:
    return cache_dir() / f"kafka-{KAFKA_VERSION}" / "jars"


def _jars_complete(directory: Path) -> bool:
    marker = directory / MARKER_NAME
    try:
        expected = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(expected, dict) or not expected:
        return False
    for name, size in expected.items():
        jar = directory / str(name)
        try:
            if jar.stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def ensure_jars(progress: Progress | None = None) -> Path:
    """Return the directory holding the broker's jars, downloading them if needed.

    Runs ``mvn`` only when the cache is missing or incomplete; a complete copy is
    recorded by a marker file listing every jar with its size.
    """
    target = jars_dir()
    if _jars_complete(target):
        return target
    with locked(target.parent / ".lock"):
        if _jars_complete(target):  # another process finished the copy meanwhile
            return target
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaLauncherError(
                "Maven (mvn) is required to fetch the Kafka jars but was not found "
                "on PATH; install Maven 3 and a JDK >= 17."
            )
        if progress:
            progress(f"Téléchargement de Kafka {KAFKA_VERSION} (Maven)…")
        work = target.parent / f"download-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        (work / "jars").mkdir(parents=True)
        # Run from a copy of the pom: the package directory may be read-only.
        shutil.copy2(POM_FILE, work / "pom.xml")
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(work / "pom.xml"),
                MVN_GOAL,
                "-DincludeScope=runtime",
                f"-DoutputDirectory={work / 'jars'}",
            ],
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        jars = sorted((work / "jars").glob("*.jar"))
        if result.returncode != 0 or not jars:
            tail = tail_text(result.stdout + result.stderr)
            shutil.rmtree(work, ignore_errors=True)
            raise KafkaLauncherError(
                f"mvn failed to fetch the Kafka jars (exit {result.returncode}).",
                tail,
            )
        manifest = {jar.name: jar.stat().st_size for jar in jars}
        (work / "jars" / MARKER_NAME).write_text(json.dumps(manifest, indent=1))
        shutil.rmtree(target, ignore_errors=True)
        (work / "jars").rename(target)
        shutil.rmtree(work, ignore_errors=True)
    return target
