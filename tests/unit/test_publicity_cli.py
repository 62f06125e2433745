"""``laurel publicity advance`` (issue 23, after review): a campaign whose workflow never runs
the 公示 step (started before the ``publicity`` patch, or ended) has its periods closed and its
titles granted from the operator's console."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import cli
from domain.actors import SYSTEM
from domain.commands import AdvancePublicity, ConfigurePublicity, PublishProposedList
from infra.bootstrap import bootstrap
from infra.settings import Settings
from tests.builders.actors import CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.tree import PENG_ZHEN_VILLAGES, UNIT_TREE
from tests.builders.world import World


def printed(output: str) -> dict[str, Any]:
    """The JSON the command printed (after the store's log line)."""
    answer: dict[str, Any] = json.loads(output[output.index("{") :])
    return answer


def test_advance_publicity_from_the_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    monkeypatch.setenv("LAUREL_DATABASE_URL", url)
    monkeypatch.setenv("LAUREL_HOME_DIR", str(tmp_path))
    services = bootstrap(Settings(), configure_logs=False)
    try:
        world = World(services.app)
        world.register(UNIT_TREE)
        campaign = world.campaign("five-good-sites", quotas={"five_good_site": 2})
        services.app.execute(
            ConfigurePublicity(campaign_id=campaign.id, working_days=5),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.inspection,
        )
        nid = world.inspected(campaign, next(iter(PENG_ZHEN_VILLAGES)), 90)
        world.commend(campaign)
        # published two weeks ago: its period is over, and no workflow closed it
        published_at = services.app.clock() - timedelta(days=14)
        services.app.execute(
            PublishProposedList(campaign_id=campaign.id), CITY_REVIEWER, at=published_at
        )
        assert world.state(nid) == "proposed"
    finally:
        services.close()

    runner = CliRunner()
    assert runner.invoke(cli, ["publicity", "advance"]).exit_code == 2  # nothing named
    done = runner.invoke(cli, ["publicity", "advance", "--all"])
    assert done.exit_code == 0, done.output
    answered = printed(done.output)
    assert answered["campaign_id"] == campaign.id and answered["granted"] == [nid]

    services = bootstrap(Settings())  # logs configured again: the runner's stream is closed
    try:
        assert services.app.get_nomination(nid).state == "commended"
        again = services.app.execute(AdvancePublicity(campaign_id=campaign.id), SYSTEM)
        assert again["granted"] == [] and again["closed"] == []  # run again: nothing to do
    finally:
        services.close()
