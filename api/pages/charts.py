"""The pipeline chart: one row per nomination state — its name and count as text, its bar a
small SVG drawn on the server (no script, nothing fetched, no inline style). The text is the
page's own, so it keeps its size at phone width; only the bars scale."""

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
    State.RETURNED: "#d9a441",  # corrections (issue 23): returned for amendment
    State.CANCELLED: "#6b6e73",  # closed with the campaign's cancellation
}
OTHER_COLOUR = "#a7aab0"  # a state without a colour of its own
SCALE = 100  # the bars' viewBox width


def pipeline_chart(category_code: str, states: Mapping[str, int], t: Translator) -> Markup:
    """Rows for the pipeline (declared → admitted → inspected → commended) and the closed
    states, the bars scaled to the largest count; a list a screen reader reads as
    "已申报 3, 已通过初审 1, …"."""
    scale = max([1, *(int(states.get(s, 0)) for s in (*PIPELINE_STATES, *CLOSED_STATES))])
    code = escape(category_code)
    groups = []
    for key, heading, group in (
        ("pipeline", t("dashboard.in_progress"), PIPELINE_STATES),
        ("closed", t("dashboard.closed_states"), CLOSED_STATES),
    ):
        head_id = f"chart-{code}-{key}"
        rows = []
        for state in group:
            count = int(states.get(state, 0))
            width = round(SCALE * count / scale, 1)
            colour = COLOURS.get(state, OTHER_COLOUR)
            rows.append(
                f'<li data-state="{state}"><span class="chart-label">{escape(t.state(state))}</span>'
                f'<svg class="chart-bar" viewBox="0 0 {SCALE} 10" preserveAspectRatio="none" '
                f'aria-hidden="true" focusable="false"><rect class="chart-track" width="{SCALE}" '
                f'height="10"/><rect width="{width}" height="10" fill="{colour}"/></svg>'
                f'<span class="chart-count" data-category="{code}" data-state="{state}">{count}</span>'
                "</li>"
            )
        groups.append(
            f'<p class="chart-head" id="{head_id}">{escape(heading)}</p>'
            f'<ul class="chart-rows" aria-labelledby="{head_id}">{"".join(rows)}</ul>'
        )
    return Markup(f'<div class="pipeline" data-category="{code}">{"".join(groups)}</div>')
