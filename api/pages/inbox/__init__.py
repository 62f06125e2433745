"""The inbox pages (站内消息, issue 24): the reader's notices with their preferences
(``notices``) and a unit's feed (``feed``). The unread count in the navigation of every page is
``api.pages.rendering.render``'s."""

from fastapi import APIRouter

from api.pages.inbox import feed, notices

router = APIRouter()
for area in (notices, feed):
    router.include_router(area.router)

__all__ = ["router"]
