"""The printed documents over HTTP (issue 22, item 5), on both stores: the 申报表, the 表彰决定
and the 荣誉证书 as PDF — their text read back with pypdf holds the Chinese names and the
verification code, their only font is an embedded subset, and a page of each is rendered to PNG
with pdftoppm and kept under test-artifacts/documents/ ($LAUREL_TEST_ARTIFACTS to move it).
Then the codes: a granted title's verifies over HTTP and on the public page without a token,
an altered one is 404, a revoked title shows revoked with its date, and the codes recomputed
from the audit export alone match the printed one. A declarer of another township reads
neither the 申报表 nor the certificate; no font installed is a 503 naming the package."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from api.evidence_files import attach
from domain.commands import IssueToken, Revoke
from domain.evidence import sha256_of
from tests.builders.actors import ADMIN, CITY_REVIEWER, declarer_of
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import Server, problem, serve_in_process
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import CampaignRef, World
from tests.unit.test_verification_codes import recomputed

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LAUREL_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "documents"
PUBLIC_URL = "https://laurel.example.org"
SCAN = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CODE = re.compile(r"LRL-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
SECOND_VILLAGE = "houshuang-cun"  # 后双村


@dataclass
class Site:
    server: Server
    world: World
    campaign: CampaignRef
    nomination: str  # 前双村远教站点, with a scanned form attached
    second: str  # 后双村远教站点
    tokens: dict[str, str]

    def commend(self) -> None:
        self.world.commend(self.campaign)
        self.server.services.views.catch_up()  # the title register the codes are looked up in


@contextmanager
def inspected_site(database_url: str, home: Path, **settings: object) -> Iterator[Site]:
    """Seed 000's campaign, two village sites inspected (one with a scanned form attached),
    not yet commended."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    settings = {"home_dir": home, "public_url": PUBLIC_URL, **settings}
    with serve_in_process(database_url, clock, **settings) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        nomination = world.declare(campaign, VILLAGE)
        attach(
            server.services, declarer_of(TOWNSHIP), nomination, "declaration", SCAN, "申报表扫描件.pdf"
        )
        world.admit(campaign, nomination)
        world.inspect(campaign, nomination, 95)
        second = world.inspected(campaign, SECOND_VILLAGE, 90)
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)["token"]
            for name, role, unit in (
                ("declarer", "declarer", TOWNSHIP),
                ("stranger", "declarer", OTHER_TOWNSHIP),
                ("reviewer", "reviewer", CITY),
            )
        }
        yield Site(server, world, campaign, nomination, second, tokens)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_fonts_embedded(data: bytes) -> set[str]:
    """Every font of every page is an embedded TrueType subset (``ABCDEF+Name`` with its
    FontFile2): nothing depends on the reader's fonts. Returns the fonts' names."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"]["/Font"]
        assert fonts, "a page without fonts"
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            assert re.match(r"^/[A-Z]{6}\+", name), f"{name} is not a subset"
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"{name} is not embedded"
            names.add(name.split("+", 1)[1])
    return names


def keep_page_png(data: bytes, name: str) -> Path:
    """The first page rendered with pdftoppm (poppler-utils, installed by scripts/setup), kept
    as a test artifact."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is missing: scripts/setup installs it")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-singlefile",
            "-f",
            "1",
            "-l",
            "1",
            str(source),
            str(ARTIFACTS / name),
        ],
        check=True,
        timeout=60,
    )
    png = ARTIFACTS / f"{name}.png"
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000
    return png


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@BACKENDS
def test_declaration_decision_and_certificate_as_pdf(database_url, tmp_path, request):
    backend = request.node.callspec.params["database_url"]
    with inspected_site(database_url, tmp_path) as site:
        reviewer = site.server.client(site.tokens["reviewer"])

        # the decision: nobody commended yet
        early = reviewer.get(f"/v1/campaigns/{site.campaign.id}/decision.pdf")
        assert problem(early, 409, "document-unavailable")["rule"] == "decision_needs_commended"
        uncommended = reviewer.get(f"/v1/nominations/{site.nomination}/certificate.pdf")
        assert problem(uncommended, 409, "document-unavailable")["rule"] == "certificate_needs_title"

        # the 申报表, read by its declarer: names, unit path, form material, the file's hash
        declarer = site.server.client(site.tokens["declarer"])
        form = declarer.get(f"/v1/nominations/{site.nomination}/declaration.pdf")
        assert form.status_code == 200, form.text
        assert form.headers["content-type"] == "application/pdf"
        text = pdf_text(form.content)
        for expected in (
            "申 报 表",
            "前双村远教站点",
            "示范市 宜君县 彭镇 前双村",
            "远程教育“五好站点”",
        ):
            assert expected in text, expected
        assert "申报表扫描件.pdf" in text and sha256_of(SCAN) in compact(text)
        assert "典型材料" in text and "已考核" in text
        assert assert_fonts_embedded(form.content) == {"WenQuanYiMicroHei-0"}
        keep_page_png(form.content, f"declaration-{backend}")

        site.commend()

        # the decision: both commended, in rank order, under their category
        decision = reviewer.get(f"/v1/campaigns/{site.campaign.id}/decision.pdf")
        assert decision.status_code == 200, decision.text
        text = pdf_text(decision.content)
        assert "关于" in text and "表彰结果的决定" in text and "示范市" in text
        assert text.index("前双村远教站点") < text.index("后双村远教站点")  # 95 before 90
        assert "2022年11月15日" in text  # the commendation's day in Asia/Shanghai
        assert_fonts_embedded(decision.content)
        keep_page_png(decision.content, f"decision-{backend}")

        # the certificate: holder, title, organiser, date, the code and where to verify it
        certificate = declarer.get(f"/v1/nominations/{site.nomination}/certificate.pdf")
        assert certificate.status_code == 200, certificate.text
        text = pdf_text(certificate.content)
        codes = CODE.findall(text)
        assert codes, text
        code = codes[0]
        for expected in (
            "荣 誉 证 书",
            "前双村远教站点",
            "远程教育“五好站点”",
            "示范市",
            "2022年11月15日",
        ):
            assert expected in text, expected
        assert f"{PUBLIC_URL}/verify/{code}" in text
        assert code in certificate.headers["content-disposition"]
        assert_fonts_embedded(certificate.content)
        keep_page_png(certificate.content, f"certificate-{backend}")
        # and on the 申报表 now printed again
        assert code in pdf_text(
            declarer.get(f"/v1/nominations/{site.nomination}/declaration.pdf").content
        )


@BACKENDS
def test_codes_verify_publicly_altered_is_404_revoked_shows_revoked(database_url, tmp_path):
    with inspected_site(database_url, tmp_path) as site:
        site.commend()
        reviewer = site.server.client(site.tokens["reviewer"])
        text = pdf_text(reviewer.get(f"/v1/nominations/{site.nomination}/certificate.pdf").content)
        code = CODE.findall(text)[0]
        anonymous = site.server.client(None)

        # over the API, without a token
        found = anonymous.get(f"/v1/titles/verify/{code}")
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["status"] == "active" and body["holder_name"] == "前双村远教站点"
        assert body["category"]["zh"] == "远程教育“五好站点”" and body["organiser"]["zh"] == "示范市"
        assert body["granted_on"] == "2022-11-15" and body["revoked_on"] is None
        assert set(body) <= {
            "code",
            "status",
            "status_zh",
            "holder_name",
            "category",
            "campaign",
            "organiser",
            "granted_on",
            "revoked_on",
            "revocation",
            "verify_path",
        }  # what the certificate shows, nothing of the nomination's file
        typed = code.lower().replace("-", "")[3:]  # as a person may type it
        assert anonymous.get(f"/v1/titles/verify/{typed}").json()["code"] == code

        # on the public page, and through its form
        page = anonymous.get(f"/verify/{code}")
        assert page.status_code == 200 and 'data-status="active"' in page.text
        assert "前双村远教站点" in page.text
        sent = anonymous.get("/verify", params={"code": typed})
        assert sent.status_code == 303 and sent.headers["location"] == f"/verify/{code}"
        assert anonymous.get("/verify").status_code == 200

        # one character altered: no title carries it
        last = code[-1]
        altered = code[:-1] + ("0" if last != "0" else "1")
        problem(anonymous.get(f"/v1/titles/verify/{altered}"), 404, "verification-code-not-found")
        problem(anonymous.get("/v1/titles/verify/not-a-code"), 404, "verification-code-not-found")
        missing = anonymous.get(f"/verify/{altered}")
        assert missing.status_code == 404 and 'data-testid="verify-missing"' in missing.text

        # the title revoked: the code still verifies, as revoked, with the date
        site.server.services.app.execute(
            Revoke(nomination_id=site.nomination, reason="站点设备长期停用 / equipment idle"),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.after_commendation,
        )
        revoked = anonymous.get(f"/v1/titles/verify/{code}").json()
        assert revoked["status"] == "revoked" and revoked["revoked_on"] == "2022-12-01"
        assert revoked["revocation"] == {"zh": "决定撤销", "en": "Decision"}
        page = anonymous.get(f"/verify/{code}")
        assert 'data-status="revoked"' in page.text and "2022-12-01" in page.text
        # its certificate is no longer printed
        refused = reviewer.get(f"/v1/nominations/{site.nomination}/certificate.pdf")
        assert problem(refused, 409, "document-unavailable")["rule"] == "certificate_title_in_force"

        # the auditor: every code recomputed from the audit export alone matches the printed one
        site.server.services.views.catch_up()
        commended = [
            r for r in site.server.services.views.export() if r["type"] == "nomination.commended"
        ]
        assert len(commended) == 2
        recomputed_codes = {
            r["subject"]: recomputed(r["subject"], r["version"], r["state"]) for r in commended
        }
        assert recomputed_codes[site.nomination] == code


@BACKENDS
def test_a_declarer_of_another_township_reads_neither_document(database_url, tmp_path):
    with inspected_site(database_url, tmp_path) as site:
        site.commend()
        stranger = site.server.client(site.tokens["stranger"])
        for document in ("declaration", "certificate"):
            response = stranger.get(f"/v1/nominations/{site.nomination}/{document}.pdf")
            assert problem(response, 403)["type"] in {
                "urn:laurel:problem:outside-jurisdiction",
                "urn:laurel:problem:role-not-allowed",
            }
        problem(site.server.client(None).get(f"/v1/nominations/{site.nomination}/declaration.pdf"), 401)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_font_is_a_503_naming_the_package_and_checks_are_limited(database_url, tmp_path):
    with inspected_site(
        database_url, tmp_path, pdf_font=str(tmp_path / "none.ttf"), verify_limit="3/minute"
    ) as site:
        site.commend()
        reviewer = site.server.client(site.tokens["reviewer"])
        body = problem(
            reviewer.get(f"/v1/nominations/{site.nomination}/declaration.pdf"), 503, "pdf-font-missing"
        )
        assert body["package"] == "fonts-wqy-microhei" and "none.ttf" in body["detail"]
        assert "LAUREL_PDF_FONT" in body["detail"] and "字体" in body["detail_zh"]
        anonymous = site.server.client(None)
        answers = [anonymous.get("/v1/titles/verify/LRL-0000-0000-0000").status_code for _ in range(3)]
        assert answers == [404, 404, 404]
        throttled = anonymous.get("/v1/titles/verify/LRL-0000-0000-0000")
        assert (
            problem(throttled, 429, "too-many-requests") and int(throttled.headers["retry-after"]) >= 1
        )
        assert anonymous.get("/verify/LRL-0000-0000-0000").status_code == 429


@pytest.mark.slow  # five `laurel` processes
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_prints_verifies_and_recomputes_from_an_export(database_url, tmp_path):
    with inspected_site(database_url, tmp_path) as site:
        site.commend()
        certificate = tmp_path / "certificate.pdf"
        printed = laurel(
            database_url, tmp_path, "print", "certificate", site.nomination, "-o", str(certificate)
        )
        assert printed.returncode == 0, printed.stderr
        code = CODE.findall(pdf_text(certificate.read_bytes()))[0]
        assert code in printed.stderr
        decision = tmp_path / "decision.pdf"
        result = laurel(
            database_url, tmp_path, "print", "decision", site.campaign.id, "-o", str(decision)
        )
        assert result.returncode == 0 and "后双村远教站点" in pdf_text(decision.read_bytes())

        checked = laurel(database_url, tmp_path, "titles", "verify", code.lower())
        assert checked.returncode == 0, checked.stderr
        assert json.loads(checked.stdout)["holder_name"] == "前双村远教站点"
        unknown = laurel(database_url, tmp_path, "titles", "verify", "LRL-0000-0000-0000")
        assert unknown.returncode == 2 and "verification code" in unknown.stdout + unknown.stderr

        export = tmp_path / "audit.jsonl"
        assert laurel(database_url, tmp_path, "audit", "export", "-o", str(export)).returncode == 0
        codes = laurel(database_url, tmp_path, "titles", "codes", str(export))
        assert codes.returncode == 0, codes.stderr
        assert f"{site.nomination}\t" in codes.stdout and code in codes.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_pages_link_the_documents(database_url, tmp_path):
    with inspected_site(database_url, tmp_path) as site:
        declarer = site.server.client(site.tokens["declarer"])  # a script may read a page so
        page = declarer.get(f"/ui/nominations/{site.nomination}").text
        assert f'href="/v1/nominations/{site.nomination}/declaration.pdf"' in page
        assert "certificate.pdf" not in page  # no title yet
        site.commend()
        page = declarer.get(f"/ui/nominations/{site.nomination}").text
        assert f'href="/v1/nominations/{site.nomination}/certificate.pdf"' in page
        titles = declarer.get(f"/ui/units/{TOWNSHIP}/titles").text
        assert f'href="/v1/nominations/{site.nomination}/certificate.pdf"' in titles
        reviewer = site.server.client(site.tokens["reviewer"])
        organiser = reviewer.get(f"/ui/organise/campaigns/{site.campaign.id}/titles").text
        assert f'href="/v1/nominations/{site.second}/certificate.pdf"' in organiser
        dashboard = reviewer.get(f"/ui/campaigns/{site.campaign.id}")
        assert dashboard.status_code == 200, dashboard.text[:300]
        assert f'href="/v1/campaigns/{site.campaign.id}/decision.pdf"' in dashboard.text
        # the browser's session reads the PDF its page links to (a safe read, like the API's)
        assert declarer.get(f"/v1/nominations/{site.nomination}/certificate.pdf").status_code == 200
