"""What each printed document says, read from the log (the aggregates, their stored events and
the title register), never from what a client sends: plain values the layouts draw.

Authorization is the caller's (the routes read through ``app.access.readable_*``); the public
verification reveals only what a certificate itself shows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.errors import DocumentUnavailableError, NotFoundError, VerificationCodeNotFoundError
from domain.evidence import visible_evidence
from domain.history import event_class_type
from domain.nominations import Nomination
from domain.rules.inspection import blind_history
from domain.values import Title
from domain.verification import locator_of, normalized, verification_code
from domain.vocabulary import EvidenceKind, NominationState, RevocationCause, Role
from projections.titles import TITLE

COMMENDED_TOPIC = ":Nomination.Commended"
VERIFY_PATH = "/verify/{code}"


def local_day(moment: datetime, zone: str) -> str:
    """``2022年11月15日`` in the campaign's time zone."""
    day = moment.astimezone(ZoneInfo(zone or "UTC")).date()
    return f"{day.year}年{day.month}月{day.day}日"


def local_minute(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M")


def iso_day(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone or "UTC")).date().isoformat()


def unit_path(app: Laurel, code: str) -> str:
    """The unit's name with its ancestors', root first: ``示范市 宜君县 彭镇 前双村``."""
    try:
        unit = app.get_unit(code)
    except NotFoundError:
        return code
    names = []
    for ancestor in unit.path:
        if ancestor == unit.code:
            continue
        try:
            names.append(app.get_unit(ancestor).name_zh)
        except NotFoundError:
            names.append(ancestor)
    return " ".join([*names, unit.name_zh])


def unit_name(app: Laurel, code: str | None) -> str:
    if not code:
        return ""
    try:
        return app.get_unit(code).name_zh
    except NotFoundError:
        return code


# --- the verification code -----------------------------------------------------------------


def commended_event(app: Laurel, nomination_id: str) -> tuple[int, str] | None:
    """The version of the nomination's ``Commended`` event and the SHA-256 of its stored bytes
    (what the audit export's line of it carries), or None when it was never commended."""
    for stored in app.recorder.select_events(UUID(nomination_id)):
        if stored.topic.endswith(COMMENDED_TOPIC):
            return stored.originator_version, hashlib.sha256(bytes(stored.state)).hexdigest()
    return None


def code_of(app: Laurel, nomination: Nomination) -> str | None:
    found = commended_event(app, str(nomination.id))
    return None if found is None else verification_code(str(nomination.id), *found)


# --- 荣誉证书: a certificate -----------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    code: str
    holder_name: str
    holder_unit: str
    category_zh: str
    category_en: str
    campaign_zh: str
    campaign_en: str
    organiser: str
    organiser_en: str
    granted_on: str  # 2022年11月15日
    granted_date: str  # 2022-11-15
    verify_path: str
    in_force: bool
    revoked_on: str | None = None
    revoked_date: str | None = None
    revocation_zh: str | None = None
    revocation_en: str | None = None

    def public(self) -> dict[str, Any]:
        """What the public verification answers: what the certificate itself shows, and
        whether the title is in force."""
        return {
            "code": self.code,
            "status": "active" if self.in_force else "revoked",
            "status_zh": "有效" if self.in_force else "已撤销",
            "holder_name": self.holder_name,
            "category": {"zh": self.category_zh, "en": self.category_en},
            "campaign": {"zh": self.campaign_zh, "en": self.campaign_en},
            "organiser": {"zh": self.organiser, "en": self.organiser_en},
            "granted_on": self.granted_date,
            "revoked_on": self.revoked_date,
            "revocation": (
                {"zh": self.revocation_zh, "en": self.revocation_en} if self.revocation_zh else None
            ),
            "verify_path": self.verify_path,
        }


def certificate_facts(app: Laurel, nomination: Nomination, code: str) -> CertificateFacts:
    title = nomination.title
    assert title is not None
    campaign = app.get_campaign(nomination.campaign_id)
    category = campaign.category(nomination.category)
    organiser = app.get_unit(campaign.organiser_unit_id)
    zone = campaign.timezone
    cause = RevocationCause(title.revocation_cause) if title.revocation_cause else None
    return CertificateFacts(
        code=code,
        holder_name=title.holder_name,
        holder_unit=unit_path(app, title.holder_unit_id),
        category_zh=category.name_zh,
        category_en=category.name_en,
        campaign_zh=campaign.name_zh,
        campaign_en=campaign.name_en,
        organiser=organiser.name_zh,
        organiser_en=organiser.name,
        granted_on=local_day(title.granted_at, zone),
        granted_date=iso_day(title.granted_at, zone),
        verify_path=VERIFY_PATH.format(code=code),
        in_force=title.active,
        revoked_on=local_day(title.revoked_at, zone) if title.revoked_at else None,
        revoked_date=iso_day(title.revoked_at, zone) if title.revoked_at else None,
        revocation_zh=cause.zh if cause else None,
        revocation_en=cause.en if cause else None,
    )


def printable_certificate(app: Laurel, nomination: Nomination) -> CertificateFacts:
    """A certificate is printed for a title in force only: a revoked title's is refused (409),
    its code still verifies, as revoked."""
    title: Title | None = nomination.title
    code = code_of(app, nomination) if title is not None else None
    if title is None or code is None:
        raise DocumentUnavailableError(
            f"nomination {nomination.id} holds no title (state {nomination.state}): "
            "a certificate is printed for a commended nomination",
            f"该申报未获荣誉称号（状态：{nomination.state.zh}），只有获表彰的申报才能打印荣誉证书",
            rule="certificate_needs_title",
            state=str(nomination.state),
        )
    if not title.active:
        raise DocumentUnavailableError(
            f"the title of nomination {nomination.id} was revoked: its certificate is not printed "
            f"(its code {code} still verifies, as revoked)",
            f"该荣誉称号已撤销，不再打印荣誉证书（验证码 {code} 仍可查验，显示为已撤销）",
            rule="certificate_title_in_force",
            state=str(nomination.state),
        )
    return certificate_facts(app, nomination, code)


def verify(app: Laurel, candidates: list[str], text: str) -> CertificateFacts:
    """The title ``text`` (a code as typed) names, among the nominations whose ids start with
    its locator (``candidates``, from the title register); 404 when none carries it."""
    code = normalized(text)
    if code is not None:
        for nomination_id in candidates:
            found = commended_event(app, nomination_id)
            if found is not None and verification_code(nomination_id, *found) == code:
                return certificate_facts(app, app.get_nomination(nomination_id), code)
    raise VerificationCodeNotFoundError(
        f"no title carries the verification code {text[:40]!r}",
        f"没有荣誉称号使用验证码 {text[:40]!r}",
        rule="verification_code_known",
    )


def candidates(store: Any, text: str) -> list[str]:
    """The titles in the register whose nomination ids start with the code's locator."""
    code = normalized(text)
    if code is None:
        return []
    rows = store.rows(
        f"SELECT nomination_id FROM {store.table(TITLE)} WHERE substr(nomination_id, 1, 6) = ?",
        (locator_of(code),),
    )
    return [r["nomination_id"] for r in rows]


# --- 申报表: a nomination's declaration ------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int
    media_type: str
    sha256: str
    kind: str


@dataclass(frozen=True)
class HistoryLine:
    at: str
    event_zh: str
    event_en: str
    who: str


@dataclass(frozen=True)
class DeclarationFacts:
    nomination_id: str
    campaign_zh: str
    campaign_en: str
    organiser: str
    category_zh: str
    category_en: str
    nominee_name: str
    nominee_kind: str
    nominee_unit: str
    declaring_unit: str
    declared_at: str
    state_zh: str
    state_en: str
    version: int
    fields: list[tuple[str, str, str]]  # (label zh, label en, value)
    material: str
    attachments: list[Attachment] = field(default_factory=list)
    history: list[HistoryLine] = field(default_factory=list)
    code: str | None = None  # the title's verification code, when commended


def shown_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是 / Yes" if value else "否 / No"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def declaration_facts(app: Laurel, nomination: Nomination, reader: Actor) -> DeclarationFacts:
    campaign = app.get_campaign(nomination.campaign_id)
    category = campaign.category(nomination.category)
    zone = campaign.timezone
    labelled = {f.code: f for f in category.form_fields}
    fields = [
        (f.name_zh, f.name_en, shown_value(nomination.form.get(f.code))) for f in category.form_fields
    ]
    fields += [
        (code, code, shown_value(v)) for code, v in nomination.form.items() if code not in labelled
    ]
    # the declaration's own files (申报材料); inspection files are not part of the form
    attachments = [
        Attachment(
            str(e.get("name", "")),
            int(e.get("size", 0)),
            str(e.get("media_type", "")),
            str(e.get("sha256", "")),
            str(e.get("kind", "")),
        )
        for e in visible_evidence(nomination.evidence, reader, nomination.inspections)
        if e["kind"] == EvidenceKind.DECLARATION
    ]
    classes = {event_class_type(c): c for c in Nomination.events()}
    history = []
    for event in blind_history(app.queries.history(str(nomination.id)), reader, nomination.inspections):
        cls = classes.get(event["type"])
        actor = event.get("actor") or {}
        role = Role.parse(str(actor.get("role", "")))
        who = " ".join(x for x in (unit_name(app, actor.get("unit_id")), role.zh if role else "") if x)
        history.append(
            HistoryLine(
                local_minute(datetime.fromisoformat(event["occurred_at"]), zone),
                cls.zh if cls else event["type"],
                cls.en if cls else event["type"],
                who,
            )
        )
    commended = nomination.title is not None
    return DeclarationFacts(
        nomination_id=str(nomination.id),
        campaign_zh=campaign.name_zh,
        campaign_en=campaign.name_en,
        organiser=unit_name(app, campaign.organiser_unit_id),
        category_zh=category.name_zh,
        category_en=category.name_en,
        nominee_name=nominee_name(nomination),
        nominee_kind=nomination.nominee.kind,
        nominee_unit=unit_path(app, nomination.nominee.unit_id),
        declaring_unit=unit_path(app, nomination.declaring_unit_id),
        declared_at=local_minute(nomination.declared_at, zone),
        state_zh=NominationState(nomination.state).zh,
        state_en=NominationState(nomination.state).en,
        version=nomination.version,
        fields=fields,
        material=nomination.material,
        attachments=attachments,
        history=history,
        code=code_of(app, nomination) if commended else None,
    )


def nominee_name(nomination: Nomination) -> str:
    return nomination.nominee.name


# --- 表彰决定: a campaign's decision ---------------------------------------------------------


@dataclass(frozen=True)
class Commended:
    rank: int
    name: str
    unit: str
    revoked: bool


@dataclass(frozen=True)
class DecisionFacts:
    campaign_id: str
    campaign_zh: str
    campaign_en: str
    organiser: str
    organiser_en: str
    year: int | None
    decided_on: str
    categories: list[tuple[str, str, list[Commended]]]  # (name zh, name en, the commended)

    @property
    def count(self) -> int:
        return sum(len(c) for _, _, c in self.categories)


def decision_facts(app: Laurel, campaign: Campaign) -> DecisionFacts:
    """The commended of each category in the campaign's order, by rank; 409 before anyone is."""
    categories = []
    granted: list[datetime] = []
    for category in campaign.categories:
        listed = []
        for nid in campaign.commended.get(category.code, []):
            nomination = app.get_nomination(nid)
            title = nomination.title
            if title is None:
                continue
            granted.append(title.granted_at)
            listed.append(
                Commended(
                    title.rank,
                    title.holder_name,
                    unit_path(app, title.holder_unit_id),
                    not title.active,
                )
            )
        if listed:
            categories.append(
                (category.name_zh, category.name_en, sorted(listed, key=lambda c: (c.rank, c.name)))
            )
    if not granted:
        raise DocumentUnavailableError(
            f"campaign {campaign.id} has commended no one yet: there is no decision to print",
            "该评选活动尚未表彰任何对象，暂无表彰决定可打印",
            rule="decision_needs_commended",
        )
    organiser = app.get_unit(campaign.organiser_unit_id)
    return DecisionFacts(
        campaign_id=str(campaign.id),
        campaign_zh=campaign.name_zh,
        campaign_en=campaign.name_en,
        organiser=organiser.name_zh,
        organiser_en=organiser.name,
        year=campaign.year,
        decided_on=local_day(max(granted), campaign.timezone),
        categories=categories,
    )
