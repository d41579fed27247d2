from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from e2e_otel.analyzers.models import REPORT_SCHEMA_VERSION, Report, Section
from e2e_otel.publish.json_report import (
    REPORT_JSON_SCHEMA,
    ReportSchemaError,
    load_report_dict,
    render_json,
    report_from_dict,
    report_to_dict,
)
from e2e_otel.publish.validation import validate
from tests.publish.reports import (
    T0,
    incomplete_report,
    rec,
    recommendations,
    sample_report,
    slow_queries,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "report.md"


def _json_clean_report() -> Report:
    """Only JSON scalars in cells and figures, so the model survives a round trip exactly."""
    recs = tuple(
        replace(
            r,
            evidence=replace(
                r.evidence,
                figures={k: v for k, v in r.evidence.figures.items() if math.isfinite(v)},
            ),
        )
        for r in recommendations()
    )
    return sample_report(recommendations=recs, sections=(slow_queries(),))


def _jsonschema_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        REPORT_JSON_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [error.message for error in validator.iter_errors(document)]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_JSON_SCHEMA)
    assert REPORT_JSON_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert REPORT_JSON_SCHEMA["properties"]["schema_version"]["const"] == REPORT_SCHEMA_VERSION


def _walk(schema: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every subschema with its location."""
    found = []
    if isinstance(schema, dict):
        found.append((path, schema))
        for key, value in schema.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    found += _walk(sub, f"{path}/{key}/{name}")
            elif key in ("items", "additionalProperties"):
                found += _walk(value, f"{path}/{key}")
    return found


def test_schema_documents_every_field_and_docs_name_them() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for path, schema in _walk(REPORT_JSON_SCHEMA):
        for name, field in schema.get("properties", {}).items():
            assert "$ref" in field or field.get("description"), f"{path}/{name}: no description"
            assert f"`{name}`" in docs, f"docs/report.md does not document {name!r} ({path})"


def test_rendered_report_is_valid_for_jsonschema_and_the_builtin_validator() -> None:
    for report in (
        sample_report(),
        incomplete_report(),
        sample_report(recommendations=(), sections=()),
    ):
        document = json.loads(render_json(report))
        assert _jsonschema_errors(document) == []
        validate(document)


def test_round_trip_through_the_schema_gives_the_same_report() -> None:
    report = _json_clean_report()
    loaded = report_from_dict(load_report_dict(render_json(report)))
    assert loaded == replace(
        report, recommendations=tuple(sorted(report.recommendations, key=lambda r: r.sort_key()))
    )


def test_round_trip_of_non_json_values_is_a_fixpoint() -> None:
    # NaN figures, infinite and datetime cells cannot come back as they were; their JSON form must.
    text = render_json(incomplete_report())
    assert render_json(report_from_dict(load_report_dict(text))) == text


def test_output_is_deterministic_whatever_the_input_order_and_timezone() -> None:
    report = sample_report()
    shuffled = list(report.recommendations)
    random.Random(7).shuffle(shuffled)
    cest = timezone(timedelta(hours=2))
    same_instant = replace(
        report, recommendations=tuple(shuffled), generated_at=report.generated_at.astimezone(cest)
    )
    assert render_json(report) == render_json(report) == render_json(same_instant)


def test_keys_are_sorted_and_recommendations_follow_sort_key() -> None:
    report = sample_report()
    text = render_json(report)

    def check_sorted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    json.loads(text, object_pairs_hook=check_sorted)
    ids = [r["id"] for r in json.loads(text)["recommendations"]]
    assert ids == [r.id for r in sorted(report.recommendations, key=lambda r: r.sort_key())]
    assert [r["priority"] for r in json.loads(text)["recommendations"]][:3] == ["high"] * 3
    assert text.endswith("}\n")


def test_datetimes_are_iso_8601_utc() -> None:
    report = sample_report(
        generated_at=datetime(2024, 5, 13, 3, 2, 3, 500, tzinfo=timezone(timedelta(hours=2))),
        window_start=datetime(2024, 5, 6),  # naive: taken as UTC
        window_end=None,
    )
    data = report_to_dict(report)
    assert data["generated_at"] == "2024-05-13T01:02:03.000500Z"
    assert data["window_start"] == "2024-05-06T00:00:00Z"
    assert data["window_end"] is None


def test_summary_counts_and_non_finite_numbers() -> None:
    data = report_to_dict(incomplete_report())
    assert data["summary"] == {
        "recommendations": 10,
        "by_priority": {"high": 3, "medium": 3, "low": 4},
        "by_category": {"database": 6, "api": 3, "frontend": 1},
    }
    assert data["complete"] is False and len(data["problems"]) == 2
    slow_render = next(r for r in data["recommendations"] if r["rule"] == "slow_render")
    assert slow_render["evidence"]["figures"]["nan_figure"] is None
    hotspots = next(s for s in data["sections"] if s["name"] == "error_hotspots")
    assert hotspots["rows"][0][5] == "2024-05-06T00:00:00Z"
    assert hotspots["rows"][2][4] is None  # infinity
    assert hotspots["rows"][2][5] is True


def test_unicode_is_kept_as_text() -> None:
    text = render_json(sample_report())
    assert "ünïcødé" in text and "日本語" in text and "\\u" not in text


def test_render_refuses_a_report_the_schema_rejects() -> None:
    bad = sample_report(recommendations=(replace(rec("x", "high", "t"), id="not-hex"),))
    with pytest.raises(ReportSchemaError) as caught:
        render_json(bad)
    assert caught.value.path == "recommendations[0].id"


def _mutations() -> list[tuple[str, Any]]:
    """(name, mutate(document)) pairs, each making a valid document invalid."""

    def drop(key: str) -> Any:
        return lambda d: d.pop(key)

    def set_(path: tuple[Any, ...], value: Any) -> Any:
        def apply(d: Any) -> None:
            for step in path[:-1]:
                d = d[step]
            d[path[-1]] = value

        return apply

    return [
        ("missing field", drop("source")),
        ("unknown field", set_(("extra",), 1)),
        ("bad priority", set_(("recommendations", 0, "priority"), "urgent")),
        ("bad category", set_(("recommendations", 0, "category"), "network")),
        ("bad id", set_(("recommendations", 0, "id"), "ABC")),
        ("bad fingerprint id", set_(("recommendations", 0, "evidence", "fingerprint_id"), "xyz")),
        ("string figure", set_(("recommendations", 0, "evidence", "figures", "calls"), "12")),
        ("bool spans", set_(("spans",), True)),
        ("negative traces", set_(("traces",), -1)),
        ("bad date", set_(("generated_at",), "yesterday")),
        ("date without zone", set_(("window_start",), "2024-05-06T00:00:00")),
        ("object cell", set_(("sections", 0, "rows", 0, 0), {"a": 1})),
        ("bad section name", set_(("sections", 0, "name"), "Slow Queries")),
        ("steps not a list", set_(("recommendations", 0, "steps"), "do it")),
        ("missing evidence field", lambda d: d["recommendations"][0]["evidence"].pop("route")),
        ("missing count", lambda d: d["summary"]["by_priority"].pop("low")),
    ]


# jsonschema checks "format": "date-time" only when rfc3339-validator is installed.
CHECKS_DATES = "date-time" in jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[n for n, _ in _mutations()])
def test_invalid_documents_are_rejected_as_jsonschema_rejects_them(name: str, mutate: Any) -> None:
    document = copy.deepcopy(report_to_dict(sample_report()))
    mutate(document)
    if "date" not in name or CHECKS_DATES:
        assert _jsonschema_errors(document), f"{name}: jsonschema accepts it"
    with pytest.raises(ReportSchemaError):
        load_report_dict(json.dumps(document))


def test_errors_name_the_bad_field() -> None:
    document = report_to_dict(sample_report())
    document["recommendations"][2]["priority"] = "urgent"
    with pytest.raises(ReportSchemaError) as caught:
        load_report_dict(json.dumps(document))
    assert caught.value.path == "recommendations[2].priority"
    assert "urgent" in str(caught.value) and isinstance(caught.value, ValueError)


def test_checks_beyond_the_schema() -> None:
    document = report_to_dict(sample_report())
    document["sections"][0]["rows"][1] = [1, 2]
    with pytest.raises(ReportSchemaError, match=r"sections\[0\]\.rows\[1\]: 2 cells for 8 columns"):
        load_report_dict(json.dumps(document))
    document = report_to_dict(sample_report())
    document["schema_version"] = "2.0"
    with pytest.raises(ReportSchemaError, match=r"'2\.0' is not supported"):
        load_report_dict(json.dumps(document))
    # A report written before the last minor bump (no field added since) still reads.
    document["schema_version"] = "1.1"
    assert load_report_dict(json.dumps(document))["schema_version"] == "1.1"
    document["schema_version"] = "1.9"
    with pytest.raises(ReportSchemaError, match=r"'1\.9' is not supported"):
        load_report_dict(json.dumps(document))
    with pytest.raises(ReportSchemaError, match="NaN is not valid JSON"):
        load_report_dict(render_json(sample_report()).replace('"spans": 1234567', '"spans": NaN'))
    with pytest.raises(ReportSchemaError, match="not JSON"):
        load_report_dict("{")
    with pytest.raises(ReportSchemaError, match="not JSON: Exceeds the limit"):
        load_report_dict('{"spans": ' + "1" * 5000 + "}")
    with pytest.raises(ReportSchemaError, match=r"is not of type 'object'"):
        load_report_dict("[]")


def test_charts_carry_series_and_change_points() -> None:
    document = report_to_dict(sample_report())
    (checkout, products) = document["charts"]
    assert checkout["points"][0] == [T0.timestamp(), 195.0] and len(checkout["counts"]) == 168
    (step,) = checkout["change_points"]
    assert step["direction"] == "up" and step["relative_change"] == pytest.approx(0.3772, abs=1e-4)
    assert products["change_points"][0]["direction"] == "down" and products["counts"] == []
    loaded = report_from_dict(load_report_dict(render_json(sample_report())))
    assert loaded.charts == sample_report().charts


def test_chart_checks_beyond_the_schema() -> None:
    document = report_to_dict(sample_report())
    document["charts"][0]["change_points"][0]["index"] = 168
    with pytest.raises(ReportSchemaError, match=r"charts\[0\]\.change_points\[0\]\.index"):
        load_report_dict(json.dumps(document))
    document = report_to_dict(sample_report())
    document["charts"][0]["counts"] = [1, 2]
    with pytest.raises(ReportSchemaError, match=r"charts\[0\]\.counts: 2 counts for 168"):
        load_report_dict(json.dumps(document))


def test_loads_bytes_and_empty_sections() -> None:
    report = sample_report(
        sections=(Section("empty", "Empty", ("a", "b"), ()),), recommendations=()
    )
    data = load_report_dict(render_json(report).encode("utf-8"))
    assert data["sections"][0]["rows"] == [] and data["recommendations"] == []


def test_the_example_in_the_docs_is_a_valid_report() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    example = docs.split("```json\n", 1)[1].split("```", 1)[0]
    report = report_from_dict(load_report_dict(example))
    assert render_json(report) == example


def test_a_report_without_a_window_renders_with_null_bounds() -> None:
    """The report of no data at all (a library caller's empty file): the format check of the
    window's date-times takes null as the schema's type allows it, and a loaded copy agrees."""
    report = replace(sample_report(), window_start=None, window_end=None, spans=0, traces=0)
    data = json.loads(render_json(report))
    assert data["window_start"] is None and data["window_end"] is None
    assert report_from_dict(data).window_start is None
    data["window_start"] = "not a time"
    with pytest.raises(ReportSchemaError, match="window_start"):
        load_report_dict(json.dumps(data))
