"""Evidence files over HTTP (issue 22, item 4), on both stores (a directory of blobs beside
SQLite, a table in PostgreSQL's schema): upload, list, download verified against the hash, an
image's thumbnail; a forbidden type or an oversize file refused with nothing stored; the same
file attached twice stored once; a byte flipped in the blob store refused at download and caught
by ``laurel audit verify --files``."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from domain.commands import IssueToken
from domain.evidence import sha256_of
from infra.blob_store import BlobStore, DirectoryBlobStore, PostgresBlobStore
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import Server, problem, serve_in_process
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import World

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LIMIT = 64 << 10  # a small limit, so that an oversize file stays small


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Site:
    server: Server
    clock: Clock
    world: World
    nomination: str
    tokens: dict[str, str]
    home: Path

    @property
    def blobs(self) -> BlobStore:
        return self.server.services.blobs

    def url(self, nomination: str | None = None) -> str:
        return f"/v1/nominations/{nomination or self.nomination}/evidence"


@contextmanager
def declared_site(database_url: str, home: Path, **extra: object) -> Iterator[Site]:
    """A seed-000 campaign in its declaration phase, 前双村's site declared by its township."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    settings = {"home_dir": home, "max_evidence_bytes": LIMIT, **extra}
    with serve_in_process(database_url, clock, **settings) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        nomination = world.declare(campaign, VILLAGE)
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)["token"]
            for name, role, unit in (
                ("declarer", "declarer", TOWNSHIP),
                ("stranger", "declarer", OTHER_TOWNSHIP),
                ("reviewer", "reviewer", CITY),
                ("inspector", "inspector", CITY),
            )
        }
        yield Site(server, clock, world, nomination, tokens, home)


def flip_a_byte(blobs: BlobStore, sha256: str) -> None:
    """Alters the stored bytes behind the store's back, as a disk fault or an intruder would."""
    if isinstance(blobs, DirectoryBlobStore):
        path = blobs.path_of(sha256)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
        return
    assert isinstance(blobs, PostgresBlobStore)
    with blobs.db.transaction() as sql:
        sql.execute(
            f"UPDATE {blobs.table} SET data = overlay(data placing '\\x00'::bytea from 10 for 1) "
            "WHERE sha256 = ?",
            (sha256,),
        )


@BACKENDS
def test_upload_list_download_and_refusals(database_url, tmp_path):
    with declared_site(database_url, tmp_path) as site:
        declarer = site.server.client(site.tokens["declarer"])
        form = {"kind": "declaration"}
        files = {"file": ("C:\\scans\\申报表.pdf", PDF, "image/png")}  # the client's type is ignored
        first = declarer.post(site.url(), data=form, files=files)
        assert first.status_code == 201, first.text
        body = first.json()
        entry = body["evidence"]
        assert body["attached"] is True and body["version"] == 2
        assert entry["sha256"] == sha256_of(PDF) and entry["size"] == len(PDF)
        assert entry["media_type"] == "application/pdf" and entry["name"] == "申报表.pdf"
        assert entry["uploaded_by"]["unit_id"] == TOWNSHIP and entry["thumbnail"] is None

        # the same file again: recorded and stored once
        again = declarer.post(site.url(), data=form, files=files)
        assert again.status_code == 200 and again.json()["attached"] is False
        assert list(site.blobs.hashes()) == [sha256_of(PDF)]

        # a photo: its thumbnail stored beside it, both by hash
        shot = photo()
        pic = declarer.post(site.url(), data=form, files={"file": ("site.jpg", shot, "text/plain")})
        assert pic.status_code == 201, pic.text
        pic_entry = pic.json()["evidence"]
        assert pic_entry["media_type"] == "image/jpeg" and pic_entry["thumbnail_sha256"]
        assert set(site.blobs.hashes()) == {
            sha256_of(PDF),
            sha256_of(shot),
            pic_entry["thumbnail_sha256"],
        }
        stored = set(site.blobs.hashes())

        # refused: a forbidden type (422), too large (413, by the rule or by the body's size),
        # by someone not the declarer (403) — and nothing stored by any of them
        exe = declarer.post(
            site.url(),
            data=form,
            files={"file": ("form.pdf", b"MZ\x90\x00" + b"\x00" * 300, "application/pdf")},
        )
        failure = problem(exe, 422, "evidence-invalid")["failures"][0]
        assert failure["rule"] == "evidence_media_type" and failure["field"] == "file"
        assert "PDF" in failure["message_zh"]
        big = PDF + b"%" * (LIMIT + 10)
        too_big = declarer.post(
            site.url(), data=form, files={"file": ("big.pdf", big, "application/pdf")}
        )
        assert problem(too_big, 413, "evidence-too-large")["failures"][0]["rule"] == "evidence_max_bytes"
        huge = declarer.post(
            site.url(),
            data=form,
            files={"file": ("huge.pdf", PDF + b"%" * (3 * LIMIT), "application/pdf")},
        )
        assert problem(huge, 413, "payload-too-large")["failures"][0]["rule"] == "body_max_bytes"
        other_pdf = PDF + b"% another scan\n"
        stranger = site.server.client(site.tokens["stranger"])
        refused = stranger.post(
            site.url(), data=form, files={"file": ("x.pdf", other_pdf, "application/pdf")}
        )
        problem(refused, 403)
        inspection_early = site.server.client(site.tokens["inspector"]).post(
            site.url(),
            data={"kind": "inspection"},
            files={"file": ("x.pdf", other_pdf, "application/pdf")},
        )
        problem(inspection_early, 409)  # not admitted, and the inspection phase is not open
        assert set(site.blobs.hashes()) == stored

        # list and download, as any reader of the nomination
        reviewer = site.server.client(site.tokens["reviewer"])
        listed = reviewer.get(site.url())
        assert listed.status_code == 200, listed.text
        assert [i["name"] for i in listed.json()["items"]] == ["申报表.pdf", "site.jpg"]
        got = reviewer.get(entry["download"])
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert "attachment" in got.headers["content-disposition"]
        thumb = reviewer.get(pic_entry["thumbnail"])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert sha256_of(thumb.content) == pic_entry["thumbnail_sha256"]
        problem(stranger.get(site.url()), 403)
        problem(reviewer.get(f"{site.url()}/{'0' * 64}"), 404, "evidence-not-found")

        # the same bytes on another nomination: a new event, the same single blob
        second = site.world.declare(site.world.campaign(), VILLAGE)
        elsewhere = declarer.post(site.url(second), data=form, files=files)
        assert elsewhere.status_code == 201, elsewhere.text
        assert set(site.blobs.hashes()) == stored

        # a byte flipped in storage: the download refuses (409, not a 500) naming the hash
        flip_a_byte(site.blobs, sha256_of(PDF))
        broken = problem(reviewer.get(entry["download"]), 409, "evidence-corrupt")
        assert broken["sha256"] == sha256_of(PDF)
        # the audit export lists every file's hash
        exported = [r for r in site.server.services.views.export() if r.get("files")]
        assert {f["sha256"] for r in exported for f in r["files"]} == stored


@pytest.mark.slow
@BACKENDS
def test_audit_verify_files_catches_a_flipped_byte(database_url, tmp_path):
    with declared_site(database_url, tmp_path) as site:
        declarer = site.server.client(site.tokens["declarer"])
        posted = declarer.post(
            site.url(),
            data={"kind": "declaration"},
            files={"file": ("form.pdf", PDF, "application/pdf")},
        )
        assert posted.status_code == 201, posted.text
        intact = laurel(database_url, tmp_path, "audit", "verify", "--files")
        assert intact.returncode == 0, intact.stderr
        assert "evidence files intact" in intact.stderr
        out = tmp_path / "copy.pdf"
        got = laurel(database_url, tmp_path, "evidence", "get", sha256_of(PDF), "-o", str(out))
        assert got.returncode == 0, got.stderr
        assert out.read_bytes() == PDF

        # a blob no event names (an upload whose process died before recording it)
        stray, _ = site.blobs.put(PDF + b"% stray\n")
        kept = laurel(database_url, tmp_path, "evidence", "orphans")  # an hour's grace: too young
        assert kept.returncode == 0 and stray not in kept.stdout, kept.stderr
        listed = laurel(database_url, tmp_path, "evidence", "orphans", "--grace", "0")
        assert listed.stdout.split() == [stray], listed.stderr
        removed = laurel(database_url, tmp_path, "evidence", "orphans", "--grace", "0", "--remove")
        assert removed.returncode == 0 and "1 orphan blob(s) removed" in removed.stderr
        assert set(site.blobs.hashes()) == {sha256_of(PDF)}

        flip_a_byte(site.blobs, sha256_of(PDF))
        broken = laurel(database_url, tmp_path, "audit", "verify", "--files")
        assert broken.returncode == 1, broken.stderr
        assert "evidence file broken" in broken.stderr and sha256_of(PDF) in broken.stderr
        refused = laurel(database_url, tmp_path, "evidence", "get", sha256_of(PDF), "-o", str(out))
        assert refused.returncode == 2 and "altered" in refused.stdout + refused.stderr


def hidden(html: str, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*data-testid="{form_id}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def test_the_pages_list_and_upload(tmp_path):
    with declared_site(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", tmp_path) as site:
        page = f"/ui/nominations/{site.nomination}/evidence"
        with site.server.client(None) as browser:
            assert login(browser, site.tokens["declarer"]).status_code == 303
            empty = browser.get(page)
            assert empty.status_code == 200 and 'data-testid="evidence-none"' in empty.text
            origin = {"Origin": own_origin(browser)}
            fields = hidden(empty.text, "evidence-form")
            sent = browser.post(
                page, data=fields, files={"file": ("签到表.pdf", PDF, "application/pdf")}, headers=origin
            )
            assert sent.status_code == 303, sent.text
            listed = browser.get(page)
            assert "签到表.pdf" in listed.text and sha256_of(PDF)[:12] in listed.text
            got = browser.get(f"{page}/{sha256_of(PDF)}")
            assert got.status_code == 200 and got.content == PDF
            shown = browser.get(f"/ui/nominations/{site.nomination}")  # the nomination links here
            assert shown.status_code == 200 and 'data-testid="evidence-link"' in shown.text
            assert f'href="{page}"' in shown.text and "申报材料: 1" in shown.text

            fields = hidden(listed.text, "evidence-form")
            bad = browser.post(
                page,
                data=fields,
                files={"file": ("x.pdf", b"<html>hi</html>", "application/pdf")},
                headers=origin,
            )
            assert bad.status_code == 422
            assert "文件内容须为" in bad.text and 'data-field="file"' in bad.text
        assert list(site.blobs.hashes()) == [sha256_of(PDF)]


def test_only_a_token_or_a_live_session_may_send_a_file_sized_body(tmp_path):
    """The evidence limit (here 64 KB and its multipart overhead) is above the JSON limit (set
    to 16 KB): a page upload without a session is held to the JSON limit before its body is
    read, so an anonymous client cannot make the server hold a file-sized body."""
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    with declared_site(url, tmp_path, max_body_bytes=16 << 10) as site:
        page = f"/ui/nominations/{site.nomination}/evidence"
        scan = PDF + b"%" * (40 << 10)  # 40 KB: over the JSON limit, within the evidence one
        with site.server.client(None) as anonymous:
            refused = anonymous.post(page, files={"file": ("scan.pdf", scan, "application/pdf")})
            assert problem(refused, 413, "payload-too-large")["failures"][0]["rule"] == "body_max_bytes"
            elsewhere = anonymous.post(
                "/ui/nominations/x/evidence/more", files={"file": ("s.pdf", scan, "application/pdf")}
            )
            assert elsewhere.status_code == 413
        with site.server.client(None) as browser:
            assert login(browser, site.tokens["declarer"]).status_code == 303
            fields = hidden(browser.get(page).text, "evidence-form")
            sent = browser.post(
                page,
                data=fields,
                files={"file": ("scan.pdf", scan, "application/pdf")},
                headers={"Origin": own_origin(browser)},
            )
            assert sent.status_code == 303, sent.text
        token = site.server.client(site.tokens["declarer"])
        by_token = token.post(
            site.url(),
            data={"kind": "declaration"},
            files={"file": ("scan2.pdf", scan + b"2", "application/pdf")},
        )
        assert by_token.status_code == 201, by_token.text
