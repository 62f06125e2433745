"""The campaign directory: one aggregate listing every campaign, saved with each campaign's
creation in the same transaction (the event store has no query by attribute)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.ids import LAUREL_NAMESPACE

DIRECTORY_ID = uuid5(LAUREL_NAMESPACE, "campaign-directory")


class CampaignDirectory(Aggregate):
    class Opened(Aggregate.Created):
        pass

    class Listed(Aggregate.Event):
        campaign_id: UUID
        organiser_unit_id: str
        template_code: str
        year: int | None

        def apply(self, aggregate: CampaignDirectory) -> None:
            aggregate.entries.append(
                {
                    "campaign_id": self.campaign_id,
                    "organiser_unit_id": self.organiser_unit_id,
                    "template": self.template_code,
                    "year": self.year,
                }
            )

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    @classmethod
    def open(cls, at: datetime) -> CampaignDirectory:
        return cls._create(cls.Opened, id=DIRECTORY_ID, timestamp=at)

    def list_campaign(
        self,
        campaign_id: UUID,
        organiser_unit_id: str,
        template_code: str,
        year: int | None,
        at: datetime,
    ) -> None:
        self.trigger_event(
            self.Listed,
            timestamp=at,
            campaign_id=campaign_id,
            organiser_unit_id=organiser_unit_id,
            template_code=template_code,
            year=year,
        )
