"""Server-rendered web pages (jinja2, zh-CN by default, English on ``?lang=en``) under /ui:
login and logout (``session``), the landing page (``home``), the read pages (``routes``), and
one module per area of the work UI. What they share: ``rendering`` (route class, actor,
``render``) and ``forms`` (the safe form)."""

from fastapi import APIRouter

from api.pages import admin, audit, declarer, home, inspection, organiser, review, routes, session

router = APIRouter()
for area in (session, home, routes, declarer, review, inspection, organiser, audit, admin):
    router.include_router(area.router)

__all__ = ["router"]
