"""The organiser's pages (表彰) under /ui/organise: per campaign and category the ranking with
its scores and the tie-break said where two scores are equal, the quota's fill, commendation
best-first (all within quota, or a chosen subset: ``Commend``), the commendation list (with the
API's XLSX), revocation with a reason (``Revoke``) and the titles' re-inspection results.

The order is the domain's (``domain.rules.quotas``: ``rank``, ``Candidate.sort_key``,
``select_for_commendation``); the page only says which part of the key decided. Whether an
action is offered is asked of the domain; the command decides anyway and its refusal comes back
next to the field it concerns."""

from fastapi import APIRouter

from api.pages.organiser import forwarding, quotas, ranking, teams, titles

router = APIRouter()
for area in (ranking, titles, forwarding, quotas, teams):
    router.include_router(area.router)

__all__ = ["router"]
