"""The observability stack: metric names, Prometheus rules, Grafana dashboards, native run."""
