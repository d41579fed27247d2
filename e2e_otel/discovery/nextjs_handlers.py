"""The HTTP methods a Pages Router API handler answers, read from its comparisons with
``req.method`` -- in the handler file, or one import away when the file only delegates:
``export default (req, res) => handleRoute(req, res)``, ``export default withAuth(handler)``
with ``handler`` imported, ``export { default } from "@/lib/handlers/orders"``."""

from __future__ import annotations

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_modules import Module
from e2e_otel.discovery.nextjs_project import Project, Value, is_function


def compared_methods(root: ts.Node) -> set[str]:
    """Method names compared with ``req.method`` under ``root``: ``=== "POST"`` and
    ``case "GET":``."""
    names: set[str] = set()
    for node in tsparse.walk(root):
        if node.type == "binary_expression":
            sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            if any(s is not None and _is_method_read(s) for s in sides):
                names.update(tsparse.string_value(s) or "" for s in sides if s is not None)
        elif node.type == "switch_statement":
            value = node.child_by_field_name("value")
            body = node.child_by_field_name("body")
            if value is not None and body is not None and _is_method_read(tsparse.unwrap(value)):
                for case in body.named_children:
                    test = case.child_by_field_name("value")
                    names.add(tsparse.string_value(test) or "" if test is not None else "")
    return names


def _is_method_read(node: ts.Node) -> bool:
    prop = node.child_by_field_name("property")
    return node.type == "member_expression" and prop is not None and tsparse.text(prop) == "method"


def delegated_methods(project: Project, module: Module) -> set[str]:
    """The methods compared in the functions of other app modules that the default export
    of ``module`` hands the request to (one import hop)."""
    exported = project.exported(module, "default")
    if not isinstance(exported, Value):
        return set()
    if exported.module is not module:  # export { default } from "..."
        return compared_methods(exported.node) if is_function(exported.node) else set()
    names: set[str] = set()
    for target in _delegates(project, exported):
        names |= compared_methods(target.node)
    return names


def _delegates(project: Project, handler: Value) -> list[Value]:
    """Functions of other modules that ``handler`` is, calls, or wraps."""
    node = tsparse.unwrap(handler.node)
    if is_function(node):
        body = node.child_by_field_name("body")
        calls = tsparse.calls_in(body, handler.module.tsx) if body is not None else []
    elif node.type == "call_expression":
        calls = [node]  # withAuth(handler), withMethods(["GET"], handler)
    else:
        return []
    found: list[Value] = []
    for call in calls:
        args = call.child_by_field_name("arguments")
        candidates = [call.child_by_field_name("function")]
        candidates += args.named_children if args is not None else []
        for candidate in candidates:
            if candidate is None or candidate.type != "identifier":
                continue
            bound = project.lookup(handler.module, tsparse.text(candidate), candidate)
            other = isinstance(bound, Value) and bound.module is not handler.module
            if other and isinstance(bound, Value) and is_function(bound.node):
                found.append(bound)
    return found
