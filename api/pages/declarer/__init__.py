"""The declarer's pages (申报单位) under /ui/declare.

- ``/ui/declare``: the campaigns open to my unit, each phase's deadline and time left, and
  every nomination my unit (and the units below it) declared, with its state, the reasons it
  was rejected or closed, and a link to withdraw it.
- ``/ui/declare/{campaign}``: the campaign's categories (the template's nominee kind and
  levels, minimum material, quota), the bulk declaration (templates to download, a file to
  upload) and my nominations in it.
- ``/ui/declare/{campaign}/{category}``: the declaration form generated from the category:
  the nominee chosen from my subtree, the fields the category's form declares, the typical
  material with a live count (``…/count``, the rule's own count) and the activity-day
  warnings the command will answer with (``…/warnings``, the query the command asks).
- ``/ui/declare/nominations/{id}/withdraw``: withdrawal with a reason, at the version shown.

Every write is a command through the safe form (``api.pages.forms.submit``); the rules speak
through its refusal, next to the field each failure names. Declarers act; an admin reads the
same pages for its subtree without the forms."""

from fastapi import APIRouter

from api.pages.declarer import bulk, campaigns, form, withdrawal

router = APIRouter()
# In this order: ``POST /{campaign}/nominations:import`` (bulk) before ``POST /{campaign}/{category}``.
for area in (campaigns, bulk, withdrawal, form):
    router.include_router(area.router)

__all__ = ["router"]
