"""The upload check every file goes through (attachments, imports, parameter files).

A module of its own so the import framework can check a file without importing the actions
(``kehu.core.actions.check_upload`` is the same function, the name most callers use).
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_EXTENSIONS = {
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "txt",
    "csv",
    "xlsx",
    "xls",
    "docx",
    "doc",
    "pptx",
    "ppt",
    "odt",
    "ods",
    "zip",
    "eml",
    "msg",
    "vcf",
    "ics",
    "json",
    "xml",
    "md",
}
MAGIC = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF8"],
    "zip": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "docx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
}


def check_upload(upload) -> str:
    """Refuse oversized files, unknown types and files whose content does not match their name."""
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("Files of type “%(ext)s” cannot be attached.") % {"ext": ext or "?"}, code="invalid"
        )
    if upload.size > settings.KEHU_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(max)s MB.")
            % {"max": settings.KEHU_MAX_UPLOAD_BYTES // 2**20},
            code="too_large",
        )
    head = upload.read(1024)
    upload.seek(0)
    if ext in MAGIC and not any(head.startswith(m) for m in MAGIC[ext]):
        raise ValidationError(_("The file content does not match its type."), code="invalid")
    # browsers sniff past a byte-order mark and leading white space: so does this check
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<html", b"<!doc", b"<svg", b"<scr")):
        raise ValidationError(_("Web pages and scripts cannot be attached."), code="invalid")
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
