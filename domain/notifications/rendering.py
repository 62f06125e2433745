"""A notice as text, from the templates kept as data (``templates.yaml``): one subject line
"<zh> / <en>" and one text body, Chinese first, a separator line, then English.

Jinja2's sandbox renders them (a template is data an operator may edit: it may read the facts
and call the helpers below, nothing else), with StrictUndefined (a fact a template names and
the rule does not give is an error, not an empty string) and no autoescaping (plain text, not
HTML). The facts are the rule's (``rules.py``) as the sender completes them: optional
``campaign_name_zh``/``_en``, ``category_name_zh``/``_en`` and ``unit_names`` ({code: {"zh",
"en"}}) make the text read better; without them ids and codes stand in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import StrictUndefined, Template, pass_context
from jinja2.runtime import Context as JinjaContext
from jinja2.sandbox import SandboxedEnvironment

from domain.notifications.kinds import NoticeKind
from domain.vocabulary import Step

PARTS = ("subject_zh", "subject_en", "body_zh", "body_en")
SEPARATOR = "—" * 24
SUBJECT_JOIN = " / "
MAX_SUBJECT = 200  # characters: a mail client shows less, a header line must stay sane


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


class TemplatesInvalidError(ValueError):
    """templates.yaml lacks a kind or a part, or a template does not compile."""


def _when(value: str, lang: str, zone_name: str | None = None) -> str:
    """An ISO instant as people read it: in ``zone_name`` (the campaign's, when the sender
    adds ``timezone`` to the facts), else in the offset it carries; the offset is shown
    unless it is China's."""
    try:
        moment = datetime.fromisoformat(str(value))
        if zone_name and moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(zone_name))
    except (ValueError, KeyError):  # not an instant, or an unknown zone: as given
        return str(value)
    zone = moment.strftime("%z")
    zone = f" (UTC{zone[:3]}:{zone[3:]})" if zone and zone != "+0800" else ""
    if lang == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}{zone}"
    return f"{moment:%d %b %Y %H:%M}{zone}"


def _step(code: str, lang: str) -> str:
    step = Step.parse(str(code))
    return str(code) if step is None else step.label(lang)


def _unit(context: JinjaContext, code: str, lang: str) -> str:
    names = context.get("unit_names") or {}
    return str((names.get(str(code)) or {}).get(lang) or code)


@pass_context
def when_zh(context: JinjaContext, value: str) -> str:
    return _when(value, "zh", context.get("timezone"))


@pass_context
def when_en(context: JinjaContext, value: str) -> str:
    return _when(value, "en", context.get("timezone"))


@pass_context
def unit_zh(context: JinjaContext, code: str) -> str:
    return _unit(context, code, "zh")


@pass_context
def unit_en(context: JinjaContext, code: str) -> str:
    return _unit(context, code, "en")


def _environment() -> SandboxedEnvironment:
    """The helpers are both filters (``units | map('unit_zh')``) and functions."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
    )
    helpers: dict[str, Any] = {
        "unit_zh": unit_zh,
        "unit_en": unit_en,
        "when_zh": when_zh,
        "when_en": when_en,
        "step_zh": partial(_step, lang="zh"),
        "step_en": partial(_step, lang="en"),
    }
    env.filters.update(helpers)
    env.globals.update(helpers)
    return env


ENV = _environment()


@cache
def templates() -> dict[NoticeKind, dict[str, Template]]:
    """Every kind's four templates, compiled once; a kind or a part missing is an error."""
    text = resources.files("domain.notifications").joinpath("templates.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    compiled: dict[NoticeKind, dict[str, Template]] = {}
    for kind in NoticeKind:
        entry = data.get(kind.value) or {}
        missing = [p for p in PARTS if not isinstance(entry.get(p), str)]
        if missing:
            raise TemplatesInvalidError(f"templates.yaml: {kind.value} lacks {', '.join(missing)}")
        try:
            compiled[kind] = {p: ENV.from_string(entry[p]) for p in PARTS}
        except Exception as exc:  # a syntax error names the kind
            raise TemplatesInvalidError(f"templates.yaml: {kind.value}: {exc}") from exc
    unknown = set(data) - {k.value for k in NoticeKind}
    if unknown:
        raise TemplatesInvalidError(f"templates.yaml: unknown kinds {sorted(unknown)}")
    return compiled


def _context(facts: Mapping[str, Any], links: Mapping[str, str]) -> dict[str, Any]:
    base = (links.get("base") or "").rstrip("/")

    def link(path: str) -> str:
        return f"{base}{path}" if base else ""

    context: dict[str, Any] = dict(facts)
    for what, fallback in (("campaign", "campaign_id"), ("category", "category")):
        for lang in ("zh", "en"):
            context[f"{what}_{lang}"] = str(
                facts.get(f"{what}_name_{lang}") or facts.get(fallback) or ""
            )
    context["link"] = link
    return context


def _subject(zh: str, en: str) -> str:
    line = " ".join(f"{zh.strip()}{SUBJECT_JOIN}{en.strip()}".split())
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1] + "…"


def _body(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def render(
    kind: NoticeKind | str, facts: Mapping[str, Any], *, links: Mapping[str, str] | None = None
) -> Rendered:
    """``links``: ``{"base": <the work UI's base URL>}`` or empty (no links in the text)."""
    parts = templates()[NoticeKind(kind)]
    context = _context(facts, links or {})
    out = {p: _render(parts[p], context) for p in PARTS}
    return Rendered(
        subject=_subject(out["subject_zh"], out["subject_en"]),
        text=f"{_body(out['body_zh'])}\n\n{SEPARATOR}\n\n{_body(out['body_en'])}\n",
    )


def subject_parts(subject: str) -> tuple[str, str]:
    """A stored subject as (zh, en), split where ``render`` joined them; a subject without
    the join is all one text (returned as the first, the second empty)."""
    zh, joined, en = subject.partition(SUBJECT_JOIN)
    return (zh.strip(), en.strip()) if joined else (subject.strip(), "")


def body_parts(text: str) -> tuple[str, str]:
    """A stored body as (zh, en), split on ``render``'s separator line; a body without it is
    all one text (the first, the second empty)."""
    zh, cut, en = text.partition(f"\n{SEPARATOR}\n")
    return (zh.strip(), en.strip()) if cut else (text.strip(), "")


def _render(template: Template, context: Mapping[str, Any]) -> str:
    return template.render(context)


def render_digest(
    items: Sequence[Mapping[str, Any]],
    *,
    links: Mapping[str, str] | None = None,
    day: str = "",
    waiting: Sequence[Mapping[str, Any]] = (),
) -> Rendered:
    """The daily digest: ``items`` the day's notices in digest mode (each ``{"kind", "facts"}``),
    listed by their subject; ``waiting`` what waits for the person (each ``{"label_zh",
    "label_en", "count"}``); ``day`` the date shown."""
    notices = []
    for item in items:
        context = _context(item["facts"], links or {})
        parts = templates()[NoticeKind(item["kind"])]
        notices.append(
            {
                "subject_zh": " ".join(_render(parts["subject_zh"], context).split()),
                "subject_en": " ".join(_render(parts["subject_en"], context).split()),
            }
        )
    facts = {"day": day, "notices": notices, "waiting": [dict(w) for w in waiting]}
    return render(NoticeKind.DAILY_DIGEST, facts, links=links)
