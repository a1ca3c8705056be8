"""The allowed documents of a dossier or minutes, as plain Python (no I/O): types checked by
extension and content, safe display names. Part of `conseils_meetings.domain`."""

from __future__ import annotations

import re

from conseils_runtime.errors import DomainError

# --------------------------------------------------------------------------- documents

DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "txt": ("text/plain", ()),
}


class DocumentRefused(DomainError):
    code = "document_refuse"


_UNSAFE = re.compile(r"[^\w.\- ()àâäçéèêëîïôöùûüÿœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒ]+")


def safe_display_name(filename: str) -> str:
    """The name shown to users: no directory part, no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = _UNSAFE.sub("_", name).strip(". ")
    return name[:200] or "document"


def check_document(filename: str, head: bytes, size: int, max_bytes: int) -> str:
    """The media type of an allowed document, checked by extension and content."""
    if size == 0:
        raise DocumentRefused("Le fichier est vide.")
    if size > max_bytes:
        raise DocumentRefused(f"Fichier trop volumineux (maximum {max_bytes // (1024 * 1024)} Mo).")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    allowed = DOCUMENT_TYPES.get(extension)
    if allowed is None:
        raise DocumentRefused(
            "Type de fichier non autorisé (acceptés : pdf, odt, docx, xlsx, ods, png, jpeg, txt)."
        )
    media_type, signatures = allowed
    if signatures and not any(head.startswith(signature) for signature in signatures):
        raise DocumentRefused(f"Le contenu du fichier ne correspond pas à son extension (.{extension}).")
    if not signatures:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # a multibyte character cut at the end is fine
                raise DocumentRefused("Un fichier .txt doit contenir du texte (UTF-8).") from None
        if b"\x00" in head:
            raise DocumentRefused("Un fichier .txt doit contenir du texte (UTF-8).")
    return media_type
