"""Example traces of regression findings, picked from an index built once: the same traces as a
plain scan of every sample, whatever the subject, the time and the failed-only filter."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from e2e_otel.analyzers.common import api_entries, endpoint_label, examples
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import Evidence
from e2e_otel.analyzers.regression_series import ExampleFinder
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.conftest import BASE_NS, Trace, dataset, spans_of

ROUTES = ("api/products/", "api/cart/", "api/orders/")
WORKFLOWS = ("product_fetch", "cart_update", "checkout")
STATEMENTS = tuple(f"SELECT * FROM t{n} WHERE id = 1" for n in range(4))


def _dataset(seed: int) -> Dataset:
    rng = random.Random(seed)
    traces = []
    for _ in range(rng.randint(1, 60)):
        trace = Trace()
        start = rng.uniform(0, 10_000)
        root = trace.request(
            rng.choice(ROUTES),
            start=start,
            duration=rng.uniform(1, 500),
            workflow=rng.choice(WORKFLOWS),
            error=rng.random() < 0.3,
            service=rng.choice(("shop-api", "admin-api")),
        )
        for _ in range(rng.randint(0, 4)):
            trace.query(root, rng.choice(STATEMENTS), start=start + 1, duration=rng.uniform(1, 50))
        traces.append(trace)
    return dataset(spans_of(traces))


def _scan(ds: Dataset, evidence: Evidence, since_ns: int, failed: bool) -> tuple[str, ...]:
    """What the finder must return, by looking at every sample."""
    if evidence.fingerprint_id:
        fp = (
            ds.strings.index(evidence.fingerprint_id)
            if evidence.fingerprint_id in ds.strings
            else -1
        )
        samples = [
            (ds.db_durations[p], ds.group_trace[ds.db_group[p]])
            for p in range(ds.db_count)
            if ds.db_fp[p] == fp and ds.db_start[p] >= since_ns
        ]
        return examples(ds, samples, 3)
    entries = [
        e
        for _, e in api_entries(ds)
        if (
            evidence.route
            and e.service == (evidence.service or "")
            and endpoint_label(e.endpoint) == f"GET {evidence.route}"
        )
        or (not evidence.route and e.workflow == evidence.workflow)
    ]
    chosen = [
        (e.duration_ns, e.trace)
        for e in entries
        if e.start_ns >= since_ns and (e.error or not failed)
    ]
    return examples(ds, chosen, 3)


SUBJECTS = st.one_of(
    st.builds(Evidence, service=st.sampled_from(("shop-api", "admin-api")),
              route=st.sampled_from(ROUTES), method=st.just("GET")),
    st.builds(Evidence, workflow=st.sampled_from((*WORKFLOWS, "none"))),
    st.builds(Evidence, fingerprint_id=st.sampled_from(
        [fingerprint_id(s) for s in STATEMENTS] + ["0123456789abcdef"])),
)  # fmt: skip


@settings(max_examples=200, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), subject=SUBJECTS, since_ms=st.floats(0, 12_000),
       failed=st.booleans())  # fmt: skip
def test_the_index_picks_what_a_full_scan_picks(
    seed: int, subject: Evidence, since_ms: float, failed: bool
) -> None:
    ds = _dataset(seed)
    since_ns = BASE_NS + int(since_ms * 1e6)
    finder = ExampleFinder(ds)
    found = finder.after(subject, since_ns / 1e9, failed=failed, count=3)
    assert found == _scan(ds, subject, int(since_ns / 1e9 * 1e9), failed)
