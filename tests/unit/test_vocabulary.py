"""The typed vocabulary: each term with its labels in both languages, the one catalogue of a
nomination's events (names and the state each leaves), the actor as a value, the title as a
value, and what the aggregates hold after a round trip through the event store."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

import domain.vocabulary as vocabulary
from api.pages.i18n import Translator
from domain.actors import Actor, upcast_actor
from domain.campaigns import Campaign
from domain.escalation import DEFAULT_LADDER
from domain.history import event_actor, event_class_type, event_data
from domain.nominations import Nomination
from domain.rules.inspection import all_met
from domain.templates import get_template, instantiate
from domain.transcodings import all_transcodings
from domain.units import Unit
from domain.values import Nominee, Title
from domain.vocabulary import (
    InspectionMethod,
    InspectionVerdict,
    Level,
    NominationState,
    PhaseStatus,
    PreReviewDecision,
    RevocationCause,
    Role,
    Term,
    TitleStatus,
)

AT = datetime(2022, 10, 17, 2, tzinfo=UTC)
DECLARER = Actor("tok-pengzhen-declarer", Role.DECLARER, "peng-zhen")
REVIEWER = Actor("tok-shifan-reviewer", Role.REVIEWER, "shifan-shi")
INSPECTOR = Actor("tok-shifan-inspector", Role.INSPECTOR, "shifan-shi")
TEMPLATE = get_template("five-good-sites")
SITE = next(c for c in TEMPLATE.categories if c.code == "five_good_site")
CHECKS = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}
TERMS = [
    cls
    for _, cls in inspect.getmembers(vocabulary, inspect.isclass)
    if issubclass(cls, Term) and cls is not Term
]


def declared() -> Nomination:
    nominee = Nominee(kind="site", unit_id="qianshuang-cun", name="前双村远教站点")
    return Nomination.declare(uuid4(), SITE.code, "peng-zhen", nominee, {}, "典型材料", DECLARER, AT)


def commended() -> Nomination:
    nomination = declared()
    nomination.pre_review(SITE, "admit", [], CHECKS, REVIEWER, AT)
    scores = dict.fromkeys((c.code for c in SITE.criteria), 90)
    nomination.inspect(SITE, ["site_visit"], scores, "pass", "", INSPECTOR, AT, checklist=all_met(SITE))
    nomination.commend(1, SITE, REVIEWER, AT + timedelta(days=20))
    return nomination


class Store(Application[UUID]):
    is_snapshotting_enabled = True

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in all_transcodings():
            transcoder.register(transcoding)


# --- terms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", TERMS, ids=lambda c: c.__name__)
def test_every_term_has_a_label_in_each_language(cls: type[Term]) -> None:
    for term in cls:
        assert term.zh and term.en and term.zh != term.en, term
        assert term.label("zh") == term.zh and term.label("en") == term.en


def test_a_term_is_its_code_in_comparisons_dictionaries_and_json() -> None:
    assert NominationState.DECLARED == "declared" and {"declared": 1}[NominationState.DECLARED] == 1
    assert json.dumps({"state": NominationState.DECLARED}) == '{"state": "declared"}'
    assert PreReviewDecision.parse("admit") is PreReviewDecision.ADMIT
    assert PreReviewDecision.parse("maybe") is None
    assert Role.codes() == ["admin", "declarer", "reviewer", "inspector", "auditor", "system", "public"]


def test_the_states_divide_into_pipeline_and_closed() -> None:
    assert set(vocabulary.PIPELINE_STATES) | set(vocabulary.CLOSED_STATES) == set(NominationState)
    assert not set(vocabulary.PIPELINE_STATES) & set(vocabulary.CLOSED_STATES)


def test_the_pages_take_their_labels_from_the_vocabulary() -> None:
    zh, en = Translator("zh"), Translator("en")
    assert zh.state("commended") == "已表彰" and en.state("commended") == "Commended"
    assert zh.role("system") == Role.SYSTEM.zh and en.method("site_visit") == "Site visit"
    assert en.decision("reject") == PreReviewDecision.REJECT.en
    assert zh.cause("not_reinspected") == RevocationCause.NOT_REINSPECTED.zh
    assert zh.phase_status("open") == PhaseStatus.OPEN.zh
    assert en.state("unheard-of") == "unheard-of"  # a code no term names is shown as it is


# --- the catalogue of a nomination's events ------------------------------------------------


def test_every_nomination_event_is_catalogued_with_its_names() -> None:
    events = Nomination.events()
    assert [e.__name__ for e in events] == [
        "Declared",
        "PreReviewed",
        "Inspected",
        "Commended",
        "Withdrawn",
        "Lapsed",
        "ReinspectionDue",
        "Reinspected",
        "Revoked",
        "Forwarded",
        "LowerInspectionAccepted",
        "EvidenceAttached",
        # inspection teams (issue 22, items 1-2)
        "AssignedToTeam",
        "ConflictDeclared",
        "InspectionAttributed",
        # 公示 (issue 23, items 1-2)
        "Proposed",
        "WithdrawnFromList",
        # corrections and appeals (issue 23, items 3-4)
        "InspectionVoided",
        "ReturnedForAmendment",
        "Amended",
        "ClosedByCancellation",
        "AppealLodged",
        "AppealDecided",
        "NomineeNameCorrected",
    ]
    assert all(e.zh and e.en and e.zh != e.en for e in events)
    zh = Translator("zh")
    assert [zh.event(event_class_type(e)) for e in events][:3] == ["申报", "初审", "考核验收"]


def test_a_units_contact_events_are_named_in_both_languages() -> None:
    """Issue 24: like a campaign's events, each carries its zh/en name (the history shows it)."""
    events = (Unit.ContactAdded, Unit.ContactChanged, Unit.ContactRemoved)
    names = [(vars(e)["zh"], vars(e)["en"]) for e in events]
    assert names == [
        ("新增联系人", "Contact added"),
        ("修改联系人", "Contact changed"),
        ("删除联系人", "Contact removed"),
    ]
    assert [event_class_type(e) for e in events] == [
        "unit.contact_added",
        "unit.contact_changed",
        "unit.contact_removed",
    ]


def test_the_state_after_each_event_is_the_state_the_aggregate_reaches() -> None:
    """Read models take the state from the event class (``state_after``): it must agree with
    the aggregate, event by event, whatever path the nomination takes."""
    paths = [commended(), declared(), declared()]
    paths[0].mark_reinspection_due(AT + timedelta(days=300), REVIEWER, AT + timedelta(days=290))
    scores = dict.fromkeys((c.code for c in SITE.criteria), 30)
    paths[0].reinspect(
        SITE,
        ["site_visit"],
        scores,
        "fail",
        "",
        INSPECTOR,
        AT + timedelta(days=299),
        checklist=all_met(SITE),
    )
    paths[1].pre_review(SITE, PreReviewDecision.REJECT, ["材料不实"], {}, REVIEWER, AT)
    paths[2].lapse("pre_review", "pre_review", "截止", REVIEWER, AT)
    for nomination in paths:
        state: NominationState | None = None
        replayed = None
        for event in nomination.collect_events():
            replayed = event.mutate(replayed)
            state = type(event).state_after(state, vars(event))
            assert replayed is not None and replayed.state == state, type(event).__name__
    assert [n.state for n in paths] == [
        NominationState.REVOKED,
        NominationState.REJECTED,
        NominationState.LAPSED,
    ]


# --- the actor ---------------------------------------------------------------------------


def test_an_actor_takes_its_role_as_a_term_and_shows_as_a_plain_object() -> None:
    actor = Actor("tok-1", "reviewer", "city-1")  # type: ignore[arg-type]  # a code read back
    assert actor.role is Role.REVIEWER
    assert actor.as_dict() == {"token_id": "tok-1", "role": "reviewer", "unit_id": "city-1"}
    assert Actor.from_dict(actor.as_dict()) == actor
    state = {"actor": {"token_id": "system", "role": "system", "unit_id": None}}
    upcast_actor(state)
    assert state["actor"] == Actor("system", Role.SYSTEM)


def test_history_and_the_audit_export_show_the_actor_as_a_plain_object() -> None:
    nomination = commended()
    inspected = nomination.collect_events()[2]
    assert event_actor(inspected) == INSPECTOR.as_dict()  # an inspection's actor: its inspector
    data = event_data(inspected)
    assert data["inspection"]["inspector"] == INSPECTOR.as_dict()
    assert data["inspection"]["verdict"] == "pass" and type(data["inspection"]["verdict"]) is str


# --- the title ---------------------------------------------------------------------------


def test_a_title_is_a_value_each_event_replaces() -> None:
    nomination = commended()
    title = nomination.title
    assert isinstance(title, Title) and title.status is TitleStatus.ACTIVE
    assert (title.holder_name, title.rank, title.yearly_reinspection) == ("前双村远教站点", 1, True)
    assert title.next_reinspection_by == title.anniversary
    due = title.falls_due(title.anniversary)
    kept = due.reinspected(AT, True, title.anniversary + timedelta(days=365))
    assert kept.reinspection_due_by is None and kept.anniversary > title.anniversary
    failed = due.reinspected(AT, False, None)
    assert failed.anniversary == title.anniversary and failed.last_reinspection_passed is False
    gone = failed.revoked(AT, RevocationCause.REINSPECTION_FAILED, "复查不合格")
    assert not gone.active and gone.next_reinspection_by is None
    assert (
        gone.public()["status"] == "revoked"
        and gone.public()["revocation_cause"] == "reinspection_failed"
    )
    assert title == nomination.title  # the nomination's own title is untouched


# --- what the aggregates hold after the event store ------------------------------------------


def test_aggregates_hold_terms_after_a_round_trip_through_the_store() -> None:
    store = Store(env={"PERSISTENCE_MODULE": "infra.event_store:POPOFactory"})
    nomination = commended()
    city = Unit.register("city-1", "City", "市", "city", None, DECLARER, AT)
    campaign = Campaign._create(
        Campaign.Created,
        timestamp=AT,
        template_code=TEMPLATE.code,
        name_zh=TEMPLATE.name_zh,
        name_en=TEMPLATE.name_en,
        organiser_unit_id="city-1",
        year=2022,
        timezone=TEMPLATE.timezone,
        parent_campaign_id=None,
        categories=[SITE],
        phases=instantiate(TEMPLATE, year=2022),
        steps=dict(TEMPLATE.steps),
        actor=REVIEWER,
    )
    campaign.open_phase("declaration", REVIEWER, AT)
    notified = [{"unit_id": "city-1", "roles": ["reviewer"], "units": ["peng-zhen"]}]
    campaign.escalate(1, ["peng-zhen"], notified, REVIEWER, AT)  # issue 24
    store.save(nomination, city, campaign)
    store.take_snapshot(city.id)
    store.take_snapshot(campaign.id)
    again = store.repository.get(nomination.id)
    assert type(again.state) is NominationState and again.declared_by == DECLARER
    assert type(again.pre_review_result["decision"]) is PreReviewDecision
    (inspection,) = again.inspections
    assert type(inspection.verdict) is InspectionVerdict
    assert inspection.methods == (InspectionMethod.SITE_VISIT,) and inspection.inspector == INSPECTOR
    assert again.title == nomination.title
    unit = store.repository.get(city.id)  # from its snapshot: the level comes back as a code
    assert type(unit.level) is Level and unit.registered_by == DECLARER
    organiser = store.repository.get(campaign.id)
    assert [p.status for p in organiser.phases][:2] == [PhaseStatus.OPEN, PhaseStatus.SCHEDULED]
    assert all(type(p.status) is PhaseStatus for p in organiser.phases)
    assert organiser.created_by == REVIEWER
    assert organiser.ladder == DEFAULT_LADDER  # the ladder and the step taken, from the snapshot
    assert organiser.escalation_step(1)["notified"] == notified
