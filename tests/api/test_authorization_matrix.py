"""The authorization matrix: every endpoint × every principal, asserting the EXACT status.

A principal is a role with a token whose unit lies inside or outside the jurisdiction of the
request's target (plus no token and an unknown token). The targets all live in shifan-shi's tree:

    shifan-shi > yijun-xian > peng-zhen (qianshuang-cun, houshuang-cun), qipan-zhen (mazhuang-cun)
    linyuan-shi > taoyuan-xian > zhangjia-zhen (lijia-cun)                        (the "outside" world)

    admin     global = the bootstrap admin token (no unit: everywhere)
              inside = admin@shifan-shi        outside = admin@linyuan-shi
    declarer  inside = declarer@peng-zhen     outside = declarer@qipan-zhen (a sibling township:
              the shifan-shi campaigns cover it, peng-zhen's nominations do not)
              foreign = declarer@zhangjia-zhen (no shifan-shi campaign covers it)
    reviewer  inside = reviewer@shifan-shi     outside = reviewer@linyuan-shi
    inspector inside = inspector@shifan-shi    outside = inspector@linyuan-shi
    auditor   global = an auditor without a unit (of the root: reads everything)
              inside = auditor@shifan-shi      outside = auditor@linyuan-shi
              (reads its subtree, writes nothing)

Rules (domain/rules/jurisdiction.py): admin manages
units, campaigns and tokens in its subtree; declarer declares and withdraws for nominations
whose declaring unit and nominee lie in its subtree; reviewer pre-reviews, commends,
revokes, forwards and extends deadlines for campaigns organised in its subtree; inspector
inspects and re-inspects for those; auditor reads its subtree and writes nothing (an auditor
without a unit reads everything, the whole audit log and its export). No token (or an unknown
one) is 401; a wrong role or a target outside the subtree is 403.

Phase gating uses the wall clock, so each campaign is created over HTTP with ``starts_at``
and ``durations`` such that the phase a step needs is open now; the states a step needs are
prepared through the application with ``at=`` instants inside the (past) earlier phases.
Every write case gets a fresh target, so a request that passes authorization succeeds
(2xx) and no case depends on another. Cases marked xfail(strict) assert the behaviour the
rules call for where the API currently differs (reason starts with "BUG").
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.evidence_files import attach
from api.tabular import XLSX
from domain.commands import (
    AddContact,
    AssignToTeam,
    Commend,
    CreateCampaign,
    Declare,
    FormTeam,
    Inspect,
    IssueToken,
    PreReview,
    RegisterUnit,
    RemoveContact,
)
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.backends import BACKENDS, backend_url
from tests.builders.calendars import weekends_only
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.http import ADMIN_TOKEN, Server, serve_in_process
from tests.builders.http_world import register_units
from tests.builders.material import material_of
from tests.builders.tree import (
    CITY,
    COUNTY,
    NEIGHBOUR_TREE,
    OTHER_TOWNSHIP,
    OTHER_TOWNSHIP_VILLAGE,
    TOWNSHIP,
    UNIT_TREE,
    VILLAGE,
)

PROBLEM = "application/problem+json"
FORBIDDEN_TYPES = {"urn:laurel:problem:role-not-allowed", "urn:laurel:problem:outside-jurisdiction"}
PHASES = ("declaration", "pre_review", "inspection", "commendation")
HOUR = timedelta(hours=1)
DAY = 86400
CATEGORY = "five_good_site"
METHODS = ["document_review", "site_visit"]
NOMINATION_COLUMNS = [
    "category",
    "declaring_unit_id",
    "nominee_kind",
    "nominee_unit_id",
    "nominee_name",
    "nominee_person_id",
    "material",
]

MATRIX_UNITS = {CITY, COUNTY, TOWNSHIP, VILLAGE, "houshuang-cun", OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE}
UNITS = (*(row for row in UNIT_TREE if row.code in MATRIX_UNITS), *NEIGHBOUR_TREE)


# --- principals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    role: str
    place: str = ""
    unit_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.role}-{self.place}" if self.place else self.role

    @property
    def authenticated(self) -> bool:
        return self.role not in ("anonymous", "bad-token")


PRINCIPALS = (
    Principal("admin", "global"),  # the bootstrap admin token: no unit, everywhere
    Principal("admin", "inside", "shifan-shi"),
    Principal("admin", "outside", "linyuan-shi"),
    Principal("declarer", "inside", "peng-zhen"),
    Principal("declarer", "outside", "qipan-zhen"),
    Principal("declarer", "foreign", "zhangjia-zhen"),
    Principal("reviewer", "inside", "shifan-shi"),
    Principal("reviewer", "outside", "linyuan-shi"),
    Principal("inspector", "inside", "shifan-shi"),
    Principal("inspector", "outside", "linyuan-shi"),
    Principal("auditor", "global"),
    Principal("auditor", "inside", "shifan-shi"),
    Principal("auditor", "outside", "linyuan-shi"),
    Principal("anonymous"),
    Principal("bad-token"),
)
AUTHENTICATED = frozenset(p.key for p in PRINCIPALS if p.authenticated)
# Read a shifan-shi campaign: root readers; admins/reviewers/inspectors/auditors when shifan-shi lies
# in their subtree; declarers when the campaign covers their unit (qipan-zhen is covered too).
CAMPAIGN_READERS = frozenset(
    {
        "admin-global",
        "admin-inside",
        "declarer-inside",
        "declarer-outside",
        "reviewer-inside",
        "inspector-inside",
        "auditor-global",
        "auditor-inside",
    }
)
# Read a nomination declared by peng-zhen in a shifan-shi campaign: declarers only within peng-zhen.
NOMINATION_READERS = CAMPAIGN_READERS - {"declarer-outside"}
ADMINS_INSIDE = frozenset({"admin-global", "admin-inside"})
# A unit and its records (roll-up, subtree listing): tokens of the unit or of a unit above it,
# and root readers; a sibling township's token reads neither.
TOWN_1_RECORD_READERS = frozenset(
    {
        "admin-global",
        "admin-inside",
        "declarer-inside",
        "reviewer-inside",
        "inspector-inside",
        "auditor-global",
        "auditor-inside",
    }
)
# The whole audit log, its export and the whole title register span every jurisdiction.
WHOLE_LOG_READERS = frozenset({"admin-global", "auditor-global"})
# The audit events: admins and auditors, each seeing its subtree's entries (root: all).
AUDIT_READERS = frozenset(
    {
        "admin-global",
        "admin-inside",
        "admin-outside",
        "auditor-global",
        "auditor-inside",
        "auditor-outside",
    }
)
AUDIT_SEES_CITY_1 = frozenset({"admin-global", "admin-inside", "auditor-global", "auditor-inside"})
# Tokens: admins list their subtree's; root readers every token.
TOKEN_LISTERS = frozenset({"admin-global", "admin-inside", "admin-outside", "auditor-global"})


# --- the world ----------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def phase_plan(current: str, now: datetime) -> tuple[datetime, dict[str, int], list[datetime]]:
    """starts_at, durations and the opening instants of a campaign whose ``current`` phase
    opened ten minutes ago and stays open a day; each earlier phase lasted an hour."""
    k = PHASES.index(current)
    starts_at = now - k * HOUR - timedelta(minutes=10)
    durations = {code: 3600 if i < k else DAY for i, code in enumerate(PHASES)}
    opens = [starts_at + i * HOUR for i in range(k + 1)]
    return starts_at, durations, opens


@dataclass
class Campaign:
    id: str
    opens: list[datetime]  # opening instant of each phase up to the current one


@dataclass
class Matrix:
    server: Server
    now: datetime
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    shared_nomination: str = ""
    matrix_token_ids: dict[str, str] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def app(self) -> Any:
        return self.server.services.app

    def unique(self) -> int:
        return next(self.counter)

    def client(self, principal: Principal) -> httpx.Client:
        return self.clients[principal.key]

    def create_campaign(self, current: str, organiser: str = "shifan-shi", **extra: Any) -> Campaign:
        """Over HTTP, as the bootstrap admin, with ``current`` open now."""
        starts_at, durations, opens = phase_plan(current, datetime.now(UTC))
        body = {
            "template": "five-good-sites",
            "organiser_unit_id": organiser,
            "starts_at": iso(starts_at),
            "durations": durations,
            **extra,
        }
        response = self.clients["root"].post("/v1/campaigns", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["current_phase"] == current
        return Campaign(response.json()["id"], opens)

    def fresh_campaign(self, current: str) -> Campaign:
        """Directly through the application (faster), with ``current`` open now."""
        starts_at, durations, opens = phase_plan(current, datetime.now(UTC))
        result = self.app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id="shifan-shi",
                starts_at=starts_at,
                durations=durations,
                quotas={CATEGORY: None},
            ),
            ADMIN,
        )
        return Campaign(str(result["id"]), opens)

    def nomination(self, campaign: Campaign | str, upto: str) -> str:
        """A fresh nomination (peng-zhen declares a site of qianshuang-cun) taken through the pipeline
        up to ``upto`` (declared, admitted, inspected, commended), each step at an instant
        inside the phase that step belongs to."""
        c = self.campaigns[campaign] if isinstance(campaign, str) else campaign
        n = self.unique()
        step = timedelta(minutes=5, milliseconds=n)
        nominee = {"kind": "site", "unit_id": "qianshuang-cun", "name": f"Matrix site {n} / 站点{n}"}
        nid = str(
            self.app.execute(
                Declare(
                    campaign_id=c.id,
                    category=CATEGORY,
                    declaring_unit_id="peng-zhen",
                    nominee=nominee,
                    form={},
                    material=material_of(900),
                ),
                declarer_of("peng-zhen"),
                at=c.opens[0] + step,
            )["id"]
        )
        if upto in ("admitted", "inspected", "commended"):
            self.app.execute(
                PreReview(
                    nomination_id=nid,
                    decision="admit",
                    reasons=["材料翔实 / thorough"],
                    checks=FIVE_PROTECTIONS_OK,
                ),
                CITY_REVIEWER,
                at=c.opens[1] + step,
            )
        if upto in ("inspected", "commended"):
            self.app.execute(
                Inspect(
                    nomination_id=nid,
                    methods=METHODS,
                    scores=site_scores(85),
                    checklist=SITE_CHECKLIST,
                    verdict="pass",
                ),
                CITY_INSPECTOR,
                at=c.opens[2] + step,
            )
        if upto == "commended":
            result = self.app.execute(
                Commend(campaign_id=c.id, category=CATEGORY), CITY_REVIEWER, at=c.opens[3] + step
            )
            assert [x["id"] for x in result["commended"]] == [nid]
        return nid

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def build_world(server: Server) -> Matrix:
    m = Matrix(server, datetime.now(UTC))
    root = m.clients["root"] = server.client(ADMIN_TOKEN)
    register_units(root, UNITS)
    for p in PRINCIPALS:
        if p.role == "anonymous":
            m.clients[p.key] = server.client(None)
        elif p.key == "admin-global":
            m.clients[p.key] = server.client(ADMIN_TOKEN)
            m.matrix_token_ids[p.key] = "bootstrap-admin"
        elif p.role == "bad-token":
            m.clients[p.key] = server.client("lrl_no_such_token_anywhere")
        else:
            response = root.post(
                "/v1/tokens", json={"role": p.role, "unit_id": p.unit_id, "label": f"matrix {p.key}"}
            )
            assert response.status_code == 201, response.text
            m.clients[p.key] = server.client(response.json()["token"])
            m.matrix_token_ids[p.key] = response.json()["id"]
    no_quota = {"quotas": {CATEGORY: None}}
    m.campaigns["declaring"] = m.create_campaign("declaration")
    m.campaigns["pre_reviewing"] = m.create_campaign("pre_review")
    m.campaigns["inspecting"] = m.create_campaign("inspection")
    m.campaigns["commending"] = m.create_campaign("commendation", **no_quota)
    # yijun-xian's campaign, forwarding to shifan-shi's campaign that is declaring now.
    m.campaigns["forwarding"] = m.create_campaign(
        "commendation",
        organiser="yijun-xian",
        parent_campaign_id=m.campaigns["declaring"].id,
        **no_quota,
    )
    m.shared_nomination = m.nomination("commending", "commended")
    return m


@pytest.fixture(scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """tests.conftest's ``database_url`` at module scope: one world per backend for the module."""
    with backend_url(
        request, getattr(request, "param", "sqlite"), tmp_path_factory.mktemp("authz")
    ) as url:
        yield url


@pytest.fixture(scope="module")
def matrix(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The API in process at module scope, with the world built (its 公示 periods counted on a
    calendar that covers the years around today, whatever today is)."""
    calendar = weekends_only(tmp_path_factory.mktemp("calendar"))
    with serve_in_process(database_url, holiday_calendar=calendar) as server:
        world = build_world(server)
        try:
            yield world
        finally:
            world.close()


# --- the endpoints ------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] | None = None
    check: Callable[[httpx.Response], bool | None] | None = None  # run on success; False fails
    visible: Callable[[httpx.Response], bool] | None = None  # list reads: is the target listed?


@dataclass(frozen=True)
class Endpoint:
    name: str
    build: Callable[[Matrix], Call]
    allowed: frozenset[str]  # principals for whom the request succeeds
    status: int = 200  # ... with this status
    rows_refused: frozenset[str] = frozenset()  # bulk imports: 200, each row refused with 403
    sees: frozenset[str] | None = None  # list reads: who finds the target in the result
    bugs: Mapping[str, str] = field(default_factory=dict)  # principal -> why the API differs

    def expected(self, principal: Principal) -> int:
        if not principal.authenticated:
            return 401
        if principal.key in self.allowed:
            return self.status
        if principal.key in self.rows_refused:
            return 200
        return 403


def _state(expected: str) -> Callable[[httpx.Response], None]:
    def check(response: httpx.Response) -> None:
        assert response.json()["state"] == expected, response.text

    return check


def _nomination_body(m: Matrix) -> dict[str, Any]:
    n = m.unique()
    return {
        "category": CATEGORY,
        "declaring_unit_id": "peng-zhen",
        "nominee": {
            "kind": "site",
            "unit_id": "houshuang-cun",
            "name": f"Declared site {n} / 申报站点{n}",
        },
        "form": {},
        "material": material_of(900),
    }


def _nominations_csv(m: Matrix) -> bytes:
    n = m.unique()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(NOMINATION_COLUMNS)
    writer.writerow(
        [
            CATEGORY,
            "peng-zhen",
            "site",
            "houshuang-cun",
            f"Imported site {n} / 导入站点{n}",
            "",
            material_of(900),
        ]
    )
    return out.getvalue().encode()


def _inspection() -> dict[str, Any]:
    return {
        "methods": METHODS,
        "scores": site_scores(88),
        "checklist": SITE_CHECKLIST,
        "verdict": "pass",
        "notes": "三簿一册记录规范 / registers kept",
    }


def templates_list(m: Matrix) -> Call:
    return Call(
        "GET", "/v1/templates", check=lambda r: {t["code"] for t in r.json()} >= {"five-good-sites"}
    )


def template_show(m: Matrix) -> Call:
    return Call("GET", "/v1/templates/five-good-sites")


def unit_create(m: Matrix) -> Call:
    n = m.unique()
    body = {
        "id": f"peng-zhen-u{n}-cun",
        "name": f"New village {n}",
        "name_zh": f"新村{n}",
        "level": "village",
        "parent_id": "peng-zhen",
    }
    return Call(
        "POST",
        "/v1/units",
        json=body,
        check=lambda r: r.json()["path"] == ["shifan-shi", "yijun-xian", "peng-zhen"],
    )


def unit_create_root(m: Matrix) -> Call:
    n = m.unique()
    return Call(
        "POST",
        "/v1/units",
        json={
            "id": f"city-r{n}",
            "name": f"New city {n}",
            "name_zh": f"新市{n}",
            "level": "city",
            "parent_id": None,
        },
    )


def unit_read(m: Matrix) -> Call:
    return Call("GET", "/v1/units/peng-zhen", check=lambda r: r.json()["id"] == "peng-zhen")


def units_list(m: Matrix) -> Call:
    return Call(
        "GET",
        "/v1/units?within=peng-zhen",
        check=lambda r: {u["id"] for u in r.json()["items"]} >= {"peng-zhen", "qianshuang-cun"},
    )


def unit_rename(m: Matrix) -> Call:
    n = m.unique()
    m.app.execute(
        RegisterUnit(
            code=f"peng-zhen-r{n}-cun",
            name=f"Village {n}",
            name_zh=f"旧村{n}",
            level="village",
            parent_id="peng-zhen",
        ),
        ADMIN,
    )
    body = {"name": f"Renamed {n}", "name_zh": f"新名村{n}", "reason": "村名规范 / official name"}
    return Call(
        "POST",
        f"/v1/units/peng-zhen-r{n}-cun/rename",
        json=body,
        check=lambda r: r.json()["name_zh"] == f"新名村{n}",
    )


def unit_move(m: Matrix) -> Call:
    n = m.unique()
    m.app.execute(
        RegisterUnit(
            code=f"peng-zhen-m{n}-cun",
            name=f"Village {n}",
            name_zh=f"迁村{n}",
            level="village",
            parent_id="peng-zhen",
        ),
        ADMIN,
    )
    body = {"parent_id": "qipan-zhen", "reason": "区划调整 / boundaries redrawn"}
    return Call(
        "POST",
        f"/v1/units/peng-zhen-m{n}-cun/move",
        json=body,
        check=lambda r: r.json()["path"] == ["shifan-shi", "yijun-xian", "qipan-zhen"],
    )


def units_import(m: Matrix) -> Call:
    n = m.unique()
    row = f"peng-zhen-i{n}-cun,Imported village {n},导入村{n},village,peng-zhen"
    body = f"id,name,name_zh,level,parent_id\n{row}\n".encode()
    return Call("POST", "/v1/units:import", content=body, headers={"Content-Type": "text/csv"})


def token_create(m: Matrix) -> Call:
    return Call(
        "POST",
        "/v1/tokens",
        json={"role": "declarer", "unit_id": "peng-zhen", "label": "matrix"},
        check=lambda r: r.json()["token"].startswith("lrl_"),
    )


def token_create_unscoped(m: Matrix) -> Call:
    return Call(
        "POST", "/v1/tokens", json={"role": "auditor", "unit_id": None, "label": "matrix unscoped"}
    )


def tokens_list(m: Matrix) -> Call:
    target = m.matrix_token_ids["declarer-inside"]
    return Call("GET", "/v1/tokens", visible=lambda r: target in {t["id"] for t in r.json()})


def token_revoke(m: Matrix) -> Call:
    fresh = m.app.execute(
        IssueToken(role="declarer", unit_id="peng-zhen", label="to be revoked"), ADMIN
    )["id"]
    return Call(
        "DELETE", f"/v1/tokens/{fresh}?reason=持有人调离", check=lambda r: r.json()["revoked"] is True
    )


def campaign_create(m: Matrix) -> Call:
    body = {
        "template": "five-good-sites",
        "organiser_unit_id": "shifan-shi",
        "starts_at": iso(m.now + timedelta(days=30)),
        "durations": dict.fromkeys(PHASES, DAY),
    }
    return Call(
        "POST", "/v1/campaigns", json=body, check=lambda r: r.json()["organiser_unit_id"] == "shifan-shi"
    )


def campaigns_list(m: Matrix) -> Call:
    target = m.campaigns["commending"].id
    return Call("GET", "/v1/campaigns", visible=lambda r: target in {c["id"] for c in r.json()})


def campaign_read(m: Matrix) -> Call:
    target = m.campaigns["commending"].id
    return Call("GET", f"/v1/campaigns/{target}", check=lambda r: r.json()["id"] == target)


def deadline_extension(m: Matrix) -> Call:
    campaign = m.fresh_campaign("declaration")
    closes_at = m.app.get_campaign(campaign.id).phase("declaration").closes_at + HOUR

    def check(r: httpx.Response) -> None:
        phase = next(p for p in r.json()["phases"] if p["code"] == "declaration")
        assert datetime.fromisoformat(phase["closes_at"]) == closes_at

    return Call(
        "POST",
        f"/v1/campaigns/{campaign.id}/phases/declaration/extension",
        json={"closes_at": iso(closes_at), "reason": "暴雨延误 / rainstorms"},
        check=check,
    )


def declare(m: Matrix) -> Call:
    return Call(
        "POST",
        f"/v1/campaigns/{m.campaigns['declaring'].id}/nominations",
        json=_nomination_body(m),
        check=_state("declared"),
    )


def nominations_import(m: Matrix) -> Call:
    return Call(
        "POST",
        f"/v1/campaigns/{m.campaigns['declaring'].id}/nominations:import",
        content=_nominations_csv(m),
        headers={"Content-Type": "text/csv"},
    )


def nominations_list(m: Matrix) -> Call:
    target = m.shared_nomination
    return Call(
        "GET",
        f"/v1/campaigns/{m.campaigns['commending'].id}/nominations?limit=500",
        visible=lambda r: target in {n["id"] for n in r.json()["items"]},
    )


def nomination_read(m: Matrix) -> Call:
    return Call("GET", f"/v1/nominations/{m.shared_nomination}", check=_state("commended"))


def nomination_history(m: Matrix) -> Call:
    return Call(
        "GET",
        f"/v1/nominations/{m.shared_nomination}/history",
        check=lambda r: r.json()[0]["type"] == "nomination.declared",
    )


def pre_review(m: Matrix) -> Call:
    nid = m.nomination("pre_reviewing", "declared")
    return Call(
        "POST",
        f"/v1/nominations/{nid}/pre-review",
        json={"decision": "admit", "reasons": [], "checks": FIVE_PROTECTIONS_OK},
        check=_state("admitted"),
    )


def inspect(m: Matrix) -> Call:
    nid = m.nomination("inspecting", "admitted")
    return Call(
        "POST", f"/v1/nominations/{nid}/inspections", json=_inspection(), check=_state("inspected")
    )


EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _multipart(fields: Mapping[str, str], data: bytes, name: str) -> tuple[bytes, dict[str, str]]:
    boundary = "matrix-evidence-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body = b"".join(parts) + head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _evidence_upload(m: Matrix, kind: str, nid: str) -> Call:
    data = EVIDENCE_PDF + f"% {m.unique()}\n".encode()  # a new file each case
    body, headers = _multipart({"kind": kind}, data, "申报表.pdf")
    return Call(
        "POST",
        f"/v1/nominations/{nid}/evidence",
        content=body,
        headers=headers,
        check=lambda r: r.json()["attached"] is True,
    )


def evidence_declaration(m: Matrix) -> Call:
    return _evidence_upload(m, "declaration", m.nomination("declaring", "declared"))


def evidence_inspection(m: Matrix) -> Call:
    return _evidence_upload(m, "inspection", m.nomination("inspecting", "admitted"))


def _with_evidence(m: Matrix) -> tuple[str, str]:
    """A nomination declared now with one file attached by its declarer: (id, sha256)."""
    nid = m.nomination("declaring", "declared")
    data = EVIDENCE_PDF + f"% read {m.unique()}\n".encode()
    result = attach(m.server.services, declarer_of("peng-zhen"), nid, "declaration", data, "a.pdf")
    return nid, result["evidence"]["sha256"]


def evidence_list(m: Matrix) -> Call:
    nid, sha256 = _with_evidence(m)
    return Call(
        "GET",
        f"/v1/nominations/{nid}/evidence",
        check=lambda r: [e["sha256"] for e in r.json()["items"]] == [sha256],
    )


def evidence_download(m: Matrix) -> Call:
    nid, sha256 = _with_evidence(m)
    return Call(
        "GET",
        f"/v1/nominations/{nid}/evidence/{sha256}",
        check=lambda r: r.content.startswith(b"%PDF"),
    )


def withdraw(m: Matrix) -> Call:
    nid = m.nomination("declaring", "declared")
    return Call(
        "POST",
        f"/v1/nominations/{nid}/withdrawal",
        json={"reason": "申报单位撤回 / withdrawn by the township"},
        check=_state("withdrawn"),
    )


def revoke(m: Matrix) -> Call:
    nid = m.nomination("commending", "commended")
    return Call(
        "POST",
        f"/v1/nominations/{nid}/revocation",
        json={"reason": "设备长期停用 / equipment idle"},
        check=_state("revoked"),
    )


def reinspect(m: Matrix) -> Call:
    nid = m.nomination("commending", "commended")
    return Call(
        "POST", f"/v1/nominations/{nid}/re-inspections", json=_inspection(), check=_state("commended")
    )


def forward(m: Matrix) -> Call:
    nid = m.nomination("forwarding", "commended")

    def check(r: httpx.Response) -> None:
        assert (
            r.json()["state"] == "forwarded"
            and r.json()["forwarded_to"]["campaign_id"] == m.campaigns["declaring"].id
        ), r.text

    return Call("POST", f"/v1/nominations/{nid}/forwarding", json={}, check=check)


def forward_selected(m: Matrix) -> Call:
    nid = m.nomination("forwarding", "inspected")
    return Call(
        "POST",
        f"/v1/campaigns/{m.campaigns['forwarding'].id}/forwardings",
        json={"category": CATEGORY, "nomination_ids": [nid]},
        check=lambda r: [f["id"] for f in r.json()["forwarded"]] == [nid],
    )


def forwarding_quotas(m: Matrix) -> Call:
    quotas = {"yijun-xian": {CATEGORY: 10_000}}
    return Call(
        "PUT",
        f"/v1/campaigns/{m.campaigns['declaring'].id}/forwarding-quotas",
        json={"quotas": quotas, "reason": "matrix"},
        check=lambda r: r.json()["forwarding_quotas"] == quotas,
    )


def next_year(m: Matrix) -> Call:
    previous = m.fresh_campaign("declaration")
    return Call(
        "POST",
        f"/v1/campaigns/{previous.id}/next-year",
        json={},
        check=lambda r: r.json()["previous_campaign_id"] == previous.id,
    )


def unit_titles(m: Matrix) -> Call:
    return Call("GET", "/v1/units/peng-zhen/titles", check=lambda r: isinstance(r.json(), list))


def commend(m: Matrix) -> Call:
    campaign = m.fresh_campaign("commendation")
    nid = m.nomination(campaign, "inspected")
    return Call(
        "POST",
        f"/v1/campaigns/{campaign.id}/commendations",
        json={"category": CATEGORY},
        check=lambda r: [c["id"] for c in r.json()["commended"]] == [nid],
    )


def commendations_xlsx(m: Matrix) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.headers["content-type"] == XLSX and r.content[:2] == b"PK"

    return Call("GET", f"/v1/campaigns/{m.campaigns['commending'].id}/commendations.xlsx", check=check)


def dashboard(m: Matrix) -> Call:
    target = m.campaigns["commending"].id
    return Call(
        "GET", f"/v1/campaigns/{target}/dashboard", check=lambda r: r.json()["campaign_id"] == target
    )


def ranking(m: Matrix) -> Call:
    return Call(
        "GET",
        f"/v1/campaigns/{m.campaigns['commending'].id}/ranking?category={CATEGORY}",
        check=lambda r: r.json()["category"] == CATEGORY,
    )


def rollup(m: Matrix) -> Call:
    return Call("GET", "/v1/units/peng-zhen/rollup", check=lambda r: r.json()["unit_id"] == "peng-zhen")


def campaign_titles(m: Matrix) -> Call:
    return Call(
        "GET",
        f"/v1/titles?campaign_id={m.campaigns['commending'].id}",
        check=lambda r: "items" in r.json(),
    )


def all_titles(m: Matrix) -> Call:
    return Call("GET", "/v1/titles", check=lambda r: "items" in r.json())


def audit_events(m: Matrix) -> Call:
    target = m.shared_nomination
    return Call(
        "GET",
        "/v1/audit/events?limit=1000",
        visible=lambda r: target in {e["subject"] for e in r.json()["items"]},
    )


def webhooks_list(m: Matrix) -> Call:
    return Call("GET", "/v1/webhooks", check=lambda r: isinstance(r.json(), list))


def audit_verify(m: Matrix) -> Call:
    return Call("GET", "/v1/audit/verify", check=lambda r: r.json()["ok"] is True)


def audit_export(m: Matrix) -> Call:
    return Call("GET", "/v1/audit/export", check=lambda r: r.text.startswith('{"position":1,'))


# --- printed documents (issue 22, item 5) ----------------------------------------------------


def _pdf(r: httpx.Response) -> bool:
    return r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")


def declaration_pdf(m: Matrix) -> Call:
    return Call("GET", f"/v1/nominations/{m.shared_nomination}/declaration.pdf", check=_pdf)


def certificate_pdf(m: Matrix) -> Call:
    return Call("GET", f"/v1/nominations/{m.shared_nomination}/certificate.pdf", check=_pdf)


def decision_pdf(m: Matrix) -> Call:
    return Call("GET", f"/v1/campaigns/{m.campaigns['commending'].id}/decision.pdf", check=_pdf)


ENDPOINTS = (
    Endpoint("GET /v1/templates", templates_list, AUTHENTICATED),
    Endpoint("GET /v1/templates/{code}", template_show, AUTHENTICATED),
    Endpoint("POST /v1/units", unit_create, ADMINS_INSIDE, 201),
    # A new root unit lies outside every scoped admin's subtree: only the unscoped admin.
    Endpoint("POST /v1/units (root)", unit_create_root, frozenset({"admin-global"}), 201),
    Endpoint("GET /v1/units/{id}", unit_read, TOWN_1_RECORD_READERS),
    Endpoint("GET /v1/units?within=", units_list, TOWN_1_RECORD_READERS),
    Endpoint("POST /v1/units/{id}/rename", unit_rename, ADMINS_INSIDE),
    Endpoint("POST /v1/units/{id}/move", unit_move, ADMINS_INSIDE),
    # A file placing a unit outside the admin's subtree is refused whole, before any row.
    Endpoint("POST /v1/units:import", units_import, ADMINS_INSIDE),
    Endpoint("POST /v1/tokens", token_create, ADMINS_INSIDE, 201),
    Endpoint("POST /v1/tokens (unscoped)", token_create_unscoped, frozenset({"admin-global"}), 201),
    Endpoint(
        "GET /v1/tokens",
        tokens_list,
        TOKEN_LISTERS,
        sees=frozenset({"admin-global", "admin-inside", "auditor-global"}),
    ),
    Endpoint("DELETE /v1/tokens/{id}", token_revoke, ADMINS_INSIDE),
    Endpoint("POST /v1/campaigns", campaign_create, ADMINS_INSIDE, 201),
    Endpoint("GET /v1/campaigns", campaigns_list, AUTHENTICATED, sees=CAMPAIGN_READERS),
    Endpoint("GET /v1/campaigns/{id}", campaign_read, CAMPAIGN_READERS),
    Endpoint(
        "POST /v1/campaigns/{id}/phases/{phase}/extension",
        deadline_extension,
        frozenset({"reviewer-inside"}),
    ),
    Endpoint("POST /v1/campaigns/{id}/nominations", declare, frozenset({"declarer-inside"}), 201),
    # declarer-outside may read the campaign, but the file declares for peng-zhen: refused whole,
    # up front.
    Endpoint(
        "POST /v1/campaigns/{id}/nominations:import", nominations_import, frozenset({"declarer-inside"})
    ),
    Endpoint(
        "GET /v1/campaigns/{id}/nominations", nominations_list, CAMPAIGN_READERS, sees=NOMINATION_READERS
    ),
    Endpoint("GET /v1/nominations/{id}", nomination_read, NOMINATION_READERS),
    Endpoint("GET /v1/nominations/{id}/history", nomination_history, NOMINATION_READERS),
    Endpoint("POST /v1/nominations/{id}/pre-review", pre_review, frozenset({"reviewer-inside"})),
    Endpoint("POST /v1/nominations/{id}/inspections", inspect, frozenset({"inspector-inside"})),
    Endpoint("POST /v1/nominations/{id}/withdrawal", withdraw, frozenset({"declarer-inside"})),
    Endpoint(
        "POST /v1/nominations/{id}/evidence (declaration)",
        evidence_declaration,
        frozenset({"declarer-inside"}),
        201,
    ),
    Endpoint(
        "POST /v1/nominations/{id}/evidence (inspection)",
        evidence_inspection,
        frozenset({"inspector-inside"}),
        201,
    ),
    Endpoint("GET /v1/nominations/{id}/evidence", evidence_list, NOMINATION_READERS),
    Endpoint("GET /v1/nominations/{id}/evidence/{sha256}", evidence_download, NOMINATION_READERS),
    Endpoint("POST /v1/nominations/{id}/revocation", revoke, frozenset({"reviewer-inside"})),
    Endpoint("POST /v1/nominations/{id}/re-inspections", reinspect, frozenset({"inspector-inside"})),
    Endpoint("POST /v1/nominations/{id}/forwarding", forward, frozenset({"reviewer-inside"})),
    Endpoint("POST /v1/campaigns/{id}/commendations", commend, frozenset({"reviewer-inside"})),
    Endpoint("POST /v1/campaigns/{id}/forwardings", forward_selected, frozenset({"reviewer-inside"})),
    Endpoint(
        "PUT /v1/campaigns/{id}/forwarding-quotas", forwarding_quotas, frozenset({"reviewer-inside"})
    ),
    Endpoint("POST /v1/campaigns/{id}/next-year", next_year, ADMINS_INSIDE, 201),
    Endpoint("GET /v1/units/{id}/titles", unit_titles, TOWN_1_RECORD_READERS),
    Endpoint("GET /v1/campaigns/{id}/commendations.xlsx", commendations_xlsx, CAMPAIGN_READERS),
    Endpoint("GET /v1/campaigns/{id}/dashboard", dashboard, CAMPAIGN_READERS),
    Endpoint("GET /v1/campaigns/{id}/ranking", ranking, CAMPAIGN_READERS),
    Endpoint("GET /v1/units/{id}/rollup", rollup, TOWN_1_RECORD_READERS),
    Endpoint("GET /v1/titles?campaign_id=", campaign_titles, CAMPAIGN_READERS),
    Endpoint("GET /v1/titles", all_titles, WHOLE_LOG_READERS),
    Endpoint("GET /v1/audit/events", audit_events, AUDIT_READERS, sees=AUDIT_SEES_CITY_1),
    Endpoint("GET /v1/audit/verify", audit_verify, WHOLE_LOG_READERS),
    Endpoint("GET /v1/audit/export", audit_export, WHOLE_LOG_READERS),
    Endpoint("GET /v1/webhooks", webhooks_list, WHOLE_LOG_READERS),
    # printed documents (issue 22, item 5): read like the nomination / the campaign they print
    Endpoint("GET /v1/nominations/{id}/declaration.pdf", declaration_pdf, NOMINATION_READERS),
    Endpoint("GET /v1/nominations/{id}/certificate.pdf", certificate_pdf, NOMINATION_READERS),
    Endpoint("GET /v1/campaigns/{id}/decision.pdf", decision_pdf, CAMPAIGN_READERS),
)

# --- inspection teams (issue 22, items 1-3) --------------------------------------------------
# Managers: the organiser's reviewers and admins (and admins above); readers: the campaign's
# readers but declarers; a conflict: the member, its leader or a manager; a named member's
# inspection: the assigned team's leader (the matrix's inspector@shifan-shi).

TEAM_MANAGERS = frozenset({"admin-global", "admin-inside", "reviewer-inside"})
TEAM_READERS = CAMPAIGN_READERS - {"declarer-inside", "declarer-outside"}


def _with_team(m: Matrix, current: str = "pre_review") -> tuple[Campaign, str]:
    """A fresh campaign with one team "t": led by the matrix's inspector@shifan-shi, with a named
    member 王五 of 棋盘镇 (a sibling township: recused from nothing peng-zhen declares)."""
    c = m.fresh_campaign(current)
    leader = m.matrix_token_ids["inspector-inside"]
    m.app.execute(
        FormTeam(
            campaign_id=c.id,
            team_id="t",
            name="考核组",
            leader=leader,
            members=[{"token_id": leader}, {"name": "王五", "home_unit_id": OTHER_TOWNSHIP}],
        ),
        CITY_REVIEWER,
    )
    return c, leader


def teams_list(m: Matrix) -> Call:
    c, _ = _with_team(m)
    return Call("GET", f"/v1/campaigns/{c.id}/teams", check=lambda r: r.json()["teams"][0]["id"] == "t")


def team_form(m: Matrix) -> Call:
    c = m.fresh_campaign("pre_review")
    leader = m.matrix_token_ids["inspector-inside"]
    body = {"name": "第一组", "leader": leader, "members": [{"token_id": leader}]}
    return Call("POST", f"/v1/campaigns/{c.id}/teams", json=body)


def team_change(m: Matrix) -> Call:
    c, _ = _with_team(m)
    body = {"name": "第一组（调整）", "reason": "更名 / renamed"}
    return Call("PATCH", f"/v1/campaigns/{c.id}/teams/t", json=body)


def team_disband(m: Matrix) -> Call:
    c, _ = _with_team(m)
    return Call("POST", f"/v1/campaigns/{c.id}/teams/t/disbanding", json={"reason": "撤销 / done"})


def team_assign(m: Matrix) -> Call:
    c, _ = _with_team(m, "inspection")
    nid = m.nomination(c, "admitted")
    body = {"team_id": "t", "nomination_ids": [nid]}
    return Call("POST", f"/v1/campaigns/{c.id}/team-assignments", json=body)


def team_auto_assign(m: Matrix) -> Call:
    c, _ = _with_team(m, "inspection")
    nid = m.nomination(c, "admitted")
    return Call(
        "POST",
        f"/v1/campaigns/{c.id}/team-assignments:auto",
        json={},
        check=lambda r: [a["id"] for a in r.json()["assigned"]] == [nid],
    )


def score_normalisation(m: Matrix) -> Call:
    c = m.fresh_campaign("pre_review")
    body = {"method": "team_z", "reason": "两组宽严不一"}
    return Call("PUT", f"/v1/campaigns/{c.id}/score-normalisation", json=body)


def _assigned(m: Matrix) -> str:
    c, _ = _with_team(m, "inspection")
    nid = m.nomination(c, "admitted")
    m.app.execute(AssignToTeam(campaign_id=c.id, team_id="t", nomination_ids=[nid]), CITY_REVIEWER)
    return nid


def nomination_team(m: Matrix) -> Call:
    nid = _assigned(m)
    return Call("GET", f"/v1/nominations/{nid}/team", check=lambda r: r.json()["team_id"] == "t")


def conflict_declare(m: Matrix) -> Call:
    nid = _assigned(m)
    body = {"member": f"person:王五@{OTHER_TOWNSHIP}", "reason": "亲属在该村 / a relative there"}
    return Call("POST", f"/v1/nominations/{nid}/conflicts", json=body)


def team_inspection(m: Matrix) -> Call:
    nid = _assigned(m)
    body = {
        "member": f"person:王五@{OTHER_TOWNSHIP}",
        "methods": METHODS,
        "scores": site_scores(85),
        "checklist": SITE_CHECKLIST,
        "verdict": "pass",
    }
    return Call("POST", f"/v1/nominations/{nid}/team-inspections", json=body, check=_state("inspected"))


TEAM_ENDPOINTS = (
    Endpoint("GET /v1/campaigns/{id}/teams", teams_list, TEAM_READERS),
    Endpoint("POST /v1/campaigns/{id}/teams", team_form, TEAM_MANAGERS, 201),
    Endpoint("PATCH /v1/campaigns/{id}/teams/{team}", team_change, TEAM_MANAGERS),
    Endpoint("POST /v1/campaigns/{id}/teams/{team}/disbanding", team_disband, TEAM_MANAGERS),
    Endpoint("POST /v1/campaigns/{id}/team-assignments", team_assign, TEAM_MANAGERS),
    Endpoint("POST /v1/campaigns/{id}/team-assignments:auto", team_auto_assign, TEAM_MANAGERS),
    Endpoint("PUT /v1/campaigns/{id}/score-normalisation", score_normalisation, TEAM_MANAGERS),
    Endpoint("GET /v1/nominations/{id}/team", nomination_team, TEAM_READERS),
    Endpoint(
        "POST /v1/nominations/{id}/conflicts",
        conflict_declare,
        TEAM_MANAGERS | {"inspector-inside"},  # the leader declares for its named member
        201,
    ),
    Endpoint(
        "POST /v1/nominations/{id}/team-inspections", team_inspection, frozenset({"inspector-inside"})
    ),
)
ENDPOINTS = (*ENDPOINTS, *TEAM_ENDPOINTS)


# --- 公示 and objections (issue 23, items 1-2; api/routes/publicity.py) -------------------------
# The public endpoints (/v1/public/...) need no token: tests/api/test_publicity_http.py.

OBJECTION_READERS = frozenset({"reviewer-inside", "auditor-global", "auditor-inside"})


def _publicity_campaign(m: Matrix, *, published: bool) -> tuple[Campaign, str]:
    from domain.commands import ConfigurePublicity, PublishProposedList

    c = m.fresh_campaign("commendation")
    m.app.execute(ConfigurePublicity(campaign_id=c.id, working_days=5), CITY_REVIEWER)
    nid = m.nomination(c, "commended")  # proposed: the 公示 comes first
    if published:
        m.app.execute(PublishProposedList(campaign_id=c.id), CITY_REVIEWER)
    return c, nid


def _objection(m: Matrix) -> str:
    return _lodged(m)[1]


def _lodged(m: Matrix) -> tuple[str, str]:
    """A published campaign's id and the receipt of an objection to its proposed nomination."""
    from domain.commands import LodgeObjection
    from domain.objections import PUBLIC

    c, nid = _publicity_campaign(m, published=True)
    lodged = m.app.execute(
        LodgeObjection(campaign_id=c.id, nomination_id=nid, text=f"异议 {m.unique()}", contact="x"),
        PUBLIC,
    )
    return c.id, str(lodged["receipt"])


def publicity_read(m: Matrix) -> Call:
    return Call("GET", f"/v1/campaigns/{m.campaigns['commending'].id}/publicity")


def publicity_configure(m: Matrix) -> Call:
    c = m.fresh_campaign("commendation")
    return Call("PUT", f"/v1/campaigns/{c.id}/publicity", json={"working_days": 5})


def publicity_public_page(m: Matrix) -> Call:
    c, _ = _publicity_campaign(m, published=False)
    return Call("PUT", f"/v1/campaigns/{c.id}/publicity/public-page", json={"public_page": False})


def publicity_publish(m: Matrix) -> Call:
    c, _ = _publicity_campaign(m, published=False)
    return Call("POST", f"/v1/campaigns/{c.id}/publicity/publications", json={})


def objections_list(m: Matrix) -> Call:
    campaign_id, _ = _lodged(m)
    return Call(
        "GET", f"/v1/campaigns/{campaign_id}/objections", check=lambda r: r.json()[0]["contact"] == "x"
    )


def objection_evidence(m: Matrix) -> Call:
    from domain.commands import LodgeObjection
    from domain.objections import PUBLIC

    c, nid = _publicity_campaign(m, published=True)
    sha256, _ = m.server.services.blobs.put(EVIDENCE_PDF)
    evidence = {"sha256": sha256, "size": len(EVIDENCE_PDF), "media_type": "application/pdf"}
    evidence["name"] = "a.pdf"
    text = f"附件 {m.unique()}"
    command = LodgeObjection(campaign_id=c.id, nomination_id=nid, text=text, evidence=evidence)
    lodged = m.app.execute(command, PUBLIC)
    url = f"/v1/objections/{lodged['receipt']}/evidence"
    return Call("GET", url, check=lambda r: r.content == EVIDENCE_PDF)


def objection_read(m: Matrix) -> Call:
    return Call("GET", f"/v1/objections/{_objection(m)}")


def objection_investigate(m: Matrix) -> Call:
    return Call("POST", f"/v1/objections/{_objection(m)}/investigation", json={"note": "核查"})


def objection_decide(m: Matrix) -> Call:
    return Call(
        "POST",
        f"/v1/objections/{_objection(m)}/decision",
        json={"outcome": "dismiss", "findings": "经核实不属实"},
    )


PUBLICITY_MANAGERS = frozenset({"reviewer-inside"})
PUBLICITY_ENDPOINTS = (
    Endpoint("GET /v1/campaigns/{id}/publicity", publicity_read, CAMPAIGN_READERS),
    Endpoint("PUT /v1/campaigns/{id}/publicity", publicity_configure, PUBLICITY_MANAGERS),
    Endpoint("PUT /v1/campaigns/{id}/publicity/public-page", publicity_public_page, PUBLICITY_MANAGERS),
    Endpoint(
        "POST /v1/campaigns/{id}/publicity/publications", publicity_publish, PUBLICITY_MANAGERS, 201
    ),
    Endpoint("GET /v1/campaigns/{id}/objections", objections_list, OBJECTION_READERS),
    Endpoint("GET /v1/objections/{receipt}", objection_read, OBJECTION_READERS),
    Endpoint("GET /v1/objections/{receipt}/evidence", objection_evidence, OBJECTION_READERS),
    Endpoint("POST /v1/objections/{receipt}/investigation", objection_investigate, PUBLICITY_MANAGERS),
    Endpoint("POST /v1/objections/{receipt}/decision", objection_decide, PUBLICITY_MANAGERS),
)
ENDPOINTS = (*ENDPOINTS, *PUBLICITY_ENDPOINTS)


# --- corrections and appeals (issue 23, items 3-4; api/routes/corrections.py) ----------------

CORRECTORS = frozenset({"reviewer-inside"})
DECLARER_INSIDE = frozenset({"declarer-inside"})


def _rejected(m: Matrix, *, appealed: bool = False) -> str:
    from domain.commands import LodgeAppeal

    c = m.fresh_campaign("pre_review")
    nid = m.nomination(c, "declared")
    m.app.execute(
        PreReview(nomination_id=nid, decision="reject", reasons=["材料不实"], checks={}),
        CITY_REVIEWER,
        at=c.opens[1] + timedelta(minutes=6),
    )
    if appealed:
        m.app.execute(LodgeAppeal(nomination_id=nid, grounds="申诉"), declarer_of("peng-zhen"))
    return nid


def void_inspection(m: Matrix) -> Call:
    nid = m.nomination(m.fresh_campaign("inspection"), "inspected")
    return Call(
        "POST",
        f"/v1/nominations/{nid}/inspections/1/voiding",
        json={"reason": "录错 / wrong site"},
        check=_state("admitted"),
    )


def return_for_amendment(m: Matrix) -> Call:
    nid = m.nomination(m.fresh_campaign("pre_review"), "declared")
    return Call(
        "POST", f"/v1/nominations/{nid}/return", json={"reasons": ["缺签到表"]}, check=_state("returned")
    )


def amend(m: Matrix) -> Call:
    from domain.commands import ReturnForAmendment

    nid = m.nomination(m.fresh_campaign("pre_review"), "declared")
    m.app.execute(ReturnForAmendment(nomination_id=nid, reasons=["缺签到表"]), CITY_REVIEWER)
    return Call(
        "POST",
        f"/v1/nominations/{nid}/amendment",
        json={"material": material_of(950)},
        check=_state("declared"),
    )


def lodge_appeal(m: Matrix) -> Call:
    return Call("POST", f"/v1/nominations/{_rejected(m)}/appeals", json={"grounds": "材料属实"})


def decide_appeal(m: Matrix) -> Call:
    nid = _rejected(m, appealed=True)
    return Call(
        "POST",
        f"/v1/nominations/{nid}/appeals/decision",
        json={"outcome": "refused", "findings": "经核实不属实"},
        check=_state("rejected"),
    )


def nomination_corrections(m: Matrix) -> Call:
    return Call("GET", f"/v1/nominations/{m.shared_nomination}/corrections")


def reopen_phase(m: Matrix) -> Call:
    c = m.fresh_campaign("pre_review")
    body = {
        "scope": "unit",
        "target": "peng-zhen",
        "until": iso(datetime.now(UTC) + HOUR),
        "reason": "补报 / late",
    }
    return Call("POST", f"/v1/campaigns/{c.id}/phases/declaration/reopening", json=body)


def cancel_campaign(m: Matrix) -> Call:
    c = m.fresh_campaign("declaration")
    return Call("POST", f"/v1/campaigns/{c.id}/cancellation", json={"reason": "停止 / stopped"})


def campaign_corrections(m: Matrix) -> Call:
    return Call("GET", f"/v1/campaigns/{m.campaigns['commending'].id}/corrections")


def correct_nominee_name(m: Matrix) -> Call:
    nid = m.nomination("commending", "commended")
    return Call(
        "POST",
        f"/v1/nominations/{nid}/nominee-name",
        json={"name": f"更正的站点 {m.unique()}", "reason": "名称录入有误 / typo"},
        check=_state("commended"),
    )


CORRECTION_ENDPOINTS = (
    Endpoint("POST /v1/nominations/{id}/nominee-name", correct_nominee_name, CORRECTORS),
    Endpoint("POST /v1/nominations/{id}/inspections/{n}/voiding", void_inspection, CORRECTORS),
    Endpoint("POST /v1/nominations/{id}/return", return_for_amendment, CORRECTORS),
    Endpoint("POST /v1/nominations/{id}/amendment", amend, DECLARER_INSIDE),
    Endpoint("POST /v1/nominations/{id}/appeals", lodge_appeal, DECLARER_INSIDE, 201),
    Endpoint("POST /v1/nominations/{id}/appeals/decision", decide_appeal, CORRECTORS),
    Endpoint("GET /v1/nominations/{id}/corrections", nomination_corrections, NOMINATION_READERS),
    Endpoint("POST /v1/campaigns/{id}/phases/{phase}/reopening", reopen_phase, CORRECTORS, 201),
    Endpoint("POST /v1/campaigns/{id}/cancellation", cancel_campaign, ADMINS_INSIDE),
    Endpoint("GET /v1/campaigns/{id}/corrections", campaign_corrections, CAMPAIGN_READERS),
)
ENDPOINTS = (*ENDPOINTS, *CORRECTION_ENDPOINTS)

# --- contacts, the inbox, unit feeds and the delivery log (issue 24) -------------------------
# A unit's contacts: managed by the admins of it or above and its own declarers, read by the
# admins of its subtree (and the person, whose token carries the contact: none here). The
# inbox is every token's own; another's notice (or none) is 404. A unit's feed: its own tokens
# and the admins above it. The delivery log: admins, each reading its subtree's.

CONTACT_MANAGERS = ADMINS_INSIDE | {"declarer-inside"}
FEED_READERS = ADMINS_INSIDE | {"declarer-inside"}
ADMINS = frozenset({"admin-global", "admin-inside", "admin-outside"})


def _contact_body(m: Matrix) -> dict[str, Any]:
    n = m.unique()
    return {"name": f"联系人{n}", "role": "declarer", "email": f"matrix{n}@example.org"}


def _contact(m: Matrix) -> str:
    """A contact of peng-zhen for one case. A unit holds at most 20: those earlier cases made
    and left (refused a change or a removal) are removed first."""
    made = _CONTACTS_MADE.setdefault(id(m), [])
    present = m.app.get_unit("peng-zhen").contacts
    for contact_id in (c for c in made if c in present):
        m.app.execute(RemoveContact(unit_id="peng-zhen", contact_id=contact_id), ADMIN)
    result = m.app.execute(AddContact(unit_id="peng-zhen", **_contact_body(m)), ADMIN)
    made[:] = [str(result["contact_id"])]
    return made[0]


_CONTACTS_MADE: dict[int, list[str]] = {}


def contacts_list(m: Matrix) -> Call:
    return Call("GET", "/v1/units/peng-zhen/contacts", check=lambda r: isinstance(r.json(), list))


def contact_add(m: Matrix) -> Call:
    return Call("POST", "/v1/units/peng-zhen/contacts", json=_contact_body(m))


def contact_change(m: Matrix) -> Call:
    return Call("PUT", f"/v1/units/peng-zhen/contacts/{_contact(m)}", json=_contact_body(m))


def contact_remove(m: Matrix) -> Call:
    return Call("DELETE", f"/v1/units/peng-zhen/contacts/{_contact(m)}")


def inbox_read(m: Matrix) -> Call:
    return Call("GET", "/v1/inbox?unread=true", check=lambda r: "items" in r.json())


def inbox_unread(m: Matrix) -> Call:
    return Call("GET", "/v1/inbox/unread-count", check=lambda r: r.json()["unread"] >= 0)


def inbox_mark_one(m: Matrix) -> Call:
    return Call("POST", f"/v1/inbox/{2**40}/read")


def inbox_mark_all(m: Matrix) -> Call:
    return Call("POST", "/v1/inbox/read", check=lambda r: r.json()["unread"] == 0)


def preferences_read(m: Matrix) -> Call:
    return Call("GET", "/v1/inbox/preferences", check=lambda r: len(r.json()) > 3)


def preference_set(m: Matrix) -> Call:
    return Call("PUT", "/v1/inbox/preferences/admitted", json={"mode": "muted"})


def unit_feed(m: Matrix) -> Call:
    return Call("GET", "/v1/units/peng-zhen/feed", check=lambda r: "items" in r.json())


def notice_deliveries(m: Matrix) -> Call:
    return Call("GET", "/v1/notifications/deliveries", check=lambda r: "items" in r.json())


NOTIFICATION_ENDPOINTS = (
    Endpoint("GET /v1/units/{id}/contacts", contacts_list, ADMINS_INSIDE),
    Endpoint("POST /v1/units/{id}/contacts", contact_add, CONTACT_MANAGERS, 201),
    Endpoint("PUT /v1/units/{id}/contacts/{contact}", contact_change, CONTACT_MANAGERS),
    Endpoint("DELETE /v1/units/{id}/contacts/{contact}", contact_remove, CONTACT_MANAGERS, 204),
    Endpoint("GET /v1/inbox", inbox_read, AUTHENTICATED),
    Endpoint("GET /v1/inbox/unread-count", inbox_unread, AUTHENTICATED),
    Endpoint("POST /v1/inbox/{id}/read (not the caller's)", inbox_mark_one, AUTHENTICATED, 404),
    Endpoint("POST /v1/inbox/read", inbox_mark_all, AUTHENTICATED),
    Endpoint("GET /v1/inbox/preferences", preferences_read, AUTHENTICATED),
    Endpoint("PUT /v1/inbox/preferences/{kind}", preference_set, AUTHENTICATED),
    Endpoint("GET /v1/units/{id}/feed", unit_feed, FEED_READERS),
    Endpoint("GET /v1/notifications/deliveries", notice_deliveries, ADMINS),
)
ENDPOINTS = (*ENDPOINTS, *NOTIFICATION_ENDPOINTS)


CASES = [
    pytest.param(
        endpoint,
        principal,
        id=f"{endpoint.name} as {principal.key}",
        marks=[pytest.mark.xfail(strict=True, reason=endpoint.bugs[principal.key])]
        if principal.key in endpoint.bugs
        else [],
    )
    for endpoint in ENDPOINTS
    for principal in PRINCIPALS
]


def test_matrix_covers_every_endpoint_and_principal() -> None:
    added = (
        len(TEAM_ENDPOINTS)
        + len(PUBLICITY_ENDPOINTS)
        + len(CORRECTION_ENDPOINTS)
        + len(NOTIFICATION_ENDPOINTS)
    )
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS) == 50 + added
    assert len(CASES) == len(ENDPOINTS) * len(PRINCIPALS)
    for endpoint in ENDPOINTS:
        assert (
            endpoint.allowed <= AUTHENTICATED
            and endpoint.rows_refused <= AUTHENTICATED
            and set(endpoint.bugs) <= AUTHENTICATED
        )


@BACKENDS
@pytest.mark.parametrize(("endpoint", "principal"), CASES)
def test_authorization(matrix: Matrix, endpoint: Endpoint, principal: Principal) -> None:
    call = endpoint.build(matrix)
    response = matrix.client(principal).request(
        call.method, call.url, json=call.json, content=call.content, headers=call.headers
    )
    expected = endpoint.expected(principal)
    assert response.status_code == expected, (
        f"{endpoint.name} as {principal.key}: expected {expected}, "
        f"got {response.status_code}: {response.text[:500]}"
    )

    if expected in (401, 403):
        assert response.headers["content-type"] == PROBLEM, response.headers
        problem = response.json()
        assert problem["status"] == expected
        if expected == 401:
            assert problem["type"] == "urn:laurel:problem:unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
        else:
            assert problem["type"] in FORBIDDEN_TYPES, problem
        return

    if endpoint.rows_refused or call.url.endswith(":import"):
        report = response.json()
        if principal.key in endpoint.rows_refused:
            assert (report["created"], report["failed"]) == (0, 1), report
            assert {e["status"] for e in report["rows"][0]["errors"]} == {403}, report
        else:
            assert (report["created"], report["failed"]) == (1, 0), report
    if call.check is not None:
        assert call.check(response) is not False, response.text[:500]
    if endpoint.sees is not None:
        assert call.visible is not None
        assert call.visible(response) == (principal.key in endpoint.sees), (
            f"{endpoint.name} as {principal.key}: target listed = {call.visible(response)}"
        )
