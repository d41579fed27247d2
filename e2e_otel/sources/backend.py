"""Base of the backends' typed clients (Prometheus, Tempo): one :class:`JsonClient` for one
section of the configuration's ``backends``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Self

import httpx

from e2e_otel.config import Backend, Config
from e2e_otel.sources.http import JsonClient, Sleep


class BackendClient:
    """Base of the backends' typed clients: one :class:`JsonClient` for ``backends.<NAME>``."""

    NAME = ""

    def __init__(self, http: JsonClient) -> None:
        self.http = http

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
    ) -> Self:
        """A client for ``config.backends.<NAME>`` (URL, token_env, timeout, retries) and
        ``backends.max_response_bytes``."""
        backend: Backend = getattr(config.backends, cls.NAME)
        return cls(
            JsonClient.for_backend(
                cls.NAME,
                backend,
                environ=environ,
                transport=transport,
                sleep=sleep,
                max_response_bytes=config.backends.max_response_bytes,
            )
        )

    @property
    def url(self) -> str:
        """The base URL for messages and reports (user and password shown as ``***``)."""
        return self.http.display_url

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self.http.requests
