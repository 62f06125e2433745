"""Server-rendered web pages (jinja2, zh-CN by default, English on ``?lang=en``) under /ui:
login and logout (``session``), the landing page (``home``), the read pages (``routes``), and
one module per area of the work UI. What they share: ``rendering`` (route class, actor,
``render``) and ``forms`` (the safe form)."""

from fastapi import APIRouter

from api.pages import (
    admin,
    audit,
    contacts,
    corrections,
    declarer,
    duties,
    evidence,
    home,
    inbox,
    inspection,
    organiser,
    organiser_publicity,
    public_notice,
    review,
    routes,
    session,
    titles_register,
    verify,
)

router = APIRouter()
for area in (session, home, routes, declarer, review, inspection, organiser, audit, admin, duties):
    router.include_router(area.router)
router.include_router(evidence.router)  # /ui/nominations/{id}/evidence (issue 22, item 4)
router.include_router(titles_register.router)  # /ui/units/{unit}/titles
router.include_router(verify.router)  # /verify/{code}, public (issue 22, item 5)
router.include_router(public_notice.router)  # /public/..., the 公示 and objections (issue 23)
router.include_router(corrections.router)  # /ui/.../corrections (issue 23, items 3-4)
router.include_router(organiser_publicity.router)  # /ui/organise/.../publicity (issue 23)
router.include_router(inbox.router)  # /ui/inbox, /ui/units/{unit}/feed (issue 24)
router.include_router(contacts.router)  # /ui/contacts, /ui/units/{unit}/contacts (issue 24)

__all__ = ["router"]
