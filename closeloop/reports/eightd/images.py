"""Evidence pictures for the 8D report: only images already stored with the case's complaints (their type
checked by content at upload), never anything fetched from an address typed by someone.

Each picture is placed at the step it documents: an action's evidence at the action's step (or, for an
action outside the 8D steps, by its kind), the complaint's own attachments at D2 (the problem as
reported). Pictures are decoded with Pillow, reduced to what ~80 mm of paper needs and re-encoded as
JPEG or PNG, which both ReportLab and Word read; a file Pillow cannot read is left out.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from closeloop.complaints.models import Attachment
from closeloop.investigations.workflow import Step

log = logging.getLogger(__name__)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_PER_STEP = 4
MAX_WIDTH_MM = 80.0
MAX_HEIGHT_MM = 90.0
# 80 mm at ~190 dpi: sharp on paper without carrying a phone camera's 12 megapixels into every copy.
MAX_PIXELS_WIDE = 600
_NATURAL_DPI = 96.0
KIND_STEP = {
    "containment": Step.D3.value,
    "corrective": Step.D6.value,
    "preventive": Step.D7.value,
    "horizontal": Step.D7.value,
    # Plain tasks on an 8D complaint are most often the first response (on-site sorting, replacement).
    "task": Step.D0.value,
}


@dataclass(frozen=True)
class EvidenceImage:
    step: int
    name: str
    caption: str  # the action it documents, or empty for the complaint's own pictures
    data: bytes
    mime: str  # image/jpeg or image/png
    width_px: int
    height_px: int
    width_mm: float
    height_mm: float


def _step_of(att: Attachment) -> int:
    evidence = getattr(att, "action_evidence", None)
    if evidence is None:
        return Step.D2.value
    action = evidence.action
    return action.step if action.step is not None else KIND_STEP.get(action.kind, Step.D0.value)


def image_prepare(data: bytes) -> tuple[bytes, str, int, int] | None:
    """``data`` reduced and re-encoded: (bytes, mime, width px, height px), or None when unreadable."""
    # Imported here: the report's records import this module wherever a view or the API is loaded (the
    # worker too), and only the rendering of pictures needs Pillow.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)  # the first frame of an animated GIF / WebP
            im.draft("RGB", (MAX_PIXELS_WIDE, MAX_PIXELS_WIDE * 4))  # JPEG: decode at a reduced scale
            frame = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB")
            if frame.width > MAX_PIXELS_WIDE:
                height = max(1, round(frame.height * MAX_PIXELS_WIDE / frame.width))
                frame = frame.resize((MAX_PIXELS_WIDE, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if frame.mode == "RGBA":
                frame.save(out, format="PNG", optimize=True)
                mime = "image/png"
            else:
                frame.save(out, format="JPEG", quality=85, optimize=True)
                mime = "image/jpeg"
            return out.getvalue(), mime, frame.width, frame.height
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("8D report: picture left out (%s)", exc)
        return None


def display_size(width_px: int, height_px: int) -> tuple[float, float]:
    """Size on paper in mm: natural size at 96 dpi, at most 80 mm wide and 90 mm tall."""
    w = width_px * 25.4 / _NATURAL_DPI
    h = height_px * 25.4 / _NATURAL_DPI
    scale = min(1.0, MAX_WIDTH_MM / w, MAX_HEIGHT_MM / h)
    return round(w * scale, 1), round(h * scale, 1)


def images_collect(attachments: Iterable[Attachment]) -> tuple[EvidenceImage, ...]:
    """At most MAX_PER_STEP pictures per step, in upload order. Reads each file from storage."""
    out: list[EvidenceImage] = []
    per_step: dict[int, int] = {}
    for att in attachments:
        if att.content_type not in IMAGE_TYPES:
            continue
        step = _step_of(att)
        if per_step.get(step, 0) >= MAX_PER_STEP:
            continue
        try:
            with att.file.open("rb") as fh:
                raw = fh.read()
        except OSError as exc:
            log.warning("8D report: attachment %s unreadable (%s)", att.pk, exc)
            continue
        prepared = image_prepare(raw)
        if prepared is None:
            continue
        data, mime, w, h = prepared
        width_mm, height_mm = display_size(w, h)
        evidence = getattr(att, "action_evidence", None)
        out.append(
            EvidenceImage(
                step=step,
                name=att.original_name,
                caption=evidence.action.title if evidence is not None else "",
                data=data,
                mime=mime,
                width_px=w,
                height_px=h,
                width_mm=width_mm,
                height_mm=height_mm,
            )
        )
        per_step[step] = per_step.get(step, 0) + 1
    return tuple(out)
