"""Evidence files (佐证材料, issue 22 item 4): what may be attached to a nomination, checked on
the bytes alone before anything is stored.

A file is named by the SHA-256 of its bytes (content-addressed: the same file attached twice,
to one nomination or to many, is stored once). Its media type is sniffed from the bytes
(``filetype``), never taken from the client; its original name is kept, cleaned of paths and
control characters. The rules here are pure: ``evidence_failures`` returns every failed rule
(``RuleFailure``), the route refuses with 413 (size) or 422 (type, name) and stores nothing.

Who attaches (the handler, ``domain/handlers/evidence.py``): the declarer of the nomination
(kind ``declaration``: the scanned 申报表, photos, sign-in sheets) while it is declared and the
declaration or pre-review phase is open; an inspector of the campaign (kind ``inspection``:
photos of the visit, questionnaires) while the inspection phase is open."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import filetype

from domain.actors import Actor
from domain.errors import RuleFailure
from domain.rules.inspection import sees_other_inspections
from domain.values import Inspection

MAX_EVIDENCE_BYTES = 20 << 20  # 20 MiB a file (LAUREL_MAX_EVIDENCE_BYTES may lower or raise it)
MAX_NAME_CHARS = 200
THUMBNAIL_PIXELS = 320  # the longer side of a thumbnail
# The largest image a thumbnail is made of: a JPEG decodes at a fraction of its size (draft
# mode), a PNG or WebP whole (4 bytes a pixel); a larger image is kept without a thumbnail.
MAX_THUMBNAIL_SOURCE_PIXELS = {
    "image/jpeg": 50_000_000,
    "image/png": 16_000_000,
    "image/webp": 16_000_000,
}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Sniffed media type -> the extension a download is named with.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    XLSX: "xlsx",
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
ALLOWED_LABEL = "PDF, JPEG, PNG, WebP, XLSX"


HEX64_LENGTH = 64


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sha256(text: str) -> bool:
    """A SHA-256 as the store names blobs: 64 lowercase hex digits."""
    return len(text) == HEX64_LENGTH and all(c in "0123456789abcdef" for c in text)


def sniff(data: bytes) -> str | None:
    """The media type the bytes show (None: none ``filetype`` knows)."""
    kind = filetype.guess(data[:8192] if len(data) > 8192 else data)
    if kind is None:
        return None
    mime = str(kind.mime)
    if mime == "application/zip" and b"[Content_Types].xml" in data[:4096] and b"xl/" in data:
        return XLSX  # an XLSX whose parts are not in the order filetype looks for
    return mime


def clean_name(name: str | None) -> str:
    """The original file name as it may be kept and shown: its last path part, NFC, without
    control or format characters, at most ``MAX_NAME_CHARS``; "file" when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*').strip(
        " ."
    )
    return text[:MAX_NAME_CHARS] or "file"


def evidence_failures(
    size: int, media_type: str | None, limit: int = MAX_EVIDENCE_BYTES
) -> list[RuleFailure]:
    """Every rule the bytes break: too large (``evidence_max_bytes``), empty, or of a type not
    accepted (``evidence_media_type``)."""
    failures: list[RuleFailure] = []
    if size > limit:
        failures.append(
            RuleFailure(
                "evidence_max_bytes",
                f"a file may have at most {limit} bytes ({limit / (1 << 20):.0f} MB)",
                f"单个文件不得超过 {limit} 字节（{limit / (1 << 20):.0f} MB）",
                field="file",
                expected=limit,
                actual=size,
            )
        )
    if size == 0:
        failures.append(
            RuleFailure("evidence_not_empty", "the file is empty", "文件为空", field="file", actual=0)
        )
    elif media_type not in ALLOWED_TYPES:
        failures.append(
            RuleFailure(
                "evidence_media_type",
                f"the file's content is not one of {ALLOWED_LABEL} (found: {media_type or 'unknown'})",
                f"文件内容须为 {ALLOWED_LABEL} 之一（识别为：{media_type or '未知'}）",
                field="file",
                expected=sorted(ALLOWED_TYPES),
                actual=media_type or "unknown",
            )
        )
    return failures


def thumbnail(data: bytes, media_type: str) -> bytes | None:
    """A JPEG thumbnail (longer side ``THUMBNAIL_PIXELS``) of an image; None for other types or
    an image Pillow cannot read (the file is still kept: its bytes are the evidence)."""
    if media_type not in IMAGE_TYPES:
        return None
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size  # read from the header: nothing decoded yet
            if width * height > MAX_THUMBNAIL_SOURCE_PIXELS[media_type]:
                return None  # decoding would take gigabytes: the file is kept, without a thumbnail
            opened.draft("RGB", (THUMBNAIL_PIXELS * 2, THUMBNAIL_PIXELS * 2))  # JPEG: decode small
            image = ImageOps.exif_transpose(opened) or opened
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return out.getvalue()


@dataclass(frozen=True)
class Upload:
    """A file whose bytes passed the rules: its bytes, digest, sniffed type and clean name
    (its thumbnail is made only once the attachment would be accepted: ``thumbnail``)."""

    data: bytes
    sha256: str
    media_type: str
    name: str

    @property
    def size(self) -> int:
        return len(self.data)


def prepare(
    data: bytes, name: str | None, limit: int = MAX_EVIDENCE_BYTES
) -> Upload | list[RuleFailure]:
    """The upload, or every rule it breaks (nothing is stored by this)."""
    media_type = sniff(data) if data else None
    failures = evidence_failures(len(data), media_type, limit)
    if failures:
        return failures
    assert media_type is not None
    return Upload(data, sha256_of(data), media_type, clean_name(name))


def download_name(entry: dict[str, Any]) -> str:
    """The name a download is saved as: the original name, with the sniffed type's extension
    when it has another."""
    name = str(entry.get("name") or "file")
    extension = ALLOWED_TYPES.get(str(entry.get("media_type")), "")
    if (
        extension
        and not name.lower().endswith("." + extension)
        and not (extension == "jpg" and name.lower().endswith(".jpeg"))
    ):
        name = f"{name}.{extension}"
    return name


def visible_evidence(
    entries: Sequence[dict[str, Any]], actor: Actor, inspections: Sequence[Inspection]
) -> list[dict[str, Any]]:
    """The files a reader of the nomination sees: all of them, except that an inspector who
    has not inspected it yet (judging on its own, ``blind_view``) sees only its own inspection
    files, not the other inspectors'."""
    if sees_other_inspections(actor, inspections):
        return [dict(e) for e in entries]
    return [
        dict(e)
        for e in entries
        if e["kind"] != "inspection" or e["uploaded_by"].get("token_id") == actor.token_id
    ]


def find_evidence(entries: Sequence[dict[str, Any]], sha256: str) -> dict[str, Any] | None:
    """The entry of a file or of a thumbnail named ``sha256`` (the first attached)."""
    return next((dict(e) for e in entries if sha256 in (e["sha256"], e.get("thumbnail_sha256"))), None)


EVIDENCE_EVENT_TYPE = "nomination.evidence_attached"


def logged_files(event_type: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The blobs an audit log entry names (the audit export's ``files``): an evidence file and
    its thumbnail, each with its SHA-256; none for any other event."""
    if event_type != EVIDENCE_EVENT_TYPE or not data.get("sha256"):
        return []
    files = [{"role": "file", "sha256": data["sha256"], "size": data.get("size")}]
    if data.get("thumbnail_sha256"):
        files.append({"role": "thumbnail", "sha256": data["thumbnail_sha256"], "size": None})
    return files
