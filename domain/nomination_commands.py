"""Use cases on one nomination: declare, pre-review, inspect, withdraw, revoke, re-inspect."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.campaigns import Campaign, nominee_key
from domain.errors import DeclarationInvalidError, DuplicateNominationError, RuleFailure
from domain.execution import check_version
from domain.nominations import Nomination
from domain.rules.form import form_failures
from domain.rules.jurisdiction import authorize
from domain.rules.material import material_failures
from domain.units import Unit
from domain.values import Category, Nominee


class NominationCommands:
    """Mixed into the application (uses its loaders, clock and ``run``)."""

    def _declaration_failures(
        self,
        category: Category,
        nominee: Nominee,
        nominee_unit: Unit,
        declaring_unit: Unit,
        form: Mapping[str, Any],
        material: str,
    ) -> list[RuleFailure]:
        failures: list[RuleFailure] = []
        if nominee.kind != category.nominee_kind:
            failures.append(
                RuleFailure(
                    "nominee_kind",
                    f"{category.code} nominates a {category.nominee_kind}",
                    f"该类别的评选对象为 {category.nominee_kind}",
                    "nominee.kind",
                    category.nominee_kind,
                    nominee.kind,
                )
            )
        if category.nominee_levels and nominee_unit.level not in category.nominee_levels:
            failures.append(
                RuleFailure(
                    "nominee_level",
                    f"{category.code} nominees sit at {list(category.nominee_levels)} level",
                    "被推荐对象所在单位层级不符合该类别要求",
                    "nominee.unit_id",
                    list(category.nominee_levels),
                    nominee_unit.level,
                )
            )
        if not nominee_unit.is_within(declaring_unit.code):
            failures.append(
                RuleFailure(
                    "nominee_in_declaring_jurisdiction",
                    "the nominee must lie in the declaring unit's jurisdiction",
                    "被推荐对象须在申报单位辖区内",
                    "nominee.unit_id",
                    declaring_unit.code,
                    nominee_unit.code,
                )
            )
        if not (nominee.name or "").strip():
            failures.append(
                RuleFailure(
                    "nominee_name_required",
                    "the nominee needs a name",
                    "须填写被推荐对象名称",
                    "nominee.name",
                )
            )
        failures += material_failures(material, category.min_material_chars)
        failures += form_failures(category, form)
        return failures

    def declare(
        self: Any,
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
        args = {
            "campaign": campaign_id,
            "category": category,
            "declaring_unit": declaring_unit_id,
            "nominee": nominee,
            "form": form,
            "material": material,
        }
        who = Nominee(
            kind=str(nominee.get("kind", "")),
            unit_id=str(nominee.get("unit_id", "")),
            name=str(nominee.get("name", "")),
            person_id=nominee.get("person_id"),
        )

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            declaring_unit = self.get_unit(declaring_unit_id)
            nominee_unit = self.get_unit(who.unit_id)
            authorize(actor, "declare", [declaring_unit, nominee_unit])
            campaign.require_step_open("declaration", at)
            cat = campaign.category(category)
            failures = self._declaration_failures(cat, who, nominee_unit, declaring_unit, form, material)
            if not declaring_unit.is_within(campaign.organiser_unit_id):
                failures.append(
                    RuleFailure(
                        "declaring_unit_in_campaign",
                        "the declaring unit is outside the campaign organiser's jurisdiction",
                        "申报单位不在本次评选组织单位辖区内",
                        "declaring_unit_id",
                        campaign.organiser_unit_id,
                        declaring_unit.code,
                    )
                )
            if failures:
                raise DeclarationInvalidError(failures)
            key = nominee_key(cat.code, who.unit_id, who.person_id, who.name)
            self._refuse_duplicate(campaign, key)
            nomination = Nomination.declare(
                campaign.id,
                cat.code,
                declaring_unit.code,
                replace(who, level=nominee_unit.level),
                form,
                material,
                actor.as_dict(),
                at,
            )
            campaign.register_nomination(
                str(nomination.id),
                cat.code,
                key,
                declaring_unit.code,
                nominee_unit.code,
                actor.as_dict(),
                at,
            )
            warnings = [
                f.as_dict()
                for f in self.activity_day_failures(nomination, cat.collective, campaign.year, at)
            ]
            return [nomination, campaign], {
                "id": nomination.id,
                "state": nomination.state,
                "version": nomination.version,
                "warnings": warnings,
            }

        return self.run("declare", args, decide, at=at, idempotency_key=idempotency_key)

    def _refuse_duplicate(self: Any, campaign: Campaign, key: str) -> None:
        existing = campaign.nominees.get(key)
        if existing and self.get_nomination(existing).state not in ("withdrawn", "rejected", "lapsed"):
            raise DuplicateNominationError(
                "this nominee is already declared in this category",
                "该对象已在本类别中申报",
                nomination=existing,
            )

    def _nomination_command(
        self: Any,
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
            units = (
                [self.get_unit(nomination.declaring_unit_id)]
                if action == "withdraw"
                else [self._organiser(campaign)]
            )
            authorize(actor, action, units)
            if step:
                campaign.require_step_open(step, at)
            apply(nomination, campaign)
            return [nomination], {
                "id": nomination.id,
                "state": nomination.state,
                "version": nomination.version,
            }

        return self.run(
            command,
            dict(args, nomination=nomination_id),
            decide,
            at=at,
            idempotency_key=idempotency_key,
            retry_on_conflict=expected_version is None,
        )

    def pre_review(
        self: Any,
        nomination_id: UUID | str,
        decision: str,
        reasons: Sequence[str],
        actor: Actor,
        *,
        checks: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        checks = dict(checks or {})

        def apply(n: Nomination, c: Campaign) -> None:
            category = c.category(n.category)
            seed_004 = (
                self.activity_day_failures(n, category.collective, c.year, at)
                if decision == "admit"
                else []
            )
            n.pre_review(
                category, decision, list(reasons), checks, actor.as_dict(), at, extra_failures=seed_004
            )

        args = {"decision": decision, "reasons": list(reasons), "checks": checks}
        return self._nomination_command(
            "pre_review",
            nomination_id,
            "pre_review",
            apply,
            actor,
            args,
            at,
            idempotency_key,
            expected_version,
            step="pre_review",
        )

    def inspect(
        self: Any,
        nomination_id: UUID | str,
        methods: Sequence[str],
        scores: Mapping[str, Any],
        verdict: str,
        actor: Actor,
        *,
        notes: str = "",
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)

        def apply(n: Nomination, c: Campaign) -> None:
            n.inspect(
                c.category(n.category), list(methods), dict(scores), verdict, notes, actor.as_dict(), at
            )

        args = {"methods": list(methods), "scores": dict(scores), "verdict": verdict, "notes": notes}
        return self._nomination_command(
            "inspect",
            nomination_id,
            "inspect",
            apply,
            actor,
            args,
            at,
            idempotency_key,
            expected_version,
            step="inspection",
        )

    def withdraw(
        self: Any,
        nomination_id: UUID | str,
        reason: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        apply = lambda n, c: n.withdraw(reason, actor.as_dict(), at)
        return self._nomination_command(
            "withdraw",
            nomination_id,
            "withdraw",
            apply,
            actor,
            {"reason": reason},
            at,
            idempotency_key,
            expected_version,
        )

    def revoke(
        self: Any,
        nomination_id: UUID | str,
        reason: str,
        actor: Actor,
        *,
        cause: str = "decision",
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        apply = lambda n, c: n.revoke(reason, cause, actor.as_dict(), at)
        return self._nomination_command(
            "revoke",
            nomination_id,
            "revoke",
            apply,
            actor,
            {"reason": reason, "cause": cause},
            at,
            idempotency_key,
            expected_version,
        )

    def mark_reinspection_due(
        self: Any,
        nomination_id: UUID | str,
        due_by: datetime,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        apply = lambda n, c: n.mark_reinspection_due(due_by.astimezone(UTC), actor.as_dict(), at)
        return self._nomination_command(
            "reinspection_due",
            nomination_id,
            "reinspect",
            apply,
            actor,
            {"due_by": due_by},
            at,
            idempotency_key,
            None,
        )

    def reinspect(
        self: Any,
        nomination_id: UUID | str,
        methods: Sequence[str],
        scores: Mapping[str, Any],
        verdict: str,
        actor: Actor,
        *,
        notes: str = "",
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)

        def apply(n: Nomination, c: Campaign) -> None:
            n.reinspect(
                c.category(n.category), list(methods), dict(scores), verdict, notes, actor.as_dict(), at
            )

        args = {"methods": list(methods), "scores": dict(scores), "verdict": verdict, "notes": notes}
        return self._nomination_command(
            "reinspect",
            nomination_id,
            "reinspect",
            apply,
            actor,
            args,
            at,
            idempotency_key,
            expected_version,
        )
