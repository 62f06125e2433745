"""Per-team score normalisation (issue 22, item 3) on a fixed data set, by hand.

Two teams scored three sites each. Team A is lenient and compressed, team B severe and spread:

    A: 92, 90, 88    mean 90       population sd sqrt((4 + 0 + 4) / 3)            = 1.6330
    B: 80, 74, 60    mean 71.3333  population sd sqrt((75.11 + 7.11 + 128.44) / 3) = 8.3799
    all six:         mean 484 / 6 = 80.6667
                     sd sqrt((128.44 + 87.11 + 53.78 + 0.44 + 44.44 + 427.11) / 6)
                        = sqrt(741.33 / 6) = sqrt(123.56) = 11.1156

    z (score - team mean) / team sd, then z * 11.1156 + 80.6667:
    A92  z = +2 / 1.6330       = +1.2247 -> 80.6667 + 13.6138 = 94.28
    A90  z =  0                          -> 80.67
    A88  z = -1.2247                     -> 80.6667 - 13.6138 = 67.05
    B80  z = +8.6667 / 8.3799  = +1.0342 -> 80.6667 + 11.4959 = 92.16
    B74  z = +2.6667 / 8.3799  = +0.3182 -> 80.6667 +  3.5372 = 84.20
    B60  z = -11.3333 / 8.3799 = -1.3524 -> 80.6667 - 15.0332 = 65.63

    raw ranking:        A92, A90, A88, B80, B74, B60
    normalised ranking: A92, B80, B74, A90, A88, B60

With a quota of 2, raw scores commend A92 and A90; normalised, A92 and B80 (B's best site,
which B's severity hid)."""

from __future__ import annotations

import pytest

from domain.actors import Actor
from domain.commands import AssignToTeam, Commend, FormTeam, IssueToken, SetScoreNormalisation
from domain.errors import InvalidCampaignError, TeamRefusedError
from domain.rules.normalisation import (
    MEAN_CENTRED,
    RAW_TOO_FEW,
    RAW_UNASSIGNED,
    TEAM_Z,
    Scored,
    normalise,
    team_statistics,
)
from domain.vocabulary import Role
from tests.builders.actors import ADMIN, CITY_REVIEWER
from tests.builders.tree import PENG_ZHEN_VILLAGES, TOWNSHIP
from tests.builders.world import World

DATA = {"A92": ("A", 92), "A90": ("A", 90), "A88": ("A", 88), "B80": ("B", 80), "B74": ("B", 74)}
DATA["B60"] = ("B", 60)
EXPECTED = {"A92": 94.28, "B80": 92.16, "B74": 84.20, "A90": 80.67, "A88": 67.05, "B60": 65.63}


def test_team_z_on_the_fixed_data_set() -> None:
    result = normalise(Scored(nid, team, score) for nid, (team, score) in DATA.items())
    assert {nid: n.score for nid, n in result.items()} == pytest.approx(EXPECTED, abs=0.01)
    assert {n.method for n in result.values()} == {TEAM_Z}
    ranked = sorted(result, key=lambda nid: -result[nid].score)
    assert ranked == ["A92", "B80", "B74", "A90", "A88", "B60"]
    assert sorted(DATA, key=lambda nid: -DATA[nid][1]) == ["A92", "A90", "A88", "B80", "B74", "B60"]
    stats = team_statistics(Scored(nid, team, score) for nid, (team, score) in DATA.items())
    assert stats["A"] == {"n": 3, "mean": 90.0, "sd": pytest.approx(1.633, abs=1e-3)}
    assert stats["B"]["sd"] == pytest.approx(8.3799, abs=1e-4)


def test_the_guards() -> None:
    """Team C scored two (< 3): left raw. Team D three equal scores (sd 0): mean-centred onto
    the overall mean. An unassigned nomination: raw. A team that already has the campaign's
    mean and spread is left unchanged by the mapping.

    Overall: 90, 50, 70, 70, 70, 60 -> mean 410 / 6 = 68.3333; D's 70s -> 70 - 70 + 68.33."""
    data = [
        Scored("c1", "C", 90),
        Scored("c2", "C", 50),
        Scored("d1", "D", 70),
        Scored("d2", "D", 70),
        Scored("d3", "D", 70),
        Scored("u", None, 60),
    ]
    result = normalise(data)
    assert (result["c1"].score, result["c1"].method) == (90, RAW_TOO_FEW)
    assert (result["c2"].score, result["c2"].method) == (50, RAW_TOO_FEW)
    assert result["d1"].method == MEAN_CENTRED and result["d1"].score == pytest.approx(68.3333)
    assert (result["u"].score, result["u"].method) == (60, RAW_UNASSIGNED)
    alone = normalise([Scored("x", "E", 60), Scored("y", "E", 70), Scored("z", "E", 80)])
    assert {k: v.score for k, v in alone.items()} == {"x": 60, "y": 70, "z": 80}
    assert normalise([]) == {}


def test_the_ranking_shows_both_and_commendation_ranks_by_the_normalised() -> None:
    world = World.in_memory()
    campaign = world.campaign(quotas={"five_good_site": 2})
    app = world.app
    at = campaign.when.pre_review
    leaders = {}
    for team in ("a", "b"):
        issued = app.execute(IssueToken(role="inspector", unit_id="shifan-shi", label=team), ADMIN)
        leaders[team] = issued["id"]
        app.execute(
            FormTeam(
                campaign_id=campaign.id,
                team_id=team,
                name=f"{team} 组",
                leader=issued["id"],
                members=[{"token_id": issued["id"]}],
            ),
            CITY_REVIEWER,
            at=at,
        )
    ids: dict[str, str] = {}
    villages = list(PENG_ZHEN_VILLAGES)
    for i, (key, (team, _)) in enumerate(DATA.items()):
        ids[key] = world.declare(campaign, villages[i % 5], name=f"站点 {key}", declaring_unit=TOWNSHIP)
        world.admit(campaign, ids[key])
        app.execute(
            AssignToTeam(campaign_id=campaign.id, team_id=team.lower(), nomination_ids=[ids[key]]),
            CITY_REVIEWER,
            at=at,
        )
    for key, (team, score) in DATA.items():
        world.inspect(
            campaign, ids[key], score, actor=Actor(leaders[team.lower()], Role.INSPECTOR, "shifan-shi")
        )

    raw = app.queries.ranking(campaign.id, "five_good_site")
    assert raw["ranked_by"] == "raw"
    assert [e["id"] for e in raw["entries"]][:2] == [ids["A92"], ids["A90"]]

    with pytest.raises(InvalidCampaignError):
        app.execute(
            SetScoreNormalisation(campaign_id=campaign.id, method="zscore"), CITY_REVIEWER, at=at
        )
    app.execute(
        SetScoreNormalisation(campaign_id=campaign.id, method="team_z", reason="两组宽严不一"),
        CITY_REVIEWER,
        at=at,
    )
    ranking = app.queries.ranking(campaign.id, "five_good_site")
    assert ranking["ranked_by"] == "team_z"
    by_id = {v: k for k, v in ids.items()}
    order = [by_id[e["id"]] for e in ranking["entries"]]
    assert order == ["A92", "B80", "B74", "A90", "A88", "B60"]
    first = ranking["entries"][1]
    assert first["raw_score"] == 80 and first["normalised_score"] == pytest.approx(92.16, abs=0.01)
    assert first["team_id"] == "b" and first["normalisation"] == TEAM_Z

    result = app.execute(
        Commend(campaign_id=campaign.id, category="five_good_site"),
        CITY_REVIEWER,
        at=campaign.when.commendation,
    )
    assert result["ranked_by"] == "team_z"
    assert [c["id"] for c in result["commended"]] == [ids["A92"], ids["B80"]]

    # the basis is frozen once commendation opens: the ranking is reproducible from the log
    for when in (campaign.when.commendation, at):  # in the step, and (commended) before it
        with pytest.raises(TeamRefusedError) as frozen:
            app.execute(
                SetScoreNormalisation(campaign_id=campaign.id, method="none", reason="改回"),
                CITY_REVIEWER,
                at=when,
            )
        assert frozen.value.failures[0].rule == "score_normalisation_frozen"
    assert app.get_campaign(campaign.id).score_normalisation == "team_z"


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_equal_non_integer_scores_are_mean_centred(n: int) -> None:
    """83.1112 repeated: the population sd comes out about 1e-14, not 0, for some n; the team
    has no spread all the same, and its scores are mean-centred, not scattered as z = -1."""
    data = [Scored(f"t{i}", "T", 83.1112) for i in range(n)] + [
        Scored("o1", "O", 60),
        Scored("o2", "O", 70),
        Scored("o3", "O", 80),
    ]
    result = normalise(data)
    overall = (83.1112 * n + 210) / (n + 3)
    for i in range(n):
        assert result[f"t{i}"].method == MEAN_CENTRED
        assert result[f"t{i}"].score == pytest.approx(overall, abs=1e-4)
