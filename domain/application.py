"""The use cases of Laurel (an eventsourcing ``Application``).

Each command loads what it needs, checks role and jurisdiction, applies the rules through
the aggregates, and saves every aggregate it changed in one transaction (see
``CommandRunner.run``). Rules that depend on time get ``at`` (default: the clock)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder

from domain.actors import Actor
from domain.campaigns import Campaign, nominee_key
from domain.errors import (
    CampaignNotFoundError,
    CommendationRefusedError,
    DeclarationInvalidError,
    DuplicateNominationError,
    DuplicateUnitError,
    NominationNotFoundError,
    RuleFailure,
    UnitNotFoundError,
)
from domain.execution import CommandRunner, check_version
from domain.ids import unit_uuid
from domain.nominations import Nomination
from domain.queries import Queries
from domain.rules.cross_entity import cross_entity_failures
from domain.rules.form import form_failures
from domain.rules.jurisdiction import authorize
from domain.rules.material import material_failures
from domain.rules.quotas import Candidate, best_first_failures, competitive_inspection_failures, rank, select_for_commendation
from domain.templates import apply_quotas, get_template, instantiate
from domain.transcodings import all_transcodings
from domain.units import Unit
from domain.values import Category, Nominee


def utc_now() -> datetime:
    return datetime.now(UTC)


class Laurel(CommandRunner, Queries, Application):
    name = "Laurel"
    snapshotting_intervals = {Campaign: 200, Unit: 200}  # noqa: RUF012 (library API)

    def __init__(self, env: Mapping[str, str] | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(env)
        self.clock = clock

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in all_transcodings():
            transcoder.register(transcoding)

    def _at(self, at: datetime | None) -> datetime:
        return (at or self.clock()).astimezone(UTC)

    # --- loading ---------------------------------------------------------------------------

    def get_unit(self, code: str) -> Unit:
        try:
            return self.repository.get(unit_uuid(code))
        except AggregateNotFoundError:
            raise UnitNotFoundError(f"no unit '{code}'", f"没有单位「{code}」", unit=code) from None

    def get_campaign(self, campaign_id: UUID | str) -> Campaign:
        try:
            campaign = self.repository.get(UUID(str(campaign_id)))
        except (AggregateNotFoundError, ValueError):
            campaign = None
        if not isinstance(campaign, Campaign):
            raise CampaignNotFoundError(f"no campaign '{campaign_id}'", f"没有评选活动「{campaign_id}」", campaign=str(campaign_id))
        return campaign

    def get_nomination(self, nomination_id: UUID | str, *, version: int | None = None) -> Nomination:
        try:
            nomination = self.repository.get(UUID(str(nomination_id)), version=version)
        except (AggregateNotFoundError, ValueError):
            nomination = None
        if not isinstance(nomination, Nomination):
            raise NominationNotFoundError(f"no nomination '{nomination_id}'", f"没有申报「{nomination_id}」", nomination=str(nomination_id))
        return nomination

    def _organiser(self, campaign: Campaign) -> Unit:
        return self.get_unit(campaign.organiser_unit_id)

    # --- units -----------------------------------------------------------------------------

    def register_unit(self, code: str, name: str, name_zh: str, level: str, parent_id: str | None, actor: Actor, *, at: datetime | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        at = self._at(at)
        args = {"code": code, "name": name, "name_zh": name_zh, "level": level, "parent_id": parent_id}

        def decide() -> tuple[list[Any], dict[str, Any]]:
            parent = self.get_unit(parent_id) if parent_id else None
            authorize(actor, "manage_units", [parent] if parent else [])
            if unit_uuid(code) in self.repository:
                raise DuplicateUnitError(f"unit '{code}' already exists", f"单位「{code}」已存在", unit=code)
            unit = Unit.register(code, name, name_zh, level, parent, actor.as_dict(), at)
            return [unit, parent], unit.as_dict()

        return self.run("register_unit", args, decide, at=at, idempotency_key=idempotency_key)

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
        args = {"template": template, "organiser": organiser_unit_id, "year": year, "starts_at": starts_at, "durations": durations, "deadlines": deadlines, "quotas": quotas, "parent": parent_campaign_id}

        def decide() -> tuple[list[Any], dict[str, Any]]:
            tpl = get_template(template)
            organiser = self.get_unit(organiser_unit_id)
            authorize(actor, "manage_campaigns", [organiser])
            parent = self.get_campaign(parent_campaign_id) if parent_campaign_id else None
            phases = instantiate(tpl, year=year, starts_at=starts_at, durations=durations, deadlines=deadlines)
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
            return [campaign], campaign.summary()

        return self.run("create_campaign", args, decide, at=at, idempotency_key=idempotency_key)

    def extend_deadline(self, campaign_id: UUID | str, phase: str, closes_at: datetime, reason: str, actor: Actor, *, at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id)
            check_version(campaign, expected_version)
            authorize(actor, "extend_deadline", [self._organiser(campaign)])
            campaign.extend_deadline(phase, closes_at.astimezone(UTC), reason, actor.as_dict(), at)
            return [campaign], campaign.summary()

        args = {"campaign": campaign_id, "phase": phase, "closes_at": closes_at, "reason": reason}
        return self.run("extend_deadline", args, decide, at=at, idempotency_key=idempotency_key, retry_on_conflict=expected_version is None)

    def open_phase(self, campaign_id: UUID | str, phase: str, actor: Actor, *, at: datetime | None = None) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id)
            authorize(actor, "manage_phases", [self._organiser(campaign)])
            opened = campaign.open_phase(phase, actor.as_dict(), at)
            return [campaign], {"phase": phase, "opened": opened}

        return self.run("open_phase", {"campaign": campaign_id, "phase": phase}, decide, at=at)

    def close_phase(self, campaign_id: UUID | str, phase: str, actor: Actor, *, reason: str = "deadline reached / 截止时间已到", at: datetime | None = None) -> dict[str, Any]:
        """Close a phase and lapse every nomination still waiting on one of its steps.
        Safe to repeat: a closed phase stays closed and a lapsed nomination is not lapsed again."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id)
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
                    lambda nid=nomination_id, s=step, r=lapse_reason: self._decide_lapse(nid, s, phase, r, actor, at),
                    at=at,
                )
                if outcome["lapsed"]:
                    lapsed.append(nomination_id)
        return dict(result, lapsed=lapsed)

    def _decide_lapse(self, nomination_id: str, step: str, phase: str, reason: str, actor: Actor, at: datetime) -> tuple[list[Any], dict[str, Any]]:
        nomination = self.get_nomination(nomination_id)
        did = nomination.lapse(step, phase, reason, actor.as_dict(), at)
        return [nomination], {"id": nomination_id, "lapsed": did}

    # --- nominations -----------------------------------------------------------------------

    def _declaration_failures(self, category: Category, nominee: Nominee, nominee_unit: Unit, declaring_unit: Unit, form: Mapping[str, Any], material: str) -> list[RuleFailure]:
        failures: list[RuleFailure] = []
        if nominee.kind != category.nominee_kind:
            failures.append(RuleFailure("nominee_kind", f"{category.code} nominates a {category.nominee_kind}", f"该类别的评选对象为 {category.nominee_kind}", "nominee.kind", category.nominee_kind, nominee.kind))
        if category.nominee_levels and nominee_unit.level not in category.nominee_levels:
            failures.append(
                RuleFailure("nominee_level", f"{category.code} nominees sit at {list(category.nominee_levels)} level", "被推荐对象所在单位层级不符合该类别要求", "nominee.unit_id", list(category.nominee_levels), nominee_unit.level)
            )
        if not nominee_unit.is_within(declaring_unit.code):
            failures.append(
                RuleFailure("nominee_in_declaring_jurisdiction", "the nominee must lie in the declaring unit's jurisdiction", "被推荐对象须在申报单位辖区内", "nominee.unit_id", declaring_unit.code, nominee_unit.code)
            )
        if not (nominee.name or "").strip():
            failures.append(RuleFailure("nominee_name_required", "the nominee needs a name", "须填写被推荐对象名称", "nominee.name"))
        failures += material_failures(material, category.min_material_chars)
        failures += form_failures(category, form)
        return failures

    def declare(
        self,
        campaign_id: UUID | str,
        category: str,
        declaring_unit_id: str,
        nominee: Mapping[str, Any],
        form: Mapping[str, Any],
        material: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        args = {"campaign": campaign_id, "category": category, "declaring_unit": declaring_unit_id, "nominee": nominee, "form": form, "material": material}
        who = Nominee(kind=str(nominee.get("kind", "")), unit_id=str(nominee.get("unit_id", "")), name=str(nominee.get("name", "")), person_id=nominee.get("person_id"))

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id)
            declaring_unit = self.get_unit(declaring_unit_id)
            nominee_unit = self.get_unit(who.unit_id)
            authorize(actor, "declare", [declaring_unit, nominee_unit])
            campaign.require_step_open("declaration", at)
            cat = campaign.category(category)
            failures = self._declaration_failures(cat, who, nominee_unit, declaring_unit, form, material)
            if not declaring_unit.is_within(campaign.organiser_unit_id):
                failures.append(RuleFailure("declaring_unit_in_campaign", "the declaring unit is outside the campaign organiser's jurisdiction", "申报单位不在本次评选组织单位辖区内", "declaring_unit_id", campaign.organiser_unit_id, declaring_unit.code))
            if failures:
                raise DeclarationInvalidError(failures)
            key = nominee_key(cat.code, who.unit_id, who.person_id, who.name)
            self._refuse_duplicate(campaign, key)
            nomination = Nomination.declare(campaign.id, cat.code, declaring_unit.code, who, form, material, actor.as_dict(), at)
            campaign.register_nomination(str(nomination.id), cat.code, key, declaring_unit.code, nominee_unit.code, actor.as_dict(), at)
            return [nomination, campaign], {"id": nomination.id, "state": nomination.state, "version": nomination.version}

        return self.run("declare", args, decide, at=at, idempotency_key=idempotency_key)

    def _refuse_duplicate(self, campaign: Campaign, key: str) -> None:
        existing = campaign.nominees.get(key)
        if existing and self.get_nomination(existing).state not in ("withdrawn", "rejected", "lapsed"):
            raise DuplicateNominationError(
                "this nominee is already declared in this category", "该对象已在本类别中申报", nomination=existing
            )

    def _nomination_command(
        self,
        command: str,
        nomination_id: UUID | str,
        action: str,
        apply: Callable[[Nomination, Campaign], None],
        actor: Actor,
        args: dict[str, Any],
        at: datetime,
        idempotency_key: str | None,
        expected_version: int | None,
        step: str | None = None,
    ) -> dict[str, Any]:
        def decide() -> tuple[list[Any], dict[str, Any]]:
            nomination = self.get_nomination(nomination_id)
            check_version(nomination, expected_version)
            campaign = self.get_campaign(nomination.campaign_id)
            units = [self.get_unit(nomination.declaring_unit_id)] if action == "withdraw" else [self._organiser(campaign)]
            authorize(actor, action, units)
            if step:
                campaign.require_step_open(step, at)
            apply(nomination, campaign)
            return [nomination], {"id": nomination.id, "state": nomination.state, "version": nomination.version}

        return self.run(command, dict(args, nomination=nomination_id), decide, at=at, idempotency_key=idempotency_key, retry_on_conflict=expected_version is None)

    def pre_review(self, nomination_id: UUID | str, decision: str, reasons: Sequence[str], actor: Actor, *, checks: Mapping[str, Any] | None = None, at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        at = self._at(at)
        checks = dict(checks or {})

        def apply(n: Nomination, c: Campaign) -> None:
            n.pre_review(c.category(n.category), decision, list(reasons), checks, actor.as_dict(), at)

        args = {"decision": decision, "reasons": list(reasons), "checks": checks}
        return self._nomination_command("pre_review", nomination_id, "pre_review", apply, actor, args, at, idempotency_key, expected_version, step="pre_review")

    def inspect(self, nomination_id: UUID | str, methods: Sequence[str], scores: Mapping[str, Any], verdict: str, actor: Actor, *, notes: str = "", at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        at = self._at(at)

        def apply(n: Nomination, c: Campaign) -> None:
            n.inspect(c.category(n.category), list(methods), dict(scores), verdict, notes, actor.as_dict(), at)

        args = {"methods": list(methods), "scores": dict(scores), "verdict": verdict, "notes": notes}
        return self._nomination_command("inspect", nomination_id, "inspect", apply, actor, args, at, idempotency_key, expected_version, step="inspection")

    def withdraw(self, nomination_id: UUID | str, reason: str, actor: Actor, *, at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        at = self._at(at)
        apply = lambda n, c: n.withdraw(reason, actor.as_dict(), at)  # noqa: E731
        return self._nomination_command("withdraw", nomination_id, "withdraw", apply, actor, {"reason": reason}, at, idempotency_key, expected_version)

    def revoke(self, nomination_id: UUID | str, reason: str, actor: Actor, *, cause: str = "decision", at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        at = self._at(at)
        apply = lambda n, c: n.revoke(reason, cause, actor.as_dict(), at)  # noqa: E731
        return self._nomination_command("revoke", nomination_id, "revoke", apply, actor, {"reason": reason, "cause": cause}, at, idempotency_key, expected_version)

    def mark_reinspection_due(self, nomination_id: UUID | str, due_by: datetime, actor: Actor, *, at: datetime | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        at = self._at(at)
        apply = lambda n, c: n.mark_reinspection_due(due_by.astimezone(UTC), actor.as_dict(), at)  # noqa: E731
        return self._nomination_command("reinspection_due", nomination_id, "reinspect", apply, actor, {"due_by": due_by}, at, idempotency_key, None)

    def reinspect(self, nomination_id: UUID | str, methods: Sequence[str], scores: Mapping[str, Any], verdict: str, actor: Actor, *, notes: str = "", at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        at = self._at(at)

        def apply(n: Nomination, c: Campaign) -> None:
            n.reinspect(c.category(n.category), list(methods), dict(scores), verdict, notes, actor.as_dict(), at)

        args = {"methods": list(methods), "scores": dict(scores), "verdict": verdict, "notes": notes}
        return self._nomination_command("reinspect", nomination_id, "reinspect", apply, actor, args, at, idempotency_key, expected_version)

    def forward(self, nomination_id: UUID | str, actor: Actor, *, target_category: str | None = None, at: datetime | None = None, idempotency_key: str | None = None, expected_version: int | None = None) -> dict[str, Any]:
        """A commended nomination becomes a declaration of the parent campaign, with provenance."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            source = self.get_nomination(nomination_id)
            check_version(source, expected_version)
            campaign = self.get_campaign(source.campaign_id)
            organiser = self._organiser(campaign)
            authorize(actor, "forward", [organiser])
            if campaign.parent_campaign_id is None:
                raise CommendationRefusedError([RuleFailure("parent_campaign_required", "this campaign has no parent campaign to forward to", "本次评选没有可上报的上级评选活动", "parent_campaign_id")])
            parent = self.get_campaign(campaign.parent_campaign_id)
            parent.require_step_open("declaration", at)
            cat = parent.category(target_category or source.category)
            key = nominee_key(cat.code, source.nominee.unit_id, source.nominee.person_id, source.nominee.name)
            self._refuse_duplicate(parent, key)
            if not organiser.is_within(parent.organiser_unit_id):
                raise CommendationRefusedError([RuleFailure("forward_to_superior", "the parent campaign's organiser must be a superior unit", "上级评选的组织单位须为本单位的上级", "parent_campaign_id")])
            provenance = {"campaign_id": str(campaign.id), "nomination_id": str(source.id), "score": source.score, "organiser_unit_id": organiser.code}
            target = Nomination.declare(parent.id, cat.code, organiser.code, source.nominee, source.form, source.material, actor.as_dict(), at, forwarded_from=provenance)
            parent.register_nomination(str(target.id), cat.code, key, organiser.code, source.nominee.unit_id, actor.as_dict(), at)
            source.forward(parent.id, target.id, actor.as_dict(), at)
            return [source, target, parent], {"id": source.id, "state": source.state, "version": source.version, "forwarded_to": {"campaign_id": parent.id, "nomination_id": target.id}}

        args = {"nomination": nomination_id, "target_category": target_category}
        return self.run("forward", args, decide, at=at, idempotency_key=idempotency_key, retry_on_conflict=expected_version is None)

    # --- commendation ------------------------------------------------------------------------

    def _cross_entity_failures(self, campaign: Campaign, category: Category, nomination: Nomination, by_category: Mapping[str, list[Nomination]]) -> list[RuleFailure]:
        failures: list[RuleFailure] = []
        for rule in category.cross_entity:
            subtree = [u.code for u in self.units_in_subtree(nomination.nominee.unit_id) if u.level == rule.unit_level]
            qualified = {n.nominee.unit_id: bool(n.state == "commended" or (n.state == "inspected" and n.passed)) for n in by_category.get(rule.category, [])}
            failures += cross_entity_failures(rule, subtree, qualified)
        return failures

    def commend(self, campaign_id: UUID | str, category: str, actor: Actor, *, nomination_ids: Sequence[str] | None = None, at: datetime | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """Commend within quota, best score first. Saved with the campaign in one transaction:
        racing commendations conflict on the campaign's version and the loser re-decides."""
        at = self._at(at)
        requested = [str(n) for n in nomination_ids] if nomination_ids is not None else None

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id)
            authorize(actor, "commend", [self._organiser(campaign)])
            campaign.require_step_open("commendation", at)
            cat = campaign.category(category)
            nominations = {nid: self.get_nomination(nid) for nid in campaign.nominations_in(cat.code)}
            admitted = sum(1 for n in nominations.values() if n.pre_review_result and n.pre_review_result["decision"] == "admit")
            inspected = sum(1 for n in nominations.values() if n.inspections)
            failures = competitive_inspection_failures(cat.quota, admitted, inspected)
            if requested is not None:
                failures += [
                    RuleFailure("nomination_passed_inspection", f"nomination {nid} has not passed inspection or is already commended", f"申报 {nid} 未通过考核或已表彰", "nomination_ids", "inspected and passed", nominations[nid].state if nid in nominations else "not in category")
                    for nid in requested
                    if nid not in nominations or nominations[nid].state != "inspected" or not nominations[nid].passed
                ]
            if failures:
                raise CommendationRefusedError(failures)
            by_category = self._campaign_nominations_by_category(campaign) if cat.cross_entity else {}
            not_selected: list[dict[str, Any]] = []
            eligible: list[Candidate] = []
            for nid, n in nominations.items():
                if n.state != "inspected" or not n.passed:
                    continue
                cross = self._cross_entity_failures(campaign, cat, n, by_category) if cat.cross_entity else []
                if cross:
                    not_selected.append({"id": nid, "failures": [f.as_dict() for f in cross]})
                    continue
                eligible.append(Candidate(nid, n.score or 0.0, n.lowest_score or 0.0, n.declared_at))
            ranked = rank(eligible)
            if requested is not None:
                unknown = [x for x in not_selected if x["id"] in requested]
                failures = [RuleFailure(f["rule"], f["message_en"], f["message_zh"]) for x in unknown for f in x["failures"]]
                failures += best_first_failures(ranked, requested)
                if failures:
                    raise CommendationRefusedError(failures)
            chosen = select_for_commendation(ranked, cat.quota, campaign.commended_count(cat.code), requested)
            start = campaign.commended_count(cat.code)
            for i, candidate in enumerate(chosen, start=1):
                nominations[candidate.nomination_id].commend(start + i, cat, actor.as_dict(), at)
            if chosen:
                campaign.award(cat.code, [c.nomination_id for c in chosen], actor.as_dict(), at)
            result = {
                "campaign_id": campaign.id,
                "category": cat.code,
                "quota": cat.quota,
                "commended": [{"id": c.nomination_id, "rank": start + i, "score": c.score} for i, c in enumerate(chosen, start=1)],
                "commended_total": start + len(chosen),
                "not_selected": not_selected,
            }
            return [campaign, *(nominations[c.nomination_id] for c in chosen)], result

        args = {"campaign": campaign_id, "category": category, "nomination_ids": requested}
        return self.run("commend", args, decide, at=at, idempotency_key=idempotency_key)
