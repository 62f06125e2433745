"""Ranking and selection within quota (domain.rules.quotas): score desc, then lowest
inspection score desc, then declared_at asc, then id; never more than the quota; a
requested list must be the top of the ranking; inspection is competitive (差额考核)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import QuotaExceededError
from domain.rules.quotas import (
    Candidate,
    best_first_failures,
    competitive_inspection_failures,
    rank,
    remaining_quota,
    select_for_commendation,
)
from tests.builders.actors import CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.tree import COUNTY
from tests.builders.world import World

T0 = utc(2022, 10, 16)


def cand(nid: str, score: float, lowest: float | None = None, declared_hours: int = 0) -> Candidate:
    return Candidate(
        nid, score, score if lowest is None else lowest, T0 + timedelta(hours=declared_hours)
    )


def ids(candidates: list[Candidate]) -> list[str]:
    return [c.nomination_id for c in candidates]


def test_ranking_puts_the_higher_score_first() -> None:
    assert ids(rank([cand("b", 71), cand("a", 93.5), cand("c", 88)])) == ["a", "c", "b"]


def test_ranking_tie_on_score_goes_to_the_higher_lowest_inspection_score() -> None:
    steady, uneven = cand("z-steady", 80, lowest=78), cand("a-uneven", 80, lowest=65)
    assert ids(rank([uneven, steady])) == ["z-steady", "a-uneven"]


def test_ranking_tie_on_both_scores_goes_to_the_earlier_declaration() -> None:
    assert ids(rank([cand("a-late", 80, declared_hours=5), cand("z-early", 80, declared_hours=1)])) == [
        "z-early",
        "a-late",
    ]


def test_ranking_full_tie_goes_to_the_smaller_nomination_id() -> None:
    assert ids(rank([cand("bb", 80), cand("ab", 80), cand("ba", 80)])) == ["ab", "ba", "bb"]


def test_ranking_applies_the_tie_breaks_in_their_declared_order() -> None:
    field = [
        cand("e", 80, lowest=70, declared_hours=0),
        cand("d", 80, lowest=75, declared_hours=9),
        cand("c", 80, lowest=75, declared_hours=3),
        cand("b", 81, lowest=60, declared_hours=9),
        cand("a", 80, lowest=75, declared_hours=3),
    ]
    assert ids(rank(field)) == ["b", "a", "c", "d", "e"]


def test_remaining_quota_never_negative_and_none_without_quota() -> None:
    assert remaining_quota(3, 1) == 2
    assert remaining_quota(3, 5) == 0
    assert remaining_quota(None, 7) is None


def test_selection_takes_the_top_of_the_ranking_up_to_the_remaining_quota() -> None:
    ranked = rank([cand(str(i), 60 + i) for i in range(6)])
    assert ids(select_for_commendation(ranked, 5, 2)) == ["5", "4", "3"]


def test_selection_without_quota_takes_everyone() -> None:
    ranked = rank([cand(str(i), 60 + i) for i in range(4)])
    assert len(select_for_commendation(ranked, None, 10)) == 4


def test_selection_takes_nobody_once_the_quota_is_used_up() -> None:
    assert select_for_commendation(rank([cand("a", 99)]), 3, 3) == []


def test_selection_of_a_requested_list_beyond_the_remaining_quota_refused() -> None:
    ranked = rank([cand(str(i), 60 + i) for i in range(6)])
    with pytest.raises(QuotaExceededError) as refused:
        select_for_commendation(ranked, 5, 3, requested=["5", "4", "3"])
    assert refused.value.details == {"quota": 5, "remaining": 2}


def test_selection_of_a_requested_list_within_quota_returns_the_top() -> None:
    ranked = rank([cand("a", 90), cand("b", 80), cand("c", 70)])
    assert ids(select_for_commendation(ranked, 3, 0, requested=["b", "a"])) == ["a", "b"]


def test_best_scores_first_holds_when_the_requested_list_is_the_top_in_any_order() -> None:
    ranked = rank([cand("a", 90), cand("b", 80), cand("c", 70)])
    assert best_first_failures(ranked, ["b", "a"]) == []


def test_best_scores_first_names_the_better_ranked_nominations_skipped() -> None:
    ranked = rank([cand("a", 90), cand("b", 80), cand("c", 70)])
    (failure,) = best_first_failures(ranked, ["a", "c"])
    assert failure.rule == "best_scores_first"
    assert "['b']" in failure.message_en
    assert (failure.expected, failure.actual) == (["a", "b"], ["a", "c"])


def test_best_scores_first_refuses_an_id_that_is_not_ranked() -> None:
    ranked = rank([cand("a", 90)])
    assert [f.rule for f in best_first_failures(ranked, ["ghost"])] == ["best_scores_first"]


@pytest.mark.parametrize(
    ("quota", "admitted", "inspected", "ok"),
    [
        (3, 5, 4, True),  # more inspected than the quota
        (3, 5, 3, False),  # only as many as the quota: not competitive
        (3, 5, 2, False),
        (3, 3, 3, True),  # admitted ≤ quota: the whole field is inspected, nobody to compete with
        (3, 2, 2, True),
        (None, 9, 1, True),  # no quota: nothing to compete for
    ],
)
def test_competitive_inspection_needs_more_inspected_than_the_quota_unless_few_were_admitted(
    quota, admitted, inspected, ok: bool
) -> None:
    failures = competitive_inspection_failures(quota, admitted, inspected)
    assert (failures == []) is ok
    if not ok:
        assert [(f.rule, f.expected, f.actual) for f in failures] == [
            ("competitive_inspection", f"> {quota}", inspected)
        ]


# --- properties -----------------------------------------------------------------------------------

candidates = st.lists(
    st.builds(
        cand,
        st.uuids().map(str),
        st.floats(min_value=0, max_value=100, allow_nan=False),
        st.floats(min_value=0, max_value=100, allow_nan=False),
        st.integers(min_value=0, max_value=72),
    ),
    max_size=30,
    unique_by=lambda c: c.nomination_id,
)


@given(
    candidates,
    st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
    st.integers(min_value=0, max_value=40),
)
def test_selection_never_exceeds_the_remaining_quota_for_any_scores(
    field: list[Candidate], quota: int | None, already: int
) -> None:
    ranked = rank(field)
    chosen = select_for_commendation(ranked, quota, already)
    if quota is not None:
        assert already + len(chosen) <= max(quota, already)
        assert len(chosen) <= max(quota - already, 0)
    assert chosen == ranked[: len(chosen)]  # always the top of the ranking
    assert len(chosen) == (len(ranked) if quota is None else min(len(ranked), max(quota - already, 0)))


@given(candidates, st.randoms(use_true_random=False))
def test_ranking_is_a_total_order_independent_of_input_order(field: list[Candidate], rnd) -> None:
    shuffled = list(field)
    rnd.shuffle(shuffled)
    ranked = rank(field)
    assert rank(shuffled) == ranked
    for better, worse in itertools.pairwise(ranked):
        assert better.score >= worse.score
        assert better.sort_key() < worse.sort_key()


def test_campaign_award_beyond_the_quota_raises_quota_exceeded() -> None:
    world = World.in_memory()
    campaign_ref = world.campaign("five-good-sites", quotas={"five_good_site": 2})
    campaign = world.app.get_campaign(campaign_ref.id)
    with pytest.raises(QuotaExceededError) as refused:
        campaign.award("five_good_site", ["n1", "n2", "n3"], CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    assert refused.value.details == {"quota": 2, "commended": 0}
    campaign.award("five_good_site", ["n1", "n2"], CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    with pytest.raises(QuotaExceededError) as refused:
        campaign.award("five_good_site", ["n3"], CITY_REVIEWER, FIVE_GOOD_2022.commendation)
    assert refused.value.details == {"quota": 2, "commended": 2}
    assert campaign.commended == {"five_good_site": ["n1", "n2"]}


def test_campaign_award_unlimited_when_the_category_has_no_quota() -> None:
    world = World.in_memory()
    campaign = world.app.get_campaign(world.campaign("four-creations-three-selections", COUNTY).id)
    campaign.award(
        "model_village",
        [f"n{i}" for i in range(200)],
        CITY_REVIEWER,
        FIVE_GOOD_2022.commendation,
    )
    assert campaign.commended_count("model_village") == 200
