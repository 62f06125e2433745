"""The use cases of Laurel (an eventsourcing ``Application``).

Each command loads what it needs, checks role and jurisdiction, applies the rules through
the aggregates, and saves every aggregate it changed in one transaction (see
``CommandRunner.run``). Rules that depend on time get ``at`` (default: the clock)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from domain.access_commands import AccessCommands
from domain.activity import ActivityRegister, MemberRoll
from domain.activity_commands import ActivityCommands
from domain.actors import Actor
from domain.campaigns import Campaign
from domain.commendation import CommendationCommands
from domain.directory import DIRECTORY_ID, CampaignDirectory
from domain.errors import (
    CampaignNotFoundError,
    DuplicateUnitError,
    InvalidCampaignError,
    NominationNotFoundError,
    RuleFailure,
    UnitMoveRefusedError,
    UnitNotFoundError,
)
from domain.execution import CommandRunner, check_version
from domain.ids import unit_uuid
from domain.nomination_commands import NominationCommands
from domain.nominations import Nomination
from domain.queries import Queries
from domain.rules.jurisdiction import authorize, require_unscoped
from domain.schedule_commands import ScheduleCommands
from domain.templates import apply_quotas, get_template, instantiate
from domain.transcodings import all_transcodings
from domain.units import Unit
from domain.webhooks_commands import WebhookCommands

ORGANISER_LEVELS = ("city", "county", "township")  # villages and agencies organise no campaigns
OPEN_STATES = ("declared", "admitted", "inspected")  # a nomination still on its way to a decision


class MalformedIdError(AggregateNotFoundError):
    """An id that is not a UUID names nothing: answered as not found."""


def parse_id(value: UUID | str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise MalformedIdError(str(value)) from None


def utc_now() -> datetime:
    return datetime.now(UTC)


class Laurel(
    NominationCommands,
    CommendationCommands,
    AccessCommands,
    ActivityCommands,
    ScheduleCommands,
    WebhookCommands,
    CommandRunner,
    Queries,
    Application,
):
    name = "Laurel"
    snapshotting_intervals = {
        Campaign: 200,
        Unit: 200,
        CampaignDirectory: 200,
        ActivityRegister: 100,
        MemberRoll: 100,
    }

    # Cached aggregates are fast-forwarded from the store before each use (reads only newer
    # events), so the cache stays correct with several processes writing; commands get copies.
    DEFAULT_ENV = {
        "AGGREGATE_CACHE_MAXSIZE": "2000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }

    def __init__(
        self, env: Mapping[str, str] | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        super().__init__({**self.DEFAULT_ENV, **(env or {})})
        self.clock = clock

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in all_transcodings():
            transcoder.register(transcoding)

    def _at(self, at: datetime | None) -> datetime:
        return (at or self.clock()).astimezone(UTC)

    # --- loading ---------------------------------------------------------------------------

    def get_unit(self, code: str, *, for_update: bool = False) -> Unit:
        """``for_update``: a private copy to change; otherwise the shared cached object (read only)."""
        try:
            return self.repository.get(unit_uuid(code), deepcopy_from_cache=for_update)
        except AggregateNotFoundError:
            raise UnitNotFoundError(f"no unit '{code}'", f"没有单位「{code}」", unit=code) from None

    def unit_exists(self, code: str) -> bool:
        return unit_uuid(code) in self.repository

    def get_campaign(self, campaign_id: UUID | str, *, for_update: bool = False) -> Campaign:
        campaign: Aggregate | None  # any aggregate may have this id: checked below
        try:
            campaign = self.repository.get(parse_id(campaign_id), deepcopy_from_cache=for_update)
        except AggregateNotFoundError:
            campaign = None
        if not isinstance(campaign, Campaign):
            raise CampaignNotFoundError(
                f"no campaign '{campaign_id}'",
                f"没有评选活动「{campaign_id}」",
                campaign=str(campaign_id),
            )
        return campaign

    def get_nomination(self, nomination_id: UUID | str, *, version: int | None = None) -> Nomination:
        nomination: Aggregate | None  # any aggregate may have this id: checked below
        try:
            nomination = self.repository.get(parse_id(nomination_id), version=version)
        except AggregateNotFoundError:
            nomination = None
        if not isinstance(nomination, Nomination):
            raise NominationNotFoundError(
                f"no nomination '{nomination_id}'",
                f"没有申报「{nomination_id}」",
                nomination=str(nomination_id),
            )
        return nomination

    def _directory(self, at: datetime) -> CampaignDirectory:
        try:
            return self.repository.get(DIRECTORY_ID)
        except AggregateNotFoundError:
            return CampaignDirectory.open(at)

    def list_campaigns(self) -> list[dict[str, Any]]:
        try:
            directory: CampaignDirectory = self.repository.get(DIRECTORY_ID, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return []
        return list(directory.entries)

    def _organiser(self, campaign: Campaign) -> Unit:
        return self.get_unit(campaign.organiser_unit_id)

    # --- units -----------------------------------------------------------------------------

    def register_unit(
        self,
        code: str,
        name: str,
        name_zh: str,
        level: str,
        parent_id: str | None,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        args = {"code": code, "name": name, "name_zh": name_zh, "level": level, "parent_id": parent_id}

        def decide() -> tuple[list[Any], dict[str, Any]]:
            parent = self.get_unit(parent_id, for_update=True) if parent_id else None
            authorize(actor, "manage_units", [parent] if parent else [])
            if parent is None:
                require_unscoped(actor, "manage_units")
            if self.unit_exists(code):
                raise DuplicateUnitError(
                    f"unit '{code}' already exists", f"单位「{code}」已存在", unit=code
                )
            unit = Unit.register(code, name, name_zh, level, parent, actor.as_dict(), at)
            return [unit, parent], unit.as_dict()

        return self.run("register_unit", args, decide, at=at, idempotency_key=idempotency_key)

    def rename_unit(
        self,
        code: str,
        name: str,
        name_zh: str,
        reason: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """New names (the history keeps the old ones, with the reason)."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            unit = self.get_unit(code, for_update=True)
            authorize(actor, "manage_units", [unit])
            changed = unit.rename(name, name_zh, reason, actor.as_dict(), at)
            return ([unit] if changed else []), unit.as_dict()

        args = {"unit": code, "name": name, "name_zh": name_zh, "reason": reason}
        return self.run("rename_unit", args, decide, at=at, idempotency_key=idempotency_key)

    def move_unit(
        self,
        code: str,
        parent_id: str,
        reason: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """The unit and its subtree under another parent, in one transaction. Refused while an
        open nomination (declared, admitted, inspected) would leave its jurisdiction: its nominee
        outside the declaring unit, or its declaring unit outside the campaign's organiser."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            unit = self.get_unit(code, for_update=True)
            parent = self.get_unit(parent_id, for_update=True)
            authorize(actor, "manage_units", [unit, parent])
            if unit.parent_code == parent.code:
                return [], unit.as_dict()
            old_parent = self.get_unit(unit.parent_code, for_update=True) if unit.parent_code else None
            descendants = [
                self.get_unit(u.code, for_update=True) for u in self.units_in_subtree(code)[1:]
            ]
            unit.move_under(parent, old_parent, descendants, reason, actor.as_dict(), at)
            moved = {u.code: u for u in (unit, *descendants)}
            failures = self._nominations_leaving_jurisdiction(moved)
            if failures:
                raise UnitMoveRefusedError(failures)
            return [unit, parent, *([old_parent] if old_parent else []), *descendants], unit.as_dict()

        args = {"unit": code, "parent_id": parent_id, "reason": reason}
        return self.run("move_unit", args, decide, at=at, idempotency_key=idempotency_key)

    def _nominations_leaving_jurisdiction(self, moved: Mapping[str, Unit]) -> list[RuleFailure]:
        """The open nominations a move (``moved``: the units as they would be) takes out of
        their jurisdiction, one failure each."""

        def unit(code: str) -> Unit:
            return moved.get(code) or self.get_unit(code)

        failures = []
        for entry in self.list_campaigns():
            campaign = self.get_campaign(entry["campaign_id"])
            for nomination_id, row in campaign.roster.items():
                if row["declaring_unit_id"] not in moved and row["nominee_unit_id"] not in moved:
                    continue
                if self.get_nomination(nomination_id).state not in OPEN_STATES:
                    continue
                declaring = unit(row["declaring_unit_id"])
                if not unit(row["nominee_unit_id"]).is_within(declaring.code) or not declaring.is_within(
                    campaign.organiser_unit_id
                ):
                    failures.append(
                        RuleFailure(
                            "unit_move_keeps_open_nominations",
                            f"open nomination {nomination_id} would leave its jurisdiction: withdraw it or wait until it is decided",
                            f"申报 {nomination_id} 尚在办理中，移动后将超出管辖范围：请先撤回或待其办结",
                            "parent_id",
                            None,
                            nomination_id,
                        )
                    )
        return failures

    # --- campaigns -------------------------------------------------------------------------

    def create_campaign(
        self,
        template: str,
        organiser_unit_id: str,
        actor: Actor,
        *,
        year: int | None = None,
        starts_at: datetime | None = None,
        durations: Mapping[str, Any] | None = None,
        deadlines: Mapping[str, datetime] | None = None,
        quotas: Mapping[str, Any] | None = None,
        parent_campaign_id: UUID | str | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        args = {
            "template": template,
            "organiser": organiser_unit_id,
            "year": year,
            "starts_at": starts_at,
            "durations": durations,
            "deadlines": deadlines,
            "quotas": quotas,
            "parent": parent_campaign_id,
        }

        def decide() -> tuple[list[Any], dict[str, Any]]:
            tpl = get_template(template)
            organiser = self.get_unit(organiser_unit_id)
            authorize(actor, "manage_campaigns", [organiser])
            if organiser.level not in ORGANISER_LEVELS:
                raise InvalidCampaignError(
                    [
                        RuleFailure(
                            "organiser_level",
                            "campaigns are organised by a city, county or township party committee",
                            "评选活动须由市、县或乡镇党委组织",
                            "organiser_unit_id",
                            list(ORGANISER_LEVELS),
                            organiser.level,
                        )
                    ]
                )
            parent = self.get_campaign(parent_campaign_id) if parent_campaign_id else None
            phases = instantiate(
                tpl, year=year, starts_at=starts_at, durations=durations, deadlines=deadlines
            )
            categories = apply_quotas(tpl.categories, quotas)
            campaign = Campaign._create(
                Campaign.Created,
                id=uuid4(),
                timestamp=at,
                template_code=tpl.code,
                name_zh=tpl.name_zh,
                name_en=tpl.name_en,
                organiser_unit_id=organiser.code,
                year=year if year is not None else phases[0].opens_at.year,
                timezone=tpl.timezone,
                parent_campaign_id=parent.id if parent else None,
                categories=categories,
                phases=phases,
                steps=dict(tpl.steps),
                actor=actor.as_dict(),
            )
            directory = self._directory(at)
            directory.list_campaign(campaign.id, organiser.code, tpl.code, campaign.year, at)
            return [campaign, directory], campaign.summary()

        return self.run("create_campaign", args, decide, at=at, idempotency_key=idempotency_key)

    def extend_deadline(
        self,
        campaign_id: UUID | str,
        phase: str,
        closes_at: datetime,
        reason: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            check_version(campaign, expected_version)
            authorize(actor, "extend_deadline", [self._organiser(campaign)])
            campaign.extend_deadline(phase, closes_at.astimezone(UTC), reason, actor.as_dict(), at)
            return [campaign], campaign.summary()

        args = {"campaign": campaign_id, "phase": phase, "closes_at": closes_at, "reason": reason}
        return self.run(
            "extend_deadline",
            args,
            decide,
            at=at,
            idempotency_key=idempotency_key,
            retry_on_conflict=expected_version is None,
        )

    def open_phase(
        self, campaign_id: UUID | str, phase: str, actor: Actor, *, at: datetime | None = None
    ) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            authorize(actor, "manage_phases", [self._organiser(campaign)])
            opened = campaign.open_phase(phase, actor.as_dict(), at)
            return [campaign], {"phase": phase, "opened": opened}

        return self.run("open_phase", {"campaign": campaign_id, "phase": phase}, decide, at=at)

    def close_phase(
        self,
        campaign_id: UUID | str,
        phase: str,
        actor: Actor,
        *,
        reason: str = "deadline reached / 截止时间已到",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Close a phase and lapse every nomination still waiting on one of its steps.
        Safe to repeat: a closed phase stays closed and a lapsed nomination is not lapsed again."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            authorize(actor, "manage_phases", [self._organiser(campaign)])
            closed = campaign.close_phase(phase, reason, actor.as_dict(), at)
            return [campaign], {"phase": phase, "closed": closed}

        result = self.run("close_phase", {"campaign": campaign_id, "phase": phase}, decide, at=at)
        campaign = self.get_campaign(campaign_id)
        lapsed: list[str] = []
        for step in campaign.steps_of(phase):
            for nomination_id in list(campaign.roster):
                lapse_reason = f"phase '{phase}' closed before {step.replace('_', '-')} / 阶段「{campaign.phase(phase).name_zh}」截止时仍未办理"
                outcome = self.run(
                    "lapse",
                    {"nomination": nomination_id, "phase": phase, "step": step},
                    partial(self._decide_lapse, nomination_id, step, phase, lapse_reason, actor, at),
                    at=at,
                )
                if outcome["lapsed"]:
                    lapsed.append(nomination_id)
        return dict(result, lapsed=lapsed)

    def _decide_lapse(
        self, nomination_id: str, step: str, phase: str, reason: str, actor: Actor, at: datetime
    ) -> tuple[list[Any], dict[str, Any]]:
        nomination = self.get_nomination(nomination_id)
        did = nomination.lapse(step, phase, reason, actor.as_dict(), at)
        return [nomination], {"id": nomination_id, "lapsed": did}
