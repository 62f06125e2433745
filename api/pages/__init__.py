"""Server-rendered web pages (jinja2, zh-CN by default, English on ``?lang=en``) under /ui:
login and logout (``session``), the landing page (``home``), the read pages (``routes``), and
one module per area of the work UI. What they share: ``rendering`` (route class, actor,
``render``) and ``forms`` (the safe form)."""

from fastapi import APIRouter

from api.pages import (
    admin,
    audit,
    declarer,
    duties,
    home,
    inspection,
    organiser,
    review,
    routes,
    session,
    titles_register,
)

router = APIRouter()
for area in (session, home, routes, declarer, review, inspection, organiser, audit, admin, duties):
    router.include_router(area.router)
router.include_router(titles_register.router)  # /ui/units/{unit}/titles

__all__ = ["router"]
