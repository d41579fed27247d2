"""React's ways of handing a value around, for the evaluator: ``useCallback(fn)`` is ``fn``,
``useMemo(() => value)`` is ``value``, and ``useContext(Ctx)`` / ``use(Ctx)`` is the
``value`` some ``<Ctx.Provider value={...}>`` (or React 19's ``<Ctx value={...}>``) passes
down, so that ``const { authFetch } = useAuth()`` reaches the function the provider defines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_modules import FUNCTIONS, Module
from e2e_otel.discovery.nextjs_project import Binding, External, Project, Value

Located = tuple[Module, ts.Node]
_CONTEXT_HOOKS = frozenset({"useContext", "use"})
_JSX_TAGS = ("jsx_opening_element", "jsx_self_closing_element")


def react_hook(bound: Binding | None) -> str | None:
    """``useCallback``, ``useMemo``, ``useContext`` or ``use`` when ``bound`` is that React
    export (``import { useMemo }``, ``React.useMemo``)."""
    if not isinstance(bound, External) or bound.source != "react":
        return None
    name = bound.path[-1] if bound.path else bound.name
    hooks = ("useCallback", "useMemo", *_CONTEXT_HOOKS)
    return name if name in hooks and len(bound.path) <= 1 else None


def own_returns(body: ts.Node) -> Iterator[ts.Node]:
    """The values of the ``return`` statements of a function body, nested functions left
    out (a wrapper defined inside a hook returns something else)."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "return_statement" and node.named_children:
            yield node.named_children[0]
            continue
        stack.extend(reversed([c for c in node.children if c.type not in FUNCTIONS]))


def function_result(function: ts.Node) -> ts.Node | None:
    """What a function returns: its expression body or its first own ``return`` value."""
    body = function.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return body
    return next(own_returns(body), None)


class Providers:
    """Every context provider's ``value`` in the project, keyed by the context it
    provides (the ``createContext(...)`` node), found on first use."""

    def __init__(self, project: Project, resolve: Callable[[Module, ts.Node], object]) -> None:
        self.project = project
        self._resolve = resolve
        self._values: dict[tuple[str, int], list[Located]] | None = None

    def value_of(self, context: Value) -> Located | None:
        """The first ``value`` provided for ``context``."""
        if self._values is None:
            self._values = {}  # while indexing, a context met again has no provider yet
            self._values = self._index()
        found = self._values.get((context.module.rel, context.node.start_byte))
        return found[0] if found else None

    def _index(self) -> dict[tuple[str, int], list[Located]]:
        values: dict[tuple[str, int], list[Located]] = {}
        for module in self.project.modules.values():
            if not module.tsx:
                continue
            for value in tsparse.value_attributes(module.root):
                attribute = value.parent.parent if value.parent is not None else None
                tag = attribute.parent if attribute is not None else None
                name = tag.child_by_field_name("name") if tag is not None else None
                if tag is None or tag.type not in _JSX_TAGS or name is None:
                    continue
                if name.type == "member_expression" and tsparse.text(name).endswith(".Provider"):
                    name = name.child_by_field_name("object") or name
                bound = self._resolve(module, name)
                if isinstance(bound, Value) and bound.node.type == "call_expression":
                    key = (bound.module.rel, bound.node.start_byte)
                    values.setdefault(key, []).append((module, value))
        return values
