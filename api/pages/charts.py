"""The pipeline chart: one horizontal bar per nomination state, drawn as inline SVG on the
server (no script, nothing fetched)."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from api.pages.i18n import Translator
from domain.vocabulary import CLOSED_STATES, PIPELINE_STATES, NominationState

State = NominationState
COLOURS = {
    State.DECLARED: "#9db9e0",
    State.ADMITTED: "#5f8fd0",
    State.INSPECTED: "#2f62ad",
    State.COMMENDED: "#c8102e",
    State.REJECTED: "#b9a89a",
    State.WITHDRAWN: "#a7aab0",
    State.LAPSED: "#c9b37a",
    State.REVOKED: "#8a3b3b",
    State.FORWARDED: "#7a5aa6",
}
WIDTH, LABEL_W, BAR_W, ROW_H, HEAD_H = 560, 130, 360, 24, 26


def pipeline_svg(category_code: str, states: Mapping[str, int], t: Translator) -> Markup:
    """Bars for the pipeline (declared → admitted → inspected → commended) and the closed
    states, scaled to the largest count; each count is written next to its bar."""
    scale = max([1, *(int(states.get(s, 0)) for s in (*PIPELINE_STATES, *CLOSED_STATES))])
    parts: list[str] = []
    y = 0
    for heading, group in (
        (t("dashboard.in_progress"), PIPELINE_STATES),
        (t("dashboard.closed_states"), CLOSED_STATES),
    ):
        parts.append(f'<text x="0" y="{y + 17}" class="chart-head">{escape(heading)}</text>')
        y += HEAD_H
        for state in group:
            count = int(states.get(state, 0))
            width = round(BAR_W * count / scale, 1)
            bar = f'x="{LABEL_W}" y="{y + 3}" height="{ROW_H - 6}" rx="3"'
            parts.append(
                f'<g data-state="{state}">'
                f'<text x="{LABEL_W - 8}" y="{y + 16}" text-anchor="end" class="chart-label">'
                f"{escape(t.state(state))}</text>"
                f'<rect {bar} width="{BAR_W}" class="chart-track"/>'
                f'<rect {bar} width="{width}" fill="{COLOURS[state]}"/>'
                f'<text x="{LABEL_W + width + 6}" y="{y + 16}" class="chart-count" '
                f'data-category="{escape(category_code)}" data-state="{state}">{count}</text>'
                "</g>"
            )
            y += ROW_H
        y += 6
    label = escape(
        f"{t('dashboard.pipeline')}: "
        + ", ".join(f"{t.state(s)} {int(states.get(s, 0))}" for s in (*PIPELINE_STATES, *CLOSED_STATES))
    )
    return Markup(
        f'<svg class="pipeline" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {y}" '
        f'width="{WIDTH}" height="{y}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>{''.join(parts)}</svg>"
    )
