"""Valid transitions only: declared -> admitted|rejected -> inspected -> commended ->
re-inspected (kept | revoked); withdrawn before commendation; lapsed only while waiting.
Driven on the Nomination aggregate alone (no application, no store)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import InvalidTransitionError
from domain.nominations import Nomination, one_year_later
from domain.values import Category
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.aggregates import declared_nomination
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, category, uniform_scores

SITE: Category = category("five-good-sites", "five_good_site")
METHODS = ["document_review", "site_visit"]


def admitted() -> Nomination:
    nomination = declared_nomination()
    nomination.pre_review(
        SITE, "admit", [], FIVE_PROTECTIONS_OK, CITY_REVIEWER, FIVE_GOOD_2022.pre_review
    )
    return nomination


def inspected(score: float = 80, verdict: str = "pass") -> Nomination:
    nomination = admitted()
    nomination.inspect(
        SITE,
        METHODS,
        uniform_scores(SITE, score),
        verdict,
        "",
        CITY_INSPECTOR,
        FIVE_GOOD_2022.inspection,
        checklist=SITE_CHECKLIST,
    )
    return nomination


def commended() -> Nomination:
    nomination = inspected()
    nomination.commend(1, SITE, CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    return nomination


def test_nomination_walks_the_whole_pipeline_in_order() -> None:
    nomination = commended()
    assert nomination.state == "commended"
    assert nomination.title_active
    assert nomination.title.rank == 1
    assert nomination.title.anniversary == one_year_later(FIVE_GOOD_2022.commendation)
    assert nomination.title.yearly_reinspection is True


def test_pre_review_refused_twice() -> None:
    nomination = admitted()
    with pytest.raises(InvalidTransitionError) as refused:
        nomination.pre_review(SITE, "reject", ["再审"], {}, CITY_REVIEWER, FIVE_GOOD_2022.pre_review)
    assert refused.value.details == {"state": "admitted", "action": "pre-review"}
    assert refused.value.code == "invalid-transition"


def test_pre_review_refused_after_a_rejection() -> None:
    nomination = declared_nomination()
    nomination.pre_review(
        SITE, "reject", ["设备无法正常运行"], {}, CITY_REVIEWER, FIVE_GOOD_2022.pre_review
    )
    with pytest.raises(InvalidTransitionError):
        nomination.pre_review(
            SITE, "admit", [], FIVE_PROTECTIONS_OK, CITY_REVIEWER, FIVE_GOOD_2022.pre_review
        )


def test_inspection_refused_before_admission() -> None:
    nomination = declared_nomination()
    with pytest.raises(InvalidTransitionError) as refused:
        nomination.inspect(
            SITE,
            METHODS,
            uniform_scores(SITE, 90),
            "pass",
            "",
            CITY_INSPECTOR,
            FIVE_GOOD_2022.inspection,
            checklist=SITE_CHECKLIST,
        )
    assert refused.value.details["state"] == "declared"
    assert nomination.inspections == []


def test_inspection_refused_for_a_rejected_nomination() -> None:
    nomination = declared_nomination()
    nomination.pre_review(SITE, "reject", ["材料不实"], {}, CITY_REVIEWER, FIVE_GOOD_2022.pre_review)
    with pytest.raises(InvalidTransitionError):
        nomination.inspect(
            SITE,
            METHODS,
            uniform_scores(SITE, 90),
            "pass",
            "",
            CITY_INSPECTOR,
            FIVE_GOOD_2022.inspection,
            checklist=SITE_CHECKLIST,
        )


def test_inspection_refused_after_commendation() -> None:
    nomination = commended()
    with pytest.raises(InvalidTransitionError):
        nomination.inspect(
            SITE,
            METHODS,
            uniform_scores(SITE, 90),
            "pass",
            "",
            CITY_INSPECTOR,
            FIVE_GOOD_2022.inspection,
            checklist=SITE_CHECKLIST,
        )


def test_commendation_refused_for_a_failed_nomination() -> None:
    nomination = inspected(45, "fail")
    with pytest.raises(InvalidTransitionError) as refused:
        nomination.commend(1, SITE, CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    assert "passed inspection" in refused.value.message_en
    assert nomination.state == "inspected" and nomination.title is None


def test_commendation_refused_before_inspection() -> None:
    with pytest.raises(InvalidTransitionError):
        admitted().commend(1, SITE, CITY_REVIEWER, FIVE_GOOD_2022.commendation)


def test_commendation_refused_twice() -> None:
    with pytest.raises(InvalidTransitionError):
        commended().commend(2, SITE, CITY_REVIEWER, FIVE_GOOD_2022.commendation)


@pytest.mark.parametrize("build", [declared_nomination, admitted, inspected])
def test_withdrawal_allowed_before_commendation(build) -> None:
    nomination = build()
    nomination.withdraw("  站点搬迁，主动撤回 ", {"role": "declarer"}, FIVE_GOOD_2022.inspection)
    assert (nomination.state, nomination.closing_reason) == ("withdrawn", "站点搬迁，主动撤回")


def test_withdrawal_refused_after_commendation() -> None:
    nomination = commended()
    with pytest.raises(InvalidTransitionError) as refused:
        nomination.withdraw("不想要了", {"role": "declarer"}, FIVE_GOOD_2022.commendation)
    assert refused.value.details["state"] == "commended"
    assert nomination.title_active


def test_withdrawal_refused_twice() -> None:
    nomination = declared_nomination()
    nomination.withdraw("撤回", {}, FIVE_GOOD_2022.declaration)
    with pytest.raises(InvalidTransitionError):
        nomination.withdraw("再撤回", {}, FIVE_GOOD_2022.declaration)


@pytest.mark.parametrize("build", [declared_nomination, admitted, inspected])
def test_revocation_refused_without_a_title(build) -> None:
    nomination = build()
    with pytest.raises(InvalidTransitionError) as refused:
        nomination.revoke("弄虚作假", "decision", CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    assert refused.value.details["action"] == "revoke"


def test_revocation_refused_without_a_reason() -> None:
    nomination = commended()
    with pytest.raises(InvalidTransitionError):
        nomination.revoke("  ", "decision", CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    assert nomination.state == "commended"


def test_revocation_ends_the_title_with_its_reason() -> None:
    nomination = commended()
    at = FIVE_GOOD_2022.commendation + timedelta(days=30)
    nomination.revoke(" 申报材料弄虚作假 ", "decision", CITY_REVIEWER, at)
    assert nomination.state == "revoked"
    assert nomination.title.active is False and nomination.title.revoked_at == at
    assert nomination.closing_reason == "申报材料弄虚作假"


def test_revocation_refused_twice() -> None:
    nomination = commended()
    nomination.revoke("弄虚作假", "decision", CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    with pytest.raises(InvalidTransitionError):
        nomination.revoke("弄虚作假", "decision", CITY_REVIEWER, FIVE_GOOD_2022.commendation)


@pytest.mark.parametrize(
    ("build", "step", "lapses"),
    [
        (declared_nomination, "pre_review", True),
        (declared_nomination, "inspection", False),
        (admitted, "inspection", True),
        (admitted, "pre_review", False),
        (inspected, "inspection", False),
        (commended, "commendation", False),
        (declared_nomination, "declaration", False),
    ],
)
def test_lapse_only_from_the_state_waiting_on_that_step(build, step: str, lapses: bool) -> None:
    nomination = build()
    before = (nomination.state, nomination.version)
    assert (
        nomination.lapse(
            step, step, "截止时仍未办理", {"role": "system"}, FIVE_GOOD_2022.after_commendation
        )
        is lapses
    )
    if lapses:
        assert nomination.state == "lapsed" and nomination.closing_reason == "截止时仍未办理"
    else:
        assert (nomination.state, nomination.version) == before


def test_lapse_of_a_withdrawn_nomination_appends_nothing() -> None:
    nomination = declared_nomination()
    nomination.withdraw("撤回", {}, FIVE_GOOD_2022.declaration)
    version = nomination.version
    assert (
        nomination.lapse("pre_review", "pre_review", "截止", {}, FIVE_GOOD_2022.after_commendation)
        is False
    )
    assert nomination.version == version


@pytest.mark.parametrize(
    "build",
    [declared_nomination, admitted, lambda: inspected(40, "fail")],
    ids=["declared", "admitted", "failed"],
)
def test_forwarding_refused_before_passing_inspection(build) -> None:
    with pytest.raises(InvalidTransitionError):
        build().forward(uuid4(), uuid4(), CITY_REVIEWER, FIVE_GOOD_2022.commendation)


def test_a_nomination_that_passed_inspection_may_be_forwarded_without_a_title() -> None:
    """择优上报: the lower level need not grant its own title first."""
    nomination = inspected()
    nomination.forward(uuid4(), uuid4(), CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    assert nomination.state == "forwarded" and nomination.title is None


def test_one_year_later_keeps_the_day_or_falls_back_to_28_february() -> None:
    assert one_year_later(utc(2022, 11, 15, 2)) == utc(2023, 11, 15, 2)
    assert one_year_later(utc(2024, 2, 29, 8)) == utc(2025, 2, 28, 8)
