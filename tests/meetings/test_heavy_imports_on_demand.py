"""The meetings service does not load what only a rare request needs.

fpdf2 (with Pillow and fontTools) adds about 30 MiB to a process: every worker of the service
paid it at start-up although only an attestation's download uses it (issue 17, item 6: each
service under 200 MB at national load). The attestation still renders: its own tests download it.
"""

from __future__ import annotations

import subprocess
import sys


def test_serving_the_api_does_not_import_the_pdf_library() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from conseils_meetings.app import create_app; "
            "print(sorted(m for m in ('fpdf', 'PIL', 'fontTools') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_an_attestation_still_imports_it_when_asked_for() -> None:
    from conseils_meetings.attestation_pdf import AttestationText, attestation_pdf

    pdf = attestation_pdf(
        AttestationText(
            territory="Plaine Commune",
            name="Awa Diallo",
            instance_title="Comité de pilotage",
            instance_type="Comité de pilotage",
            location="Saint-Denis",
            day="mardi 6 avril 2027",
            hours="de 18 h 30 à 20 h 30 (2 h)",
            code="ABCD-1234",
            verify_url="https://example.org/verifier/ABCD-1234",
            issued_on="7 avril 2027",
        )
    )
    assert pdf.startswith(b"%PDF-")
