"""Corrections and appeals (issue 23, items 3-4): mistakes put right in the log, each a new
event with its actor and reason, never an edit.

- void an inspection (``Nomination.InspectionVoided``): reviewers of the organiser (or the
  delegate), any time before the nomination is commended, whatever the phase; the score, the
  lowest score and passed leave it out; voiding the last valid one sends the nomination back to
  ``admitted`` (awaiting inspection); refused once commended (``correction_after_commendation``);
- return a declaration for amendment (``ReturnedForAmendment``, state ``returned``) while it
  waits on pre-review, until pre-review closes (``return_phase_closed``); the declarer amends
  (``Amended``: declared again); not amended by pre-review's close, it lapses;
- reopen a closed phase for a unit or a nomination until a deadline (``Campaign.PhaseReopened``);
  the workflow closes the window on time (``Campaign.ReopeningClosed``), lapsing what it let
  in and nobody acted on; a deadline past the campaign's end is refused
  (``reopen_after_campaign_end``);
- cancel a campaign (``Campaign.Cancelled``): nothing more is done in it, its open nominations
  close (``Nomination.ClosedByCancellation``, in batches), its workflow ends; refused once a
  title has been granted (``cancel_with_titles_granted``);
- correct a granted title's nominee name (``Nomination.NomineeNameCorrected``): reviewers of
  the organiser (or the delegate), while the nomination is commended and holds its title; the
  certificate, the decision, the commendation list and the title register follow, the old
  name stays in the history; a name another nomination of the category holds is refused
  (``name_correction_unique``); units are renamed with ``RenameUnit``;
- appeals (申诉, ``AppealLodged``/``AppealDecided``) against a rejection or a lapse, within the
  template's ``appeal_days`` (``appeal_period_over``), one open at a time; upheld restores the
  step it was refused at, reopening that step's phase for the nomination if it has closed.
"""

from __future__ import annotations

from typing import Any

from domain.errors import CorrectionInvalidError, CorrectionRefusedError, RuleFailure

DEFAULT_APPEAL_DAYS = 10
NOMINEE_NAME_MAX = 200  # as a declaration's nominee name (api/schemas.py NomineeIn)
CANCEL_BATCH = 500


def refused(
    rule: str, en: str, zh: str, field: str | None = None, expected: Any = None, actual: Any = None
) -> CorrectionRefusedError:
    return CorrectionRefusedError([RuleFailure(rule, en, zh, field, expected, actual)])


def invalid(
    rule: str, en: str, zh: str, field: str | None = None, expected: Any = None, actual: Any = None
) -> CorrectionInvalidError:
    return CorrectionInvalidError([RuleFailure(rule, en, zh, field, expected, actual)])


def reopened_reason(number: int) -> str:
    return f"reopened window {number} closed before anyone acted / 重新开放的办理期届满仍未办理"


CANCELLED_REASON = "campaign cancelled / 评选活动已取消"
