"""Server-rendered web pages (jinja2, zh-CN by default, English on ``?lang=en``) under /ui."""

from api.pages.routes import router

__all__ = ["router"]
