"""Roll-up of a unit's subtree (a township, a county): nominations per state and titles, in
total and per child unit, optionally for one campaign."""

from __future__ import annotations

from typing import Any

from domain.vocabulary import NominationState
from projections.campaigns import NOMINATION, UNIT
from projections.store import ViewStore


class RollupReader:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def rollup(self, unit_id: str, campaign_id: str | None = None) -> dict[str, Any] | None:
        found = self.store.rows(f"SELECT * FROM {self.store.table(UNIT)} WHERE unit_id = ?", (unit_id,))
        if not found:
            return None
        unit = found[0]
        prefix = unit["path"]
        # Each nomination counts where its nominee unit sits now (a unit moved since the
        # declaration takes its nominations along).
        where, params = "substr(u.path, 1, ?) = ?", [len(prefix), prefix]
        if campaign_id:
            where += " AND n.campaign_id = ?"
            params.append(campaign_id)
        counted = self.store.rows(
            "SELECT u.path AS unit_path, n.state, COUNT(*) AS n "
            f"FROM {self.store.table(NOMINATION)} AS n"
            f" JOIN {self.store.table(UNIT)} AS u ON u.unit_id = n.nominee_unit_id"
            f" WHERE {where} GROUP BY u.path, n.state",
            params,
        )
        children = self.store.rows(
            f"SELECT unit_id, name, name_zh, level, path FROM {self.store.table(UNIT)} "
            "WHERE substr(path, 1, ?) = ? AND path <> ?",
            (len(prefix), prefix, prefix),
        )
        depth = prefix.count("/") + 1
        direct = {c["unit_id"]: c for c in children if c["path"].count("/") == depth}
        total = _empty()
        per_child = {code: _empty() for code in direct}
        for row in counted:
            _add(total, row["state"], row["n"])
            child = row["unit_path"][len(prefix) :].split("/", 1)[0]
            if child in per_child:
                _add(per_child[child], row["state"], row["n"])
        return {
            **empty_rollup(unit_id, unit["name"], unit["name_zh"], unit["level"], campaign_id),
            **total,
            "children": [
                {
                    "unit_id": code,
                    "name": direct[code]["name"],
                    "name_zh": direct[code]["name_zh"],
                    "level": direct[code]["level"],
                    **per_child[code],
                }
                for code in sorted(direct)
            ],
        }


def empty_rollup(
    unit_id: str, name: str, name_zh: str, level: str, campaign_id: str | None
) -> dict[str, Any]:
    """A unit with nothing below it counted (the shape every roll-up has)."""
    return {
        "unit_id": unit_id,
        "name": name,
        "name_zh": name_zh,
        "level": level,
        "campaign_id": campaign_id,
        **_empty(),
        "children": [],
    }


def _empty() -> dict[str, Any]:
    return {
        "nominations": 0,
        "states": dict.fromkeys(map(str, NominationState), 0),
        "titles_active": 0,
        "titles_revoked": 0,
    }


def _add(into: dict[str, Any], state: str, n: int) -> None:
    into["nominations"] += n
    into["states"][state] = into["states"].get(state, 0) + n
    into["titles_active"] = into["states"][NominationState.COMMENDED]
    into["titles_revoked"] = into["states"][NominationState.REVOKED]
