"""Commendation within quota (best score first, racing-safe) and forwarding to the parent campaign."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.campaigns import Campaign, nominee_key
from domain.errors import CommendationRefusedError, RuleFailure
from domain.execution import check_version
from domain.nominations import Nomination
from domain.rules.cross_entity import cross_entity_failures
from domain.rules.jurisdiction import authorize
from domain.rules.quotas import (
    Candidate,
    best_first_failures,
    competitive_inspection_failures,
    rank,
    select_for_commendation,
)
from domain.values import Category


class CommendationCommands:
    """Mixed into the application (uses its loaders, clock and ``run``)."""

    def _cross_entity_failures(
        self: Any,
        campaign: Campaign,
        category: Category,
        nomination: Nomination,
        by_category: Mapping[str, list[Nomination]],
    ) -> list[RuleFailure]:
        failures: list[RuleFailure] = []
        for rule in category.cross_entity:
            subtree = [
                u.code
                for u in self.units_in_subtree(nomination.nominee.unit_id)
                if u.level == rule.unit_level
            ]
            qualified: dict[str, bool] = {}
            for n in by_category.get(
                rule.category, []
            ):  # any one qualifying nomination of a unit is enough
                meets = n.title_active or (n.state == "inspected" and bool(n.passed))
                qualified[n.nominee.unit_id] = qualified.get(n.nominee.unit_id, False) or meets
            failures += cross_entity_failures(rule, subtree, qualified)
        return failures

    def commend(
        self: Any,
        campaign_id: UUID | str,
        category: str,
        actor: Actor,
        *,
        nomination_ids: Sequence[str] | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Commend within quota, best score first. Saved with the campaign in one transaction:
        racing commendations conflict on the campaign's version and the loser re-decides."""
        at = self._at(at)
        requested = [str(n) for n in nomination_ids] if nomination_ids is not None else None

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            authorize(actor, "commend", [self._organiser(campaign)])
            campaign.require_step_open("commendation", at)
            cat = campaign.category(category)
            nominations = {nid: self.get_nomination(nid) for nid in campaign.nominations_in(cat.code)}
            admitted = sum(
                1
                for n in nominations.values()
                if n.pre_review_result and n.pre_review_result["decision"] == "admit"
            )
            inspected = sum(1 for n in nominations.values() if n.inspections)
            failures = competitive_inspection_failures(cat.quota, admitted, inspected)
            if requested is not None:
                failures += [
                    RuleFailure(
                        "nomination_passed_inspection",
                        f"nomination {nid} has not passed inspection or is already commended",
                        f"申报 {nid} 未通过考核或已表彰",
                        "nomination_ids",
                        "inspected and passed",
                        nominations[nid].state if nid in nominations else "not in category",
                    )
                    for nid in requested
                    if nid not in nominations
                    or nominations[nid].state != "inspected"
                    or not nominations[nid].passed
                ]
            if failures:
                raise CommendationRefusedError(failures)
            by_category = self._campaign_nominations_by_category(campaign) if cat.cross_entity else {}
            not_selected: list[dict[str, Any]] = []
            eligible: list[Candidate] = []
            for nid, n in nominations.items():
                if n.state != "inspected" or not n.passed:
                    continue
                cross = (
                    self._cross_entity_failures(campaign, cat, n, by_category)
                    if cat.cross_entity
                    else []
                )
                if cross:
                    not_selected.append({"id": nid, "failures": [f.as_dict() for f in cross]})
                    continue
                eligible.append(Candidate(nid, n.score or 0.0, n.lowest_score or 0.0, n.declared_at))
            ranked = rank(eligible)
            if requested is not None:
                unknown = [x for x in not_selected if x["id"] in requested]
                failures = [
                    RuleFailure(f["rule"], f["message_en"], f["message_zh"])
                    for x in unknown
                    for f in x["failures"]
                ]
                failures += best_first_failures(ranked, requested)
                if failures:
                    raise CommendationRefusedError(failures)
            chosen = select_for_commendation(
                ranked, cat.quota, campaign.commended_count(cat.code), requested
            )
            start = campaign.commended_count(cat.code)
            for i, candidate in enumerate(chosen, start=1):
                nominations[candidate.nomination_id].commend(
                    start + i, cat, actor.as_dict(), at, campaign.title_anniversary()
                )
            if chosen:
                campaign.award(cat.code, [c.nomination_id for c in chosen], actor.as_dict(), at)
            result = {
                "campaign_id": campaign.id,
                "category": cat.code,
                "quota": cat.quota,
                "commended": [
                    {"id": c.nomination_id, "rank": start + i, "score": c.score}
                    for i, c in enumerate(chosen, start=1)
                ],
                "commended_total": start + len(chosen),
                "not_selected": not_selected,
            }
            return [campaign, *(nominations[c.nomination_id] for c in chosen)], result

        args = {"campaign": campaign_id, "category": category, "nomination_ids": requested}
        return self.run("commend", args, decide, at=at, idempotency_key=idempotency_key)

    def forward(
        self: Any,
        nomination_id: UUID | str,
        actor: Actor,
        *,
        target_category: str | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """A commended nomination becomes a declaration of the parent campaign, with provenance."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            source = self.get_nomination(nomination_id)
            check_version(source, expected_version)
            campaign = self.get_campaign(source.campaign_id)
            organiser = self._organiser(campaign)
            authorize(actor, "forward", [organiser])
            if campaign.parent_campaign_id is None:
                raise CommendationRefusedError(
                    [
                        RuleFailure(
                            "parent_campaign_required",
                            "this campaign has no parent campaign to forward to",
                            "本次评选没有可上报的上级评选活动",
                            "parent_campaign_id",
                        )
                    ]
                )
            parent = self.get_campaign(campaign.parent_campaign_id, for_update=True)
            parent.require_step_open("declaration", at)
            cat = parent.category(target_category or source.category)
            key = nominee_key(
                cat.code, source.nominee.unit_id, source.nominee.person_id, source.nominee.name
            )
            self._refuse_duplicate(parent, key)
            if not organiser.is_within(parent.organiser_unit_id):
                raise CommendationRefusedError(
                    [
                        RuleFailure(
                            "forward_to_superior",
                            "the parent campaign's organiser must be a superior unit",
                            "上级评选的组织单位须为本单位的上级",
                            "parent_campaign_id",
                        )
                    ]
                )
            provenance = {
                "campaign_id": str(campaign.id),
                "nomination_id": str(source.id),
                "score": source.score,
                "organiser_unit_id": organiser.code,
            }
            target = Nomination.declare(
                parent.id,
                cat.code,
                organiser.code,
                source.nominee,
                source.form,
                source.material,
                actor.as_dict(),
                at,
                forwarded_from=provenance,
            )
            parent.register_nomination(
                str(target.id),
                cat.code,
                key,
                organiser.code,
                source.nominee.unit_id,
                actor.as_dict(),
                at,
            )
            source.forward(parent.id, target.id, actor.as_dict(), at)
            return [source, target, parent], {
                "id": source.id,
                "state": source.state,
                "version": source.version,
                "forwarded_to": {"campaign_id": parent.id, "nomination_id": target.id},
            }

        args = {"nomination": nomination_id, "target_category": target_category}
        return self.run(
            "forward",
            args,
            decide,
            at=at,
            idempotency_key=idempotency_key,
            retry_on_conflict=expected_version is None,
        )
