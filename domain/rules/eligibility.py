"""Hard disqualifiers decided at pre-review.

Seed 000: a five-good site whose equipment cannot run because of poor management, and
especially one whose hardware (mainboard, memory, disk) was damaged because the "five
protections" (五防: fire, theft, damp, lightning, dust) were missing, is not admitted. The
reviewer records both findings as pre-review checks; admitting without them is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import RuleFailure
from domain.values import Category

FIVE_PROTECTIONS = "five_protections"
EQUIPMENT_RUNS = "equipment_runs_normally"
HARDWARE_DAMAGED = "hardware_damaged_by_missing_protections"

# The yes/no findings each disqualifier asks of the reviewer, each recorded as a pre-review check
# (``checks.<code>``, true/false).
DISQUALIFIER_CHECKS: Mapping[str, tuple[str, ...]] = {
    FIVE_PROTECTIONS: (EQUIPMENT_RUNS, HARDWARE_DAMAGED)
}


def five_protections_failures(checks: Mapping[str, Any]) -> list[RuleFailure]:
    runs = checks.get(EQUIPMENT_RUNS)
    damaged = checks.get(HARDWARE_DAMAGED)
    if not isinstance(runs, bool) or not isinstance(damaged, bool):
        return [
            RuleFailure(
                "five_protections_checked",
                f"admitting a site needs the checks '{EQUIPMENT_RUNS}' and '{HARDWARE_DAMAGED}' "
                "(true/false)",
                "初审站点须填写“设备是否正常运行”和“是否因五防不到位造成硬件损坏”两项检查结果",
                "checks",
            )
        ]
    failures = []
    if not runs:
        failures.append(
            RuleFailure(
                "equipment_runs_normally",
                "equipment cannot run normally because of poor management: not admitted",
                "因管理不善造成设备不能正常运行，不参加评选",
                f"checks.{EQUIPMENT_RUNS}",
                True,
                runs,
            )
        )
    if damaged:
        failures.append(
            RuleFailure(
                "five_protections_in_place",
                "hardware (mainboard, memory, disk) damaged because the five protections were "
                "missing: not admitted",
                "因“五防”措施不到位造成电脑主板、内存、硬盘等硬件损坏，不参加评选",
                f"checks.{HARDWARE_DAMAGED}",
                False,
                damaged,
            )
        )
    return failures


DISQUALIFIERS = {FIVE_PROTECTIONS: five_protections_failures}


def disqualifier_failures(category: Category, checks: Mapping[str, Any]) -> list[RuleFailure]:
    failures: list[RuleFailure] = []
    for name in category.disqualifiers:
        failures.extend(DISQUALIFIERS[name](checks))
    return failures
