"""``e2e-otel validate``: call a running Django API's endpoints and judge the answers, traced.

:func:`~e2e_otel.validation.plan.build_plan` turns a discovery (plus the optional requests
file, :func:`~e2e_otel.validation.requests_yaml.load_requests`) into requests;
:class:`~e2e_otel.validation.runner.Runner` sends them with a
:class:`~e2e_otel.validation.tracing.CheckTracing` and returns a
:class:`~e2e_otel.validation.models.ValidationReport`.
"""

from __future__ import annotations
