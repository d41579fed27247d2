"""Names that several parts depend on agree everywhere: the browser package (TypeScript) and the
Python side use the same attribute, baggage and header names and error taxonomy, and the
analyzer has advice for every error category the processors can produce."""

from __future__ import annotations

import re
from pathlib import Path

from e2e_otel import attributes as attr
from e2e_otel.analyzers.error_advice import ADVICE

WEB = Path(__file__).resolve().parents[1] / "js" / "web" / "src"


def _ts_constants() -> dict[str, str]:
    text = (WEB / "attributes.ts").read_text(encoding="utf-8")
    return dict(re.findall(r'export const (\w+) = "([^"]+)"', text))


def _ts_categories() -> set[str]:
    text = (WEB / "categories.ts").read_text(encoding="utf-8")
    block = re.search(r"new Set<ErrorCategory>\(\[(.*?)\]\)", text, re.DOTALL)
    assert block is not None, "categories.ts no longer lists its categories in a Set"
    return set(re.findall(r'"(\w+)"', block.group(1)))


def test_the_browser_package_uses_the_python_names() -> None:
    ts = _ts_constants()
    assert ts["ATTR_LAYER"] == attr.LAYER
    assert ts["ATTR_WORKFLOW_TYPE"] == attr.WORKFLOW_TYPE == attr.BAGGAGE_WORKFLOW_TYPE
    assert ts["ATTR_WORKFLOW_ID"] == attr.WORKFLOW_ID == attr.BAGGAGE_WORKFLOW_ID
    assert ts["ATTR_ERROR_CATEGORY"] == attr.ERROR_CATEGORY
    assert ts["LAYER_FRONTEND"] == attr.LAYER_FRONTEND
    assert ts["HEADER_CORRELATION_ID"] == attr.HEADER_CORRELATION_ID.lower()
    assert ts["HEADER_WORKFLOW_TYPE"] == attr.HEADER_WORKFLOW_TYPE.lower()


def test_the_browsers_error_categories_are_in_the_taxonomy() -> None:
    categories = _ts_categories()
    assert {"network_timeout", "auth_token_expired", "response_parse", "render_failure"} <= (
        categories
    )
    assert categories <= set(attr.ERROR_CATEGORIES)


def test_every_error_category_has_advice() -> None:
    # "unknown" says nothing about a cause: it gets the generic advice (error_advice.UNKNOWN).
    assert set(attr.ERROR_CATEGORIES) - set(ADVICE) == {"unknown"}
    assert set(ADVICE) <= set(attr.ERROR_CATEGORIES)
