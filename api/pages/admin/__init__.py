"""The admin pages (管理) of the work UI under /ui/admin: the unit tree (browse, add, rename,
move, import), access tokens (issue, list, revoke) and webhook subscriptions with their
deliveries.

Every change is a command through the safe form (``api.pages.forms``): the command refuses and
the page shows the refusal next to its field. What an admin sees is the domain's to say: its
subtree (everything for an admin without a unit), the tokens ``app.access.list_tokens`` lists,
the subscriptions ``app.webhooks`` lets it read. A secret (a token's, a subscription's signing
secret) is on the page answering the command that made it and nowhere else: that page is never
cached, and a repeated submit answers without it."""

from fastapi import APIRouter

from api.pages.admin import tokens, unit_import, units, webhooks

router = APIRouter()
for area in (units, unit_import, tokens, webhooks):
    router.include_router(area.router)

__all__ = ["router"]
