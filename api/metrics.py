"""Prometheus metrics of one app instance (its own registry: no import-time globals), served
at /metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class ProjectionLag(Collector):
    """Events in the log not yet projected, per projection, read at scrape time (the runner may
    be another process)."""

    def __init__(self, lag: Callable[[], dict[str, int]]) -> None:
        self.lag = lag

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "laurel_projection_lag_events",
            "Events recorded but not yet projected",
            labels=["projection"],
        )
        for name, events in sorted(self.lag().items()):
            family.add_metric([name], events)
        yield family


class ProjectionFailures(Collector):
    """Events each read model could not store and passed over (``v_projection_failures``),
    read at scrape time: the runner may be another process."""

    def __init__(self, failures: Callable[[], dict[str, int]]) -> None:
        self.failures = failures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "laurel_projection_failures",
            "Events a read model could not store and passed over",
            labels=["projection"],
        )
        for name, events in sorted(self.failures().items()):
            family.add_metric([name], events)
        yield family


class HttpMetrics:
    def __init__(
        self,
        projection_lag: Callable[[], dict[str, int]] | None = None,
        projection_failures: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        if projection_lag is not None:
            self.registry.register(ProjectionLag(projection_lag))
        if projection_failures is not None:
            self.registry.register(ProjectionFailures(projection_failures))
        self.requests = Counter(
            "laurel_http_requests",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "laurel_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        # per (method, route, status): the two series observe() adds to
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

        self.auth_failures = Counter(
            "laurel_auth_failures",
            "Failed authentications (unknown, expired or revoked credentials)",
            ["credential"],
            registry=self.registry,
        )
        self.auth_throttled = Counter(
            "laurel_auth_throttled",
            "Requests refused with 429 after too many failed authentications from their address",
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children are kept (``labels()`` checks and looks them up under a lock on
        # every call); the same children, so the same series, as labels() would return.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics / 监控指标", response_class=Response)
def prometheus(request: Request) -> Response:
    # A sync route: the projection lag is read from the database, in the thread pool.
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
