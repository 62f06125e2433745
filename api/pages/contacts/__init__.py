"""The contacts pages (联系人, issue 24): a unit's contacts, added, changed and removed through
the safe form (``pages``)."""

from api.pages.contacts.pages import router

__all__ = ["router"]
