"""Tempo's scalable config (tempo/tempo-scalable.yaml) is the single-box tempo/tempo.yaml
spread over replicas: same receivers, retention and TraceQL metrics; shared object storage and
memberlist rings instead of local disk. Tempo itself does not run here (AGPL), so this is a
static check; every variable it reads is documented in docs/scaling.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SINGLE = ROOT / "tempo" / "tempo.yaml"
SCALABLE = ROOT / "tempo" / "tempo-scalable.yaml"
DOCS = ROOT / "docs" / "scaling.md"


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_same_receivers_retention_and_traceql_metrics() -> None:
    single, scalable = _load(SINGLE), _load(SCALABLE)
    assert scalable["target"] == "scalable-single-binary"
    assert scalable["distributor"] == single["distributor"]
    assert scalable["compactor"]["compaction"] == single["compactor"]["compaction"]
    assert scalable["overrides"] == single["overrides"]
    assert scalable["server"] == single["server"]


def test_replicas_share_storage_and_rings() -> None:
    scalable = _load(SCALABLE)
    assert scalable["storage"]["trace"]["backend"] == "s3"
    assert scalable["ingester"]["lifecycler"]["ring"]["kvstore"]["store"] == "memberlist"
    assert scalable["compactor"]["ring"]["kvstore"]["store"] == "memberlist"
    assert scalable["memberlist"]["join_members"]


def test_every_variable_is_documented() -> None:
    text = SCALABLE.read_text(encoding="utf-8")
    variables = set(re.findall(r"\$\{(TEMPO_[A-Z0-9_]+)", text))
    assert variables >= {"TEMPO_S3_ENDPOINT", "TEMPO_S3_ACCESS_KEY", "TEMPO_MEMBERLIST_JOIN"}
    docs = DOCS.read_text(encoding="utf-8")
    assert not {v for v in variables if f"`{v}`" not in docs}
