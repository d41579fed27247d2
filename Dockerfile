# The e2e-otel analyzer image (docker compose service "analyzer"): the e2e-otel package and
# its `e2e-otel` command on a slim Python. Build context: the repository root.
# An exact patch release: a floating tag (3.12-slim-bookworm) changes under the same name.
FROM python:3.12.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY e2e_otel ./e2e_otel
RUN pip install ".[analyzer]" && rm -rf /src

RUN useradd --system --uid 10001 --home-dir /var/lib/e2e-otel --create-home e2e-otel
USER 10001
WORKDIR /var/lib/e2e-otel

# Findings as Prometheus metrics (scraped by the "e2e-otel-analyzer" job).
EXPOSE 9464
ENTRYPOINT ["e2e-otel"]
CMD ["--help"]
