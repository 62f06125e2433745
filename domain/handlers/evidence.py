"""Evidence files (issue 22, item 4): record a file the route has checked and stored.

Who: a declaration file by the declarer of the nomination (its declaring unit in the token's
subtree) while the nomination is declared and the declaration or pre-review phase is open (or
reopened for it); an inspection file by an inspector who may inspect the nomination (the
organiser's, the delegate's or, where the template says so, the level below's; where the
campaign has teams, an unrecused member of the assigned team) while the inspection phase is
open — naming an inspection only when it is the sender's own."""

from __future__ import annotations

from domain.commands import AttachEvidence, Command
from domain.errors import EvidenceInvalidError, PhaseNotOpenError, RuleFailure
from domain.evidence import evidence_failures, is_sha256
from domain.execution import check_version
from domain.handlers.context import Context, Decision, Handler
from domain.handlers.nominations import acting_candidates
from domain.handlers.team_checks import inspecting_member
from domain.nominations import Nomination
from domain.rules.jurisdiction import authorize, authorize_any
from domain.vocabulary import EvidenceKind


def _reference_failures(command: AttachEvidence) -> list[RuleFailure]:
    """What is wrong with the command's own fields (the bytes' rules are ``evidence_failures``,
    held to the size and type the route recorded)."""
    size = max(command.size, 1)  # the route held the bytes to the configured limit
    failures = evidence_failures(size, command.media_type, limit=size)
    if command.size <= 0:  # the type is still held to the list: the command states one
        failures += evidence_failures(0, None)
    if EvidenceKind.parse(command.kind) is None:
        failures.append(
            RuleFailure(
                "evidence_kind",
                f"kind must be one of {', '.join(EvidenceKind.codes())}",
                f"材料类别须为 {'、'.join(EvidenceKind.codes())} 之一",
                field="kind",
                expected=EvidenceKind.codes(),
                actual=command.kind,
            )
        )
    for name, value in (("sha256", command.sha256), ("thumbnail_sha256", command.thumbnail_sha256)):
        if value is not None and not is_sha256(value):
            failures.append(
                RuleFailure(
                    "evidence_sha256",
                    f"{name} must be 64 lowercase hex digits",
                    f"{name} 须为 64 位小写十六进制数",
                    field=name,
                    actual=value[:80],
                )
            )
    if command.inspection is not None and command.kind != EvidenceKind.INSPECTION:
        failures.append(
            RuleFailure(
                "evidence_inspection_kind",
                "only an inspection file names an inspection",
                "只有考核材料可以指明所属考核",
                field="inspection",
                actual=command.inspection,
            )
        )
    return failures


def _own_inspection_failures(nomination: Nomination, number: int, ctx: Context) -> list[RuleFailure]:
    """An inspection file names only the sender's own inspection (a team leader's includes
    those it recorded for a named member)."""
    if not 1 <= number <= len(nomination.inspections):
        return []  # the aggregate names the missing inspection
    inspector = nomination.inspections[number - 1].inspector
    if inspector.token_id == ctx.actor.token_id:
        return []
    return [
        RuleFailure(
            "evidence_inspection_own",
            f"inspection {number} was recorded by another inspector: attach to your own",
            f"第 {number} 次考核由其他考核人录入：只能为本人的考核附加材料",
            field="inspection",
            actual=number,
        )
    ]


def attach_evidence(command: AttachEvidence, ctx: Context) -> Decision:
    failures = _reference_failures(command)
    if failures:
        raise EvidenceInvalidError(failures)
    nomination = ctx.load.get_nomination(command.nomination_id)
    check_version(nomination, ctx.expected_version)
    campaign = ctx.load.get_campaign(nomination.campaign_id)
    # a phase reopened for its unit or for it lets it through (issue 23, item 3)
    units, nid = [nomination.declaring_unit_id, nomination.nominee.unit_id], str(nomination.id)
    if command.kind == EvidenceKind.DECLARATION:
        authorize(ctx.actor, "declare", [ctx.load.get_unit(nomination.declaring_unit_id)])
        try:
            campaign.require_step_open("declaration", ctx.at, units=units, nomination_id=nid)
        except PhaseNotOpenError:
            campaign.require_step_open("pre_review", ctx.at, units=units, nomination_id=nid)
    else:
        authorize_any(ctx.actor, "inspect", acting_candidates(ctx, nomination, campaign, "inspect"))
        campaign.require_step_open("inspection", ctx.at, units=units, nomination_id=nid)
        inspecting_member(ctx, nomination, campaign, "inspect")  # teams: the assigned, unrecused
        if command.inspection is not None and (
            refused := _own_inspection_failures(nomination, command.inspection, ctx)
        ):
            raise EvidenceInvalidError(refused)
    file = {
        "sha256": command.sha256,
        "size": command.size,
        "media_type": command.media_type,
        "name": command.name,
        "thumbnail_sha256": command.thumbnail_sha256,
    }
    added = nomination.attach_evidence(command.kind, file, command.inspection, ctx.actor, ctx.at)
    result = {
        "id": nomination.id,
        "state": nomination.state,
        "version": nomination.version,
        "sha256": command.sha256,
        "attached": added,
    }
    return Decision([nomination] if added else [], result)


HANDLERS: dict[type[Command], Handler] = {AttachEvidence: attach_evidence}
