"""Attachments: the type is decided by the bytes, never by the file name or the client's header."""

from __future__ import annotations

import hashlib
from typing import IO

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints import events
from closeloop.complaints.models import Attachment, Complaint
from closeloop.core.errors import ValidationFailed


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return False
    lowered = text.lstrip().lower()
    # Markup that a browser would execute is not "plain text".
    return not lowered.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script"))


def sniff_content_type(data: bytes) -> str | None:
    """Return the MIME type detected from ``data``'s content, or None when unrecognised."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    if data and _looks_like_text(data[:8192]):
        return "text/plain"
    return None


def attachment_validate(*, name: str, data: bytes, field: str = "attachments") -> tuple[str, str]:
    """Check size and content type. Return ``(content_type, extension)`` or raise ValidationFailed."""
    limit = int(settings.CLOSELOOP["ATTACHMENT_MAX_BYTES"])
    allowed: dict[str, str] = dict(settings.CLOSELOOP["ATTACHMENT_TYPES"])
    if len(data) == 0:
        raise ValidationFailed(fields={field: [_("“%(name)s” is empty.") % {"name": name}]})
    if len(data) > limit:
        raise ValidationFailed(
            fields={
                field: [
                    _("“%(name)s” is %(size)s; the limit is %(limit)s.")
                    % {"name": name, "size": filesizeformat(len(data)), "limit": filesizeformat(limit)}
                ]
            }
        )
    content_type = sniff_content_type(data)
    if content_type is None or content_type not in allowed:
        raise ValidationFailed(
            fields={
                field: [
                    _(
                        "“%(name)s” is not an allowed file type (its content is %(type)s). Allowed: images, "
                        "PDF, video, Office documents, ZIP and plain text."
                    )
                    % {"name": name, "type": content_type or _("unrecognised")}
                ]
            }
        )
    ext = allowed[content_type]
    if content_type == "text/plain" and name.lower().endswith(".csv"):
        content_type, ext = "text/csv", ".csv"
    return content_type, ext


def attachment_read(fileobj: IO[bytes]) -> bytes:
    """Read an upload, stopping one byte past the limit so oversize files are not held in memory."""
    limit = int(settings.CLOSELOOP["ATTACHMENT_MAX_BYTES"])
    return fileobj.read(limit + 1)


@transaction.atomic
def attachment_add(
    *, complaint: Complaint, actor: User | None, name: str, data: bytes, record_event: bool = True
) -> Attachment:
    """Validate and store one attachment on ``complaint``; writes an ``attachment_added`` event."""
    content_type, ext = attachment_validate(name=name, data=data)
    digest = hashlib.sha256(data).hexdigest()
    clean_name = name.replace("/", "_").replace("\\", "_")[:200] or f"attachment{ext}"
    att = Attachment(
        complaint=complaint,
        original_name=clean_name,
        content_type=content_type,
        extension=ext,
        size=len(data),
        sha256=digest,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    att.file.save(f"{digest}{ext}", ContentFile(data), save=False)
    att.save()
    if record_event:
        events.event_record(
            complaint=complaint,
            verb="attachment_added",
            actor=actor,
            data={"name": clean_name, "size": len(data), "type": content_type},
        )
    return att
