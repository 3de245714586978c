"""/metrics in the Prometheus text format (prometheus-client), on a registry of the app's
own (no global state): checks by action and caller, check latency, the list in use, bulk
jobs queued and running and how long they took, sign-in failures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Live(Collector):
    """Values read at scrape time: the list serving and the jobs folder."""

    def __init__(self, list_info: Callable[[], dict[str, str]], jobs: Callable[[], Iterable[dict[str, Any]]]) -> None:
        self.list_info = list_info
        self.jobs = jobs

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("fangfei_list", "the keyword list in use (version and sha256)")
        info.add_metric([], self.list_info())
        yield info
        states = {"queued": 0, "running": 0}
        count, total = 0, 0.0
        for job in self.jobs():
            state = job.get("state")
            if state in states:
                states[state] += 1
            started, finished = job.get("started"), job.get("finished")
            if state == "done" and isinstance(started, (int, float)) and isinstance(finished, (int, float)):
                count += 1
                total += max(0.0, float(finished) - float(started))
        gauge = GaugeMetricFamily("fangfei_jobs", "bulk screening jobs of the pages by state", labels=["state"])
        for state, n in states.items():
            gauge.add_metric([state], n)
        yield gauge
        summary = SummaryMetricFamily(
            "fangfei_ingest_duration_seconds", "bulk jobs kept in the jobs folder: upload screened to a file, seconds"
        )
        summary.add_metric([], count_value=count, sum_value=total)
        yield summary


class Metrics:
    """The service's metrics; ``render()`` is the body of /metrics."""

    def __init__(
        self, *, list_info: Callable[[], dict[str, str]], jobs: Callable[[], Iterable[dict[str, Any]]] = lambda: ()
    ) -> None:
        self.registry = CollectorRegistry()
        self.checks = Counter("fangfei_checks", "checks answered, by action and caller (key id, user or anonymous)",
                              ["action", "caller"], registry=self.registry)
        self.latency = Histogram("fangfei_check_duration_seconds", "time to answer a check request, by channel",
                                 ["channel"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.requests = Counter("fangfei_http_requests", "HTTP requests answered, by status class",
                                ["status"], registry=self.registry)
        self.signin_failures = Counter("fangfei_signin_failures", "sign-ins refused on the pages", registry=self.registry)
        self.auth_failures = Counter("fangfei_api_key_failures", "API requests refused for a missing or wrong key",
                                     registry=self.registry)
        self.rate_limited = Counter("fangfei_rate_limited", "API requests refused by the per-key rate limit",
                                    ["caller"], registry=self.registry)
        self.record_failures = Counter("fangfei_check_record_failures", "checks that could not be recorded",
                                       registry=self.registry)
        self.registry.register(_Live(list_info, jobs))

    def count_checks(self, actions: Iterable[str], *, caller: str, channel: str, seconds: float) -> None:
        """One answered request of ``channel`` (api, batch, page): its checks by action and caller."""
        for action in actions:
            self.checks.labels(action=action, caller=caller).inc()
        self.latency.labels(channel=channel).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
