"""Trace-based tests: a pytest plugin whose ``e2e_trace`` fixture holds the spans a test
produced, with assertions on workflows, layers, queries, latency and errors (docs/testing.md).

Registered as a ``pytest11`` entry point but inert until a project opts in, with
``-p e2e_otel.testing`` (command line or ``addopts``) or ``e2e_otel = true`` in its pytest
configuration. Only then does it install e2e-otel's tracing in the test process, with an
in-memory exporter behind the same processors the app exports with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from e2e_otel.testing.capture import SpanCapture
    from e2e_otel.testing.receiver import OtlpReceiver
    from e2e_otel.testing.trace import Trace, TraceAssertionError
    from e2e_otel.testing.traces import CapturedTraces

__all__ = ["CapturedTraces", "OtlpReceiver", "Trace", "TraceAssertionError"]

PLUGIN = "e2e_otel.testing"
NOT_ENABLED = (
    "the e2e_trace fixture needs e2e-otel's pytest plugin enabled: run pytest with "
    f"-p {PLUGIN} (or add it to addopts), or set e2e_otel = true in the [pytest] configuration"
)
_CAPTURE: pytest.StashKey[SpanCapture] = pytest.StashKey()
_PROBLEM = pytest.StashKey[str]()


def __getattr__(name: str) -> Any:
    # The public types load on first use: a pytest run that does not opt in imports no more
    # than this module.
    if name in ("Trace", "TraceAssertionError"):
        from e2e_otel.testing import trace

        return getattr(trace, name)
    if name == "CapturedTraces":
        from e2e_otel.testing.traces import CapturedTraces

        return CapturedTraces
    if name == "OtlpReceiver":
        from e2e_otel.testing.receiver import OtlpReceiver

        return OtlpReceiver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "e2e_otel",
        type="bool",
        default=False,
        help="e2e-otel: capture the spans of each test for the e2e_trace fixture",
    )
    parser.addini(
        "e2e_otel_config",
        type="paths",
        default=[],
        help="e2e-otel: the YAML configuration for the tests (default: $E2E_OTEL_CONFIG)",
    )


def enabled(config: pytest.Config) -> bool:
    """Whether the project opted in: ``-p e2e_otel.testing`` (also through ``addopts`` or
    ``PYTEST_PLUGINS``) or the ``e2e_otel`` ini flag."""
    named = [*(config.option.plugins or []), *os.environ.get("PYTEST_PLUGINS", "").split(",")]
    return PLUGIN in (n.strip() for n in named) or bool(config.getini("e2e_otel"))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # Last, so pytest-django has set Django up: its middleware and database connections must
    # be instrumented before the first request or connection.
    if not enabled(config):
        return
    from e2e_otel.config import ConfigError
    from e2e_otel.testing.capture import CaptureError, install

    paths = config.getini("e2e_otel_config")
    try:
        config.stash[_CAPTURE] = install(paths[0] if paths else None)
    except ConfigError as exc:
        raise pytest.UsageError(f"e2e_otel_config: {exc}") from None
    except CaptureError as exc:  # the tests without e2e_trace still run
        config.stash[_PROBLEM] = str(exc)


def pytest_unconfigure(config: pytest.Config) -> None:
    capture = config.stash.get(_CAPTURE, None)
    if capture is not None:
        capture.close()


def pytest_runtest_setup(item: pytest.Item) -> None:
    capture = item.config.stash.get(_CAPTURE, None)
    if capture is not None:
        capture.clear()  # each test sees its own spans only


def _capture(request: pytest.FixtureRequest) -> SpanCapture:
    capture = request.config.stash.get(_CAPTURE, None)
    if capture is None:
        pytest.fail(request.config.stash.get(_PROBLEM, NOT_ENABLED), pytrace=False)
    return capture


@pytest.fixture(scope="session")
def e2e_otlp_receiver(request: pytest.FixtureRequest) -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP receiver on 127.0.0.1 for the session (``.url``: set it as the
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` of a browser page, a Next.js server or a subprocess): the
    spans they export join ``e2e_trace``'s. JSON and protobuf, CORS for any page origin."""
    capture = _capture(request)
    from e2e_otel.testing.receiver import OtlpReceiver

    receiver = OtlpReceiver()
    capture.attach(receiver)
    try:
        yield receiver
    finally:
        capture.detach(receiver)
        receiver.close()


@pytest.fixture
def e2e_trace(request: pytest.FixtureRequest) -> Iterator[CapturedTraces]:
    """The spans this test produced from here on, as the app exports them: pick a trace with
    ``.workflow(name)``, ``.correlation_id(id)`` or ``.response(response)`` (or
    ``.wait_for(...)`` for spans other processes export to ``e2e_otlp_receiver``), then
    assert."""
    capture = _capture(request)
    from e2e_otel.testing.traces import CapturedTraces

    capture.clear()  # what fixtures set up before this one did is not the test's
    capture.record(True)
    try:
        yield CapturedTraces(capture)
    finally:
        capture.record(False)
