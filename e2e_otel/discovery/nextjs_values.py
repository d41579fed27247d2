"""Static evaluation of the expressions that build request URLs and options.

A URL evaluates to a tuple of parts (``nextjs_parts``): literal text, an environment
variable, a hole for anything dynamic, or a choice made by a condition. Holes remember the
function parameter they come from, which is how wrappers are recognized and their call sites
filled in. Names are followed through imports, destructuring (``const { a } = f()``) and
React's hooks (``nextjs_react``). Nothing is executed; what cannot be followed becomes a
hole with its source text.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_modules import FUNCTIONS, PATTERN_ELEMENTS, Module, destructured
from e2e_otel.discovery.nextjs_parts import (
    Choice,
    Env,
    Hole,
    Lit,
    Part,
    Parts,
    arguments_of,
    env_binding,
    env_name,
    join_base,
)
from e2e_otel.discovery.nextjs_project import Binding, External, Param, Project, Value
from e2e_otel.discovery.nextjs_react import Providers, function_result, react_hook
from e2e_otel.discovery.nextjs_urls import substitute

_MAX_DEPTH = 12
_NAMES = ("identifier", "shorthand_property_identifier")  # `{ method }` reads `method`
_PASS_THROUGH_CALLS = frozenset({"encodeURIComponent", "encodeURI", "String"})


@dataclass(frozen=True)
class Found:
    """An expression located in a module (an object field's value, a call argument)."""

    module: Module
    node: ts.Node


Field = Found | Param | None  # None: absent; Hole: present but not readable
Lookup = Field | Hole


class Evaluator:
    """Evaluates expressions of ``project``'s modules to URL parts and option fields."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.providers = Providers(project, self.resolve)

    def resolve(self, module: Module, node: ts.Node, depth: int = 0) -> Binding | None:
        """What an identifier or member chain refers to (aliases followed)."""
        node = tsparse.unwrap(node)
        if depth > _MAX_DEPTH:
            return None
        if node.type in _NAMES:
            bound = self.project.lookup(module, tsparse.text(node), node)
            if isinstance(bound, Value) and tsparse.unwrap(bound.node).type in (
                "identifier",
                "member_expression",
            ):
                return self.resolve(bound.module, bound.node, depth + 1)
            if isinstance(bound, Value) and bound.node.type in PATTERN_ELEMENTS:
                return self._destructured(bound, depth + 1)
            if isinstance(bound, Value) and bound.node.type == "call_expression":
                return self._callback(bound, depth + 1)
            return bound if bound is not None else External("", tsparse.text(node))
        if node.type != "member_expression":
            return Value(module, node)
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is None or prop is None:
            return None
        owner = self.resolve(module, obj, depth + 1)
        return self.member(owner, tsparse.text(prop), depth)

    def _destructured(self, element: Value, depth: int) -> Binding | None:
        """``const { authFetch } = useAuth()``: the member of the initializer."""
        found = destructured(element.node)
        if found is None:
            return None
        initializer, path = found
        owner = self.resolve(element.module, initializer, depth + 1)
        for key in path:
            owner = self.member(owner, key, depth + 1)
        return owner

    def _callback(self, call: Value, depth: int) -> Binding:
        """``useCallback(fn, deps)`` is ``fn``, and so is a call of an app function (a
        hook) that returns ``fn``; any other call stays the call."""
        function, args = call.node.child_by_field_name("function"), arguments_of(call.node)
        if function is None:
            return call
        callee = self.resolve(call.module, function, depth + 1)
        if react_hook(callee) == "useCallback" and args:
            return self.resolve(call.module, args[0], depth + 1) or call
        if isinstance(callee, Value) and callee.node.type in FUNCTIONS:
            result = self.returned(call.module, call.node, depth + 1)
            if result is not None:
                inner = self.resolve(result.module, result.node, depth + 1)
                if isinstance(inner, Value) and inner.node.type in FUNCTIONS:
                    return inner
        return call

    def member(self, owner: Binding | None, name: str, depth: int = 0) -> Binding | None:
        """The member ``name`` of what ``owner`` is bound to."""
        if isinstance(owner, Param):
            return Param(owner.function, owner.index, (*owner.path, name))
        if isinstance(owner, External):
            return External(owner.source, owner.name, (*owner.path, name))
        if isinstance(owner, Value) and owner.node.type == "program":
            return self.project.exported(owner.module, name)
        if isinstance(owner, Value):
            member = self.field(owner.module, owner.node, name, depth + 1)
            if isinstance(member, Found):
                return self.resolve(member.module, member.node, depth + 1)
            return member if isinstance(member, Param) else None
        return None

    def field(
        self, module: Module, node: ts.Node, key: str, depth: int = 0, any_case: bool = False
    ) -> Lookup:
        """The value of ``key`` in the object ``node`` evaluates to; the last entry wins,
        spreads included. None when the object visibly lacks the key, a ``Hole`` when the
        object (or a spread in it) cannot be read. ``any_case`` for header names."""
        target = self._object(module, node, depth)
        if isinstance(target, Param):
            return Param(target.function, target.index, (*target.path, key))
        if target is None:
            return Hole(tsparse.text(node))
        obj_module, obj = target
        if obj.type == "array":
            items = [c for c in obj.named_children if c.type != "comment"]
            position = int(key) if key.isdigit() else len(items)
            return Found(obj_module, items[position]) if position < len(items) else None
        for entry in reversed(obj.named_children):
            if entry.type == "spread_element" and entry.named_children:
                inner = self.field(obj_module, entry.named_children[0], key, depth + 1, any_case)
                if inner is not None:
                    return inner
                continue
            name_node = entry.child_by_field_name("key") or entry.child_by_field_name("name")
            if entry.type == "shorthand_property_identifier":
                name_node = entry
            if name_node is None:
                continue
            name = tsparse.string_value(name_node) or tsparse.text(name_node)
            if name == key or (any_case and name.lower() == key.lower()):
                value = entry.child_by_field_name("value") or entry
                return Found(obj_module, value)
        return None

    def _object(
        self, module: Module, node: ts.Node, depth: int
    ) -> tuple[Module, ts.Node] | Param | None:
        node = tsparse.unwrap(node)
        if depth > _MAX_DEPTH:
            return None
        if node.type in ("object", "array"):
            return module, node
        if node.type == "call_expression":
            returned = self.returned(module, node, depth)
            return self._object(returned.module, returned.node, depth + 1) if returned else None
        if node.type in ("identifier", "member_expression"):
            bound = self.resolve(module, node, depth + 1)
            if isinstance(bound, Param):
                return bound
            if isinstance(bound, Value) and bound.node.type != "program":
                return self._object(bound.module, bound.node, depth + 1)
        return None

    def returned(self, module: Module, call: ts.Node, depth: int = 0) -> Found | None:
        """The expression a call to a local function returns (arrow body or the first
        ``return`` of its own), for helpers like ``authHeaders()`` and hooks like
        ``useAuth()``; ``useMemo(() => value)`` gives ``value``, ``useContext(Ctx)`` the
        value a provider of ``Ctx`` passes down."""
        function = call.child_by_field_name("function")
        bound = self.resolve(module, function, depth + 1) if function is not None else None
        hook = react_hook(bound)
        args = arguments_of(call)
        if hook is not None and args:
            first = self.resolve(module, args[0], depth + 1)
            if not isinstance(first, Value):
                return None
            if hook in ("useContext", "use"):
                provided = self.providers.value_of(first)
                return Found(*provided) if provided is not None else None
            bound = first
        if not isinstance(bound, Value) or depth > _MAX_DEPTH:
            return None
        result = function_result(bound.node)
        return Found(bound.module, result) if result is not None else None

    def string(self, module: Module, node: ts.Node, depth: int = 0) -> Parts:
        """``node`` as URL parts."""
        node = tsparse.unwrap(node)
        hole: Parts = (Hole(tsparse.text(node)),)
        if depth > _MAX_DEPTH:
            return hole
        kind = node.type
        if kind == "string":
            return (Lit(tsparse.string_value(node) or ""),)
        if kind == "template_string":
            parts: list[Part] = []
            for child in node.named_children:
                if child.type == "template_substitution" and child.named_children:
                    parts += self.string(module, child.named_children[0], depth + 1)
                elif child.type in ("string_fragment", "escape_sequence"):
                    parts.append(Lit(tsparse.fragment_value(child)))
            return tuple(parts)
        if kind == "binary_expression":
            return self._binary(module, node, depth) or hole
        if kind == "ternary_expression":
            return self._ternary(module, node, depth) or hole
        if kind == "call_expression":
            return self._call(module, node, depth) or hole
        if kind == "new_expression":
            return self._new_url(module, node, depth) or hole
        if kind in _NAMES or kind in ("member_expression", "subscript_expression"):
            env = env_name(node)
            if env is not None:
                return (Env(env),)
            bound = self.resolve(module, node, depth + 1)
            env_bound = env_binding(bound)
            if env_bound is not None:  # const API = process.env.API, then `${API}`
                return (Env(env_bound),)
            if isinstance(bound, Param):
                return (Hole(tsparse.text(node), bound),)
            if isinstance(bound, Value) and bound.node.type not in ("program", "object"):
                value = self.string(bound.module, bound.node, depth + 1)
                if len(value) == 1 and isinstance(value[0], Hole):
                    # A dynamic value is named as the code names it here, not by its origin.
                    return (Hole(tsparse.text(node), value[0].param),)
                return value
        return hole

    def _binary(self, module: Module, node: ts.Node, depth: int) -> Parts | None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None or operator is None:
            return None
        op = tsparse.text(operator)
        if op == "&&":  # useSWR(user && `/api/u/${id}`): no request while falsy
            return self.string(module, right, depth + 1)
        if op == "+":
            return self.string(module, left, depth + 1) + self.string(module, right, depth + 1)
        if op in ("??", "||"):
            first, fallback = self.string(module, left, depth + 1), self.string(module, right)
            if len(first) == 1 and isinstance(first[0], Env):
                default = "".join(p.text for p in fallback if isinstance(p, Lit))
                if len(default) and all(isinstance(p, Lit) for p in fallback):
                    return (Env(first[0].name, default),)
                return first
        return None

    def _ternary(self, module: Module, node: ts.Node, depth: int) -> Parts | None:
        """One branch when the other is ``null`` (an SWR key that waits) or ``""`` (not
        configured); else a ``Choice`` when a branch has literal text."""
        condition = node.child_by_field_name("condition")
        branches = [node.child_by_field_name(f) for f in ("consequence", "alternative")]
        kept = [b for b in branches if b is not None and b.type not in ("null", "undefined")]
        if len(kept) == 1:
            return self.string(module, kept[0], depth + 1)
        if len(kept) != 2 or condition is None:
            return None
        options = tuple(self.string(module, b, depth + 1) for b in kept)
        present = [o for o in options if o not in ((), (Lit(""),))]  # "" = not configured
        if len(present) == 1 or options[0] == options[1]:
            return (present or options)[0]
        if not any(isinstance(p, Lit | Env | Choice) for option in options for p in option):
            return None
        return (Choice(tsparse.text(condition), options),)

    def _call(self, module: Module, node: ts.Node, depth: int) -> Parts | None:
        function, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is None or args is None:
            return None
        name = tsparse.text(function)
        if name in _PASS_THROUGH_CALLS and args.named_children:
            inner = self.string(module, args.named_children[0], depth + 1)
            return inner if len(inner) == 1 and isinstance(inner[0], Hole) else None
        if function.type == "member_expression":
            prop = function.child_by_field_name("property")
            obj = function.child_by_field_name("object")
            if prop is not None and obj is not None and tsparse.text(prop) == "toString":
                return self.string(module, obj, depth + 1)
        return self._built(module, node, function, depth)

    def _built(self, module: Module, call: ts.Node, function: ts.Node, depth: int) -> Parts | None:
        """A call of an app function that returns a URL (``getItemUrl(id)`` returning
        `` `/api/items/${id}/` ``): what it returns, its parameters filled in with the
        call's arguments. None when the result has no literal text or variable."""
        callee = self.resolve(module, function, depth + 1)
        if not isinstance(callee, Value) or callee.node.type not in FUNCTIONS:
            return None
        result = function_result(callee.node)
        if result is None:
            return None
        parts = self.string(callee.module, result, depth + 1)
        if not any(isinstance(part, (Lit, Env, Choice)) for part in parts):
            return None
        args = arguments_of(call)

        def bind(param: Param) -> Parts | None:
            if param.function != callee.node or param.path or param.index >= len(args):
                return None
            return self.string(module, args[param.index], depth + 1)

        return substitute(parts, bind)

    def _new_url(self, module: Module, node: ts.Node, depth: int) -> Parts | None:
        constructor = node.child_by_field_name("constructor")
        args = node.child_by_field_name("arguments")
        if constructor is None or tsparse.text(constructor) != "URL" or args is None:
            return None
        values = [self.string(module, a, depth + 1) for a in args.named_children[:2]]
        return join_base(values[1], values[0]) if len(values) == 2 else values[0]
