"""The notices' texts (domain/notifications/templates.yaml, rendering.py): every kind renders in
both languages from the facts its rule produces (as the sender reads them back from the
outbox), links only with a base URL, and the sandbox holds."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from domain.actors import SYSTEM
from domain.commands import (
    AdvancePublicity,
    ConfigurePublicity,
    DecideObjection,
    LodgeObjection,
    MarkReinspectionDue,
    PreReview,
    PublishProposedList,
    ReturnForAmendment,
    Revoke,
)
from domain.notifications.kinds import NoticeKind
from domain.notifications.notices import Notice
from domain.notifications.rendering import ENV, SEPARATOR, render, render_digest, templates
from domain.notifications.rules import notices_of, silent_escalation
from domain.objections import PUBLIC
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.aggregates import declared_nomination
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.tree import COUNTY, OTHER_TOWNSHIP, PENG_ZHEN_VILLAGES, TOWNSHIP
from tests.builders.world import World

HAN = re.compile(r"[\u4e00-\u9fff]")
PUBLISHED = utc(2024, 9, 27, 3)
CLOSES = utc(2024, 10, 10, 16)


def _read_back(notices: list[Notice]) -> dict[NoticeKind, dict[str, Any]]:
    """The facts of one notice of each kind, as the outbox row gives them to the sender."""
    return {n.kind: json.loads(n.body())["facts"] for n in notices}


@pytest.fixture(scope="module")
def facts_by_kind() -> dict[NoticeKind, dict[str, Any]]:
    """A notice of every kind the rules make, from commands on an in-memory store."""
    world = World.in_memory()
    app = world.app
    campaign = world.campaign("five-good-sites", quotas={"five_good_site": 2})
    app.execute(
        ConfigurePublicity(campaign_id=campaign.id, working_days=5, reason="公示"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.inspection,
    )
    villages = list(PENG_ZHEN_VILLAGES)
    rejected, returned = (world.declare(campaign, v) for v in villages[3:5])
    app.execute(
        PreReview(nomination_id=rejected, decision="reject", reasons=["台账不全"]),
        CITY_REVIEWER,
        at=campaign.when.pre_review,
    )
    app.execute(
        ReturnForAmendment(nomination_id=returned, reasons=["缺签到表"], fields=["material"]),
        CITY_REVIEWER,
        at=campaign.when.pre_review,
    )
    first, second = (
        world.inspected(campaign, v, s) for v, s in zip(villages[:2], [90, 80], strict=True)
    )
    world.commend(campaign)
    app.execute(PublishProposedList(campaign_id=campaign.id), CITY_REVIEWER, at=PUBLISHED)
    receipt = app.execute(
        LodgeObjection(campaign_id=campaign.id, nomination_id=second, text="造假"),
        PUBLIC,
        at=PUBLISHED + timedelta(days=1),
    )["receipt"]
    app.execute(
        DecideObjection(receipt=receipt, outcome="uphold", findings="属实"),
        CITY_REVIEWER,
        at=PUBLISHED + timedelta(days=2),
    )
    app.execute(AdvancePublicity(campaign_id=campaign.id), SYSTEM, at=CLOSES)
    app.execute(
        MarkReinspectionDue(nomination_id=first, due_by=utc(2025, 11, 15)),
        CITY_INSPECTOR,
        at=utc(2025, 10, 1),
    )
    app.execute(Revoke(nomination_id=first, reason="弄虚作假"), CITY_REVIEWER, at=utc(2025, 10, 2))
    made = [n for _, n in app.recorder.select_outbox(0, 10_000)]

    nomination = declared_nomination()
    nomination.assign_to_team("team-1", "", SYSTEM, FIVE_GOOD_2022.pre_review)
    nomination.lapse("pre_review", "pre_review", "截止时间已到", SYSTEM, FIVE_GOOD_2022.pre_review)
    made += [n for e in nomination.pending_events for n in notices_of(nomination, e)]
    camp = app.get_campaign(campaign.id, for_update=True)
    camp.remind("declaration", 86_400, [TOWNSHIP], SYSTEM, FIVE_GOOD_2022.declaration)
    made += notices_of(camp, camp.pending_events[-1])
    escalated: Any = SimpleNamespace(
        originator_id=camp.id,
        originator_version=99,
        timestamp=utc(2022, 10, 21),
        step=1,
        grace_days=3,
        units=[TOWNSHIP, OTHER_TOWNSHIP],
        notified=[{"unit_id": COUNTY, "roles": ["reviewer"], "units": [TOWNSHIP, OTHER_TOWNSHIP]}],
        actor=SYSTEM,
    )
    made += silent_escalation(camp, escalated, {})
    return _read_back(made)


def test_the_fixture_covers_every_kind_a_rule_makes(facts_by_kind) -> None:
    assert set(facts_by_kind) == set(NoticeKind) - {NoticeKind.DAILY_DIGEST}


@pytest.mark.parametrize("kind", [k for k in NoticeKind if k != NoticeKind.DAILY_DIGEST])
def test_every_kind_renders_in_both_languages_from_its_rule_facts(facts_by_kind, kind) -> None:
    rendered = render(kind, facts_by_kind[kind], links={})
    zh_subject, en_subject = rendered.subject.split(" / ", 1)
    assert HAN.search(zh_subject) and "\n" not in rendered.subject
    assert en_subject.startswith("[")
    zh_body, en_body = rendered.text.split(f"\n\n{SEPARATOR}\n\n")
    assert HAN.search(zh_body) and zh_body.strip() and en_body.strip()
    assert "None" not in rendered.text and "http" not in rendered.text  # no base: no links
    assert "{{" not in rendered.text and "{%" not in rendered.text


def test_names_the_sender_adds_replace_ids_and_codes(facts_by_kind) -> None:
    facts = {
        **facts_by_kind[NoticeKind.REJECTED],
        "campaign_name_zh": "2024年度五好站点评选",
        "campaign_name_en": "Five-good sites 2024",
        "category_name_zh": "五好站点",
        "category_name_en": "Five-good site",
        "unit_names": {TOWNSHIP: {"zh": "彭镇", "en": "Peng Town"}},
    }
    rendered = render(NoticeKind.REJECTED, facts)
    assert "2024年度五好站点评选（五好站点）" in rendered.text and "彭镇申报" in rendered.text
    assert 'In the campaign "Five-good sites 2024", the Five-good site "' in rendered.text
    assert "declared by Peng Town was rejected at pre-review." in rendered.text
    assert "- 台账不全" in rendered.text  # the reasons, both languages
    assert rendered.text.count("台账不全") == 2


def test_a_deadline_reads_in_the_campaign_zone_and_links_to_the_work_ui(facts_by_kind) -> None:
    facts = {**facts_by_kind[NoticeKind.DEADLINE_APPROACHING], "timezone": "Asia/Shanghai"}
    rendered = render(NoticeKind.DEADLINE_APPROACHING, facts, links={"base": "https://laurel.example/"})
    assert "2022年10月21日 00:00截止" in rendered.subject  # 16:00 UTC the day before
    assert "UTC" not in rendered.text  # China's offset goes without saying
    assert "https://laurel.example/ui/" in rendered.text
    assert "申报" in rendered.subject and "declaration" in rendered.subject


@pytest.mark.parametrize(
    "kind",
    [k for k in NoticeKind if k not in (NoticeKind.DAILY_DIGEST, NoticeKind.DEADLINE_APPROACHING)],
)
def test_a_nomination_s_notice_links_to_its_page_when_a_base_is_set(facts_by_kind, kind) -> None:
    facts = facts_by_kind[kind]
    if "nomination_id" not in facts:
        return  # a campaign's notice (the escalation): nothing to link but the work UI
    linked = render(kind, facts, links={"base": "https://laurel.example"})
    page = f"https://laurel.example/ui/nominations/{facts['nomination_id']}"
    zh, en = linked.text.split(f"\n\n{SEPARATOR}\n\n")
    assert f"申报详情：{page}" in zh and f"The nomination: {page}" in en


def test_a_missing_fact_is_an_error_not_a_blank(facts_by_kind) -> None:
    facts = dict(facts_by_kind[NoticeKind.REVOKED])
    del facts["reason"]
    with pytest.raises(UndefinedError):
        render(NoticeKind.REVOKED, facts)


def test_the_sandbox_refuses_what_a_template_must_not_reach() -> None:
    with pytest.raises(SecurityError):
        ENV.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_every_kind_has_four_templates() -> None:
    assert set(templates()) == set(NoticeKind)


def test_the_digest_lists_what_waits_and_the_day_s_notices(facts_by_kind) -> None:
    rendered = render_digest(
        [
            {"kind": "admitted", "facts": facts_by_kind[NoticeKind.ADMITTED]},
            {"kind": "commended", "facts": facts_by_kind[NoticeKind.COMMENDED]},
        ],
        links={"base": "https://laurel.example"},
        day="2024-10-11",
        waiting=[{"label_zh": "待初审", "label_en": "Awaiting pre-review", "count": 3}],
    )
    assert rendered.subject.startswith("【每日待办汇总】2024-10-11：2 条消息，3 项待办 / ")
    assert "- 待初审：3" in rendered.text and "- Awaiting pre-review: 3" in rendered.text
    assert "【初审通过】" in rendered.text and "[Commended]" in rendered.text
    assert "https://laurel.example/ui/inbox" in rendered.text
    empty = render_digest([], day="2024-10-12")
    assert "0 条消息" in empty.subject and "http" not in empty.text
