"""The challenge list with filters: by status, by kind of metric, by host organization.

Filters only narrow what ``services.list_challenges`` lists for the actor, so a filtered
list can never show a challenge the unfiltered one hides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges.schemas import ChallengeSummary, OrganizationOut, challenge_summary
from aihub.challenges.services import list_challenges
from aihub.evaluation.metrics import PredictionKind, UnknownMetricError, all_metrics, get_metric


class PhaseStatus(StrEnum):
    OPEN = "open"
    UPCOMING = "upcoming"
    CLOSED = "closed"


class MetricType(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"
    RANKING = "ranking"


# What a metric's predictions are says what kind of problem it scores.
_TYPE_OF_KIND = {
    PredictionKind.LABEL: MetricType.CLASSIFICATION,
    PredictionKind.PROBABILITY: MetricType.CLASSIFICATION,
    PredictionKind.CLASS_PROBABILITIES: MetricType.CLASSIFICATION,
    PredictionKind.VALUE: MetricType.REGRESSION,
    PredictionKind.RANKED_LIST: MetricType.RANKING,
    PredictionKind.RELEVANCE_SCORES: MetricType.RANKING,
}


def metric_type(metric: str) -> MetricType | None:
    try:
        return _TYPE_OF_KIND[get_metric(metric).kind]
    except UnknownMetricError:
        return None


def metric_types() -> list[MetricType]:
    """The kinds of problem the registered metrics score, in a fixed order."""
    present = {_TYPE_OF_KIND[metric.kind] for metric in all_metrics().values()}
    return [kind for kind in MetricType if kind in present]


@dataclass(frozen=True)
class Filters:
    status: PhaseStatus | None = None
    metric_type: MetricType | None = None
    host: str | None = None  # an organization's slug

    def keeps(self, summary: ChallengeSummary) -> bool:
        return (
            (self.status is None or summary.phase.status == self.status.value)
            and (self.metric_type is None or metric_type(summary.metric) == self.metric_type)
            and (self.host is None or summary.organization.slug == self.host)
        )


@dataclass(frozen=True)
class Listing:
    challenges: list[ChallengeSummary]
    # The organizations hosting a listed challenge: the host filter's choices.
    hosts: list[OrganizationOut] = field(default_factory=list)
    metric_types: list[MetricType] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)


def filtered_challenges(
    session: Session, actor: Actor, filters: Filters, now: datetime
) -> Listing:
    summaries = [challenge_summary(session, c, now) for c in list_challenges(session, actor)]
    hosts = {s.organization.slug: s.organization for s in summaries}
    return Listing(
        challenges=[s for s in summaries if filters.keeps(s)],
        hosts=sorted(hosts.values(), key=lambda org: org.name.ko),
        metric_types=metric_types(),
        filters=filters,
    )
