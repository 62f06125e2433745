"""The auditor's pages (审计) under /ui/audit: the campaigns an auditor reads, any nomination's
timeline with its actors and reasons — now or as of any date and time (a ``datetime-local`` in
the campaign's time zone; ``app.queries.nomination_as_of``) — the dashboard as of a date and
time (the dashboard page's ``?as_of=``), the audit chain's verification and signed checkpoints,
and the export.

Who reads what is the API's rule: auditors and admins read the audit pages; of the root
(no unit on the token) the whole chain, its checkpoints and the whole log's export; of a unit,
the campaigns organised in its subtree and the export of its subtree's events
(``domain.rules.jurisdiction``: ``require_audit_reader``, ``require_whole_log_reader``)."""

from fastapi import APIRouter

from api.pages.audit import history, log

router = APIRouter()
for area in (log, history):
    router.include_router(area.router)

__all__ = ["router"]
