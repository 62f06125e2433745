"""Evidence files (issue 22, item 4), without HTTP: the rules on the bytes (type sniffed, size,
name), the blob store (content-addressed, stored once, altered bytes caught), and attaching on
the in-memory store (who, when, the same file twice recorded once)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from domain.commands import AttachEvidence
from domain.errors import (
    EvidenceCorruptError,
    EvidenceInvalidError,
    EvidenceMissingError,
    InspectionInvalidError,
    InvalidTransitionError,
    OutsideJurisdictionError,
    PhaseNotOpenError,
    RoleNotAllowedError,
)
from domain.evidence import (
    XLSX,
    clean_name,
    download_name,
    logged_files,
    prepare,
    sha256_of,
    sniff,
    thumbnail,
    visible_evidence,
)
from domain.vocabulary import EvidenceKind
from infra.blob_store import DirectoryBlobStore, verify_logged_files
from tests.builders.actors import CITY_INSPECTOR, OTHER_TOWNSHIP_DECLARER, TOWNSHIP_DECLARER
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.world import World

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "签到"])  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the rules on the bytes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("WEBP"), "image/webp"),
        (xlsx_bytes(), XLSX),
    ],
)
def test_accepted_types_are_sniffed_from_the_bytes(data, expected):
    prepared = prepare(data, "x")
    assert not isinstance(prepared, list), prepared
    assert prepared.media_type == expected == sniff(data)
    assert prepared.sha256 == sha256_of(data)


def test_a_type_not_accepted_is_refused_whatever_its_name_says():
    exe = b"MZ\x90\x00" + b"\x00" * 200  # a Windows program named like a PDF
    failures = prepare(exe, "申报表.pdf")
    assert isinstance(failures, list)
    assert [f.rule for f in failures] == ["evidence_media_type"]
    assert failures[0].actual == "application/x-msdownload"
    assert "PDF" in failures[0].message_zh
    text = prepare(b"name,signed\n", "sheet.csv")
    assert isinstance(text, list) and text[0].actual == "unknown"  # CSV cannot be sniffed


def test_an_oversize_or_empty_file_is_refused_naming_the_rule():
    failures = prepare(PDF + b"0" * 2000, "big.pdf", limit=1024)
    assert isinstance(failures, list)
    assert [(f.rule, f.expected) for f in failures] == [("evidence_max_bytes", 1024)]
    empty = prepare(b"", "empty.pdf")
    assert isinstance(empty, list) and [f.rule for f in empty] == ["evidence_not_empty"]


def test_names_are_kept_clean():
    assert clean_name("C:\\扫描\\申报表.pdf") == "申报表.pdf"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("a\x00b\u202ec.png") == "abc.png"
    assert clean_name("") == clean_name("...") == "file"
    assert len(clean_name("长" * 500)) == 200
    assert download_name({"name": "照片", "media_type": "image/jpeg"}) == "照片.jpg"
    assert download_name({"name": "photo.JPEG", "media_type": "image/jpeg"}) == "photo.JPEG"


def test_images_get_a_thumbnail_other_files_none():
    small = thumbnail(image_bytes("JPEG", (1600, 1200)), "image/jpeg")
    assert small is not None
    with Image.open(io.BytesIO(small)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 320
    assert thumbnail(PDF, "application/pdf") is None


def test_a_huge_image_is_kept_without_a_thumbnail():
    """A PNG of 8000 × 8000 pixels compresses to a few hundred KB but would decode to 192 MB:
    the header says so before anything is decoded."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    huge = prepare(out.getvalue(), "huge.png")
    assert not isinstance(huge, list) and huge.media_type == "image/png"
    assert thumbnail(huge.data, huge.media_type) is None


# --- the blob store -------------------------------------------------------------------------------


def test_directory_store_keeps_a_file_once_and_catches_altered_bytes(tmp_path: Path):
    store = DirectoryBlobStore(tmp_path / "blobs")
    assert not (tmp_path / "blobs").exists()  # nothing made until a file comes
    sha, created = store.put(PDF)
    again, created_again = store.put(PDF)
    assert (sha, created, created_again) == (sha256_of(PDF), True, False) and again == sha
    assert list(store.hashes()) == [sha]
    assert store.read(sha) == PDF and store.check(sha) is None

    path = store.path_of(sha)
    flipped = bytearray(path.read_bytes())
    flipped[10] ^= 0x01
    path.write_bytes(bytes(flipped))
    with pytest.raises(EvidenceCorruptError) as corrupt:
        store.read(sha)
    assert corrupt.value.details["found"] == sha256_of(bytes(flipped))
    records = [{"position": 7, "subject": "n", "version": 2, "files": [{"role": "file", "sha256": sha}]}]
    checked, problems = verify_logged_files(records, store)
    assert checked == 1 and "position 7" in problems[0] and "do not match" in problems[0]

    # the same bytes uploaded again put the altered file right (and mark it stored now)
    assert store.put(PDF) == (sha, False) and store.read(sha) == PDF
    assert list(store.hashes_older_than(60)) == [] and list(store.hashes_older_than(-60)) == [sha]

    store.discard(sha)
    with pytest.raises(EvidenceMissingError):
        store.read(sha)
    with pytest.raises(EvidenceMissingError):
        store.read("../../etc/passwd")


def test_the_audit_export_names_each_logged_file():
    data = {"sha256": "a" * 64, "size": 3, "thumbnail_sha256": "b" * 64}
    assert logged_files("nomination.evidence_attached", data) == [
        {"role": "file", "sha256": "a" * 64, "size": 3},
        {"role": "thumbnail", "sha256": "b" * 64, "size": None},
    ]
    assert logged_files("nomination.declared", data) == []


# --- attaching, on the in-memory store ------------------------------------------------------------


def attach(kind: str, data: bytes = PDF, **fields) -> AttachEvidence:
    prepared = prepare(data, fields.pop("name", "申报表.pdf"))
    assert not isinstance(prepared, list)
    return AttachEvidence(
        kind=kind,
        sha256=prepared.sha256,
        size=prepared.size,
        media_type=prepared.media_type,
        name=prepared.name,
        thumbnail_sha256=sha256_of(small) if (small := thumbnail(data, prepared.media_type)) else None,
        **fields,
    )


def test_the_declarer_attaches_while_declared_once_per_file():
    world = World.in_memory()
    campaign = world.campaign()
    nid = world.declare(campaign)
    first = world.app.execute(attach("declaration", nomination_id=nid), TOWNSHIP_DECLARER)
    again = world.app.execute(attach("declaration", nomination_id=nid), TOWNSHIP_DECLARER)
    assert (first["attached"], again["attached"]) == (True, False)
    nomination = world.app.get_nomination(nid)
    assert len(nomination.evidence) == 1 and nomination.version == 2
    entry = nomination.evidence[0]
    assert entry["kind"] == EvidenceKind.DECLARATION and entry["sha256"] == sha256_of(PDF)
    assert entry["uploaded_by"]["token_id"] == TOWNSHIP_DECLARER.token_id
    history = world.app.queries.history(nid)
    assert history[-1]["type"] == "nomination.evidence_attached"
    assert history[-1]["data"]["media_type"] == "application/pdf"

    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(attach("declaration", nomination_id=nid), OTHER_TOWNSHIP_DECLARER)
    with pytest.raises(RoleNotAllowedError):
        world.app.execute(attach("declaration", nomination_id=nid), CITY_INSPECTOR)
    world.admit(campaign, nid)
    with pytest.raises(InvalidTransitionError):  # admitted: the declaration is closed
        world.app.execute(
            attach("declaration", image_bytes(), nomination_id=nid, name="p.png"),
            TOWNSHIP_DECLARER,
            at=FIVE_GOOD_2022.pre_review,
        )


def test_an_inspector_attaches_to_an_inspection_in_the_inspection_phase():
    world = World.in_memory()
    campaign = world.campaign()
    nid = world.declare(campaign)
    world.admit(campaign, nid)
    photo = image_bytes("JPEG")
    with pytest.raises(PhaseNotOpenError):
        world.app.execute(
            attach("inspection", photo, nomination_id=nid, name="visit.jpg"),
            CITY_INSPECTOR,
            at=FIVE_GOOD_2022.pre_review,
        )
    at = FIVE_GOOD_2022.inspection
    with pytest.raises(InspectionInvalidError) as none_yet:
        world.app.execute(
            attach("inspection", photo, nomination_id=nid, name="v.jpg", inspection=1),
            CITY_INSPECTOR,
            at=at,
        )
    assert none_yet.value.failures[0].rule == "evidence_inspection_exists"
    before = world.app.execute(
        attach("inspection", photo, nomination_id=nid, name="visit.jpg"), CITY_INSPECTOR, at=at
    )
    world.inspect(campaign, nid, 90)
    after = world.app.execute(
        attach("inspection", photo, nomination_id=nid, name="visit.jpg", inspection=1),
        CITY_INSPECTOR,
        at=at,
    )
    assert before["attached"] and after["attached"]
    entries = world.app.get_nomination(nid).evidence
    assert [e["inspection"] for e in entries] == [None, 1]
    assert entries[0]["thumbnail_sha256"] and entries[0]["media_type"] == "image/jpeg"
    with pytest.raises(RoleNotAllowedError):
        world.app.execute(
            attach("inspection", photo, nomination_id=nid, name="v.jpg"), TOWNSHIP_DECLARER, at=at
        )
    # another inspector who has not inspected sees neither the score nor these photos
    from domain.actors import Actor
    from domain.vocabulary import Role

    other = Actor("tok-other-inspector", Role.INSPECTOR, CITY_INSPECTOR.unit_id)
    nomination = world.app.get_nomination(nid)
    assert visible_evidence(nomination.evidence, other, nomination.inspections) == []
    assert len(visible_evidence(nomination.evidence, CITY_INSPECTOR, nomination.inspections)) == 2


def test_a_bad_reference_is_refused_before_anything_loads():
    world = World.in_memory()
    with pytest.raises(EvidenceInvalidError) as refused:
        world.app.execute(
            AttachEvidence(
                nomination_id="nope",
                kind="selfie",
                sha256="XYZ",
                size=0,
                media_type="text/html",
                name="x",
                inspection=1,
            ),
            TOWNSHIP_DECLARER,
        )
    assert {f.rule for f in refused.value.failures} == {
        "evidence_kind",
        "evidence_sha256",
        "evidence_media_type",
        "evidence_not_empty",
        "evidence_inspection_kind",
    }


def test_an_inspection_file_belongs_to_the_senders_own_inspection_and_team():
    """Another inspector may not attach to an inspection it did not record; where the campaign
    has teams, only an unrecused member of the assigned team attaches inspection files."""
    from domain.actors import Actor
    from domain.commands import AssignToTeam, FormTeam, IssueToken
    from domain.errors import TeamInspectionRefusedError
    from domain.vocabulary import Role
    from tests.builders.actors import ADMIN, CITY_REVIEWER

    world = World.in_memory()
    campaign = world.campaign()
    nid = world.declare(campaign)
    world.admit(campaign, nid)
    world.inspect(campaign, nid, 90)
    at = FIVE_GOOD_2022.inspection
    colleague = Actor("tok-colleague-inspector", Role.INSPECTOR, CITY_INSPECTOR.unit_id)
    with pytest.raises(EvidenceInvalidError) as refused:
        world.app.execute(
            attach("inspection", nomination_id=nid, name="q.pdf", inspection=1), colleague, at=at
        )
    assert refused.value.failures[0].rule == "evidence_inspection_own"

    other = world.declare(campaign, unit="houshuang-cun")
    world.admit(campaign, other)
    issued = world.app.execute(
        IssueToken(role="inspector", unit_id=CITY_INSPECTOR.unit_id, label="组长"), ADMIN
    )
    leader = Actor(issued["id"], Role.INSPECTOR, CITY_INSPECTOR.unit_id)
    world.app.execute(
        FormTeam(
            campaign_id=campaign.id,
            name="第一组",
            leader=leader.token_id,
            members=[{"token_id": leader.token_id}],
        ),
        CITY_REVIEWER,
        at=at,
    )
    with pytest.raises(TeamInspectionRefusedError) as unassigned:
        world.app.execute(attach("inspection", nomination_id=other, name="v.pdf"), leader, at=at)
    assert unassigned.value.failures[0].rule == "team_assignment_required"
    team = world.app.get_campaign(campaign.id).teams[0]["id"]
    world.app.execute(
        AssignToTeam(campaign_id=campaign.id, team_id=team, nomination_ids=[other]),
        CITY_REVIEWER,
        at=at,
    )
    with pytest.raises(TeamInspectionRefusedError) as outsider:
        world.app.execute(attach("inspection", nomination_id=other, name="v.pdf"), CITY_INSPECTOR, at=at)
    assert outsider.value.failures[0].rule == "inspector_not_in_assigned_team"
    done = world.app.execute(attach("inspection", nomination_id=other, name="v.pdf"), leader, at=at)
    assert done["attached"] is True
