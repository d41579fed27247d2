"""``e2e-otel db health``: connection and server figures, statement digests joined to our
fingerprints, Django migration status and orphaned rows, as a report and as Prometheus metrics.

Entry point: :func:`e2e_otel.dbhealth.probe.check_health`.
"""
