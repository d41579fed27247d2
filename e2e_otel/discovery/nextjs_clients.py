"""Recognize one call expression as an HTTP request and describe it as a ``Shape``.

Clients: ``fetch``; ``axios`` (``axios(config)``, ``axios(url, config)``, ``axios.get`` /
``post`` / ... / ``request``); instances from ``axios.create({baseURL, ...})``, their request
interceptors included; SWR hooks (the key is the URL, the fetcher decides the rest); and
wrappers: app functions whose own request takes its URL from a parameter, followed through
any number of levels. A ``Shape`` may still depend on the parameters of the function the
call sits in (``Param``); a wrapper's call site binds them to its arguments.
"""

from __future__ import annotations

from dataclasses import replace

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_modules import Module
from e2e_otel.discovery.nextjs_parts import Hole, Lit, Parts, join_base
from e2e_otel.discovery.nextjs_parts import arguments_of as arguments
from e2e_otel.discovery.nextjs_project import REST, External, Param, Value, is_function
from e2e_otel.discovery.nextjs_shape import (
    Flag,
    Shape,
    flag_of,
    function_name,
    method_of,
    present,
    swr_key,
    text_of,
)
from e2e_otel.discovery.nextjs_urls import path_start_param, substitute
from e2e_otel.discovery.nextjs_values import Evaluator, Found, Lookup

_AXIOS_METHODS = frozenset({"get", "delete", "head", "options", "post", "put", "patch"})
_AXIOS_WITH_BODY = frozenset({"post", "put", "patch"})
SWR_HOOKS = frozenset({"useSWR", "useSWRImmutable", "useSWRMutation"})
_SPREAD = 4  # how many of the caller's arguments a spread rest parameter stands for
Arg = Found | Param  # a call's argument: an expression, or one the caller passes on


def _text(arg: Arg) -> str:
    """An argument's source text; ``...args`` (argument N) for a spread rest parameter."""
    if isinstance(arg, Found):
        return tsparse.text(arg.node)
    return f"...(argument {arg.index + 1})"


class Clients:
    """Computes shapes; remembers each wrapper function's shape."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator
        self._wrappers: dict[int, Shape | None] = {}

    def shape(self, module: Module, call: ts.Node) -> Shape | None:
        """The request ``call`` sends, or None when it is not a request (or cannot be read
        for a syntax error)."""
        if call.id in module.damaged:
            return None
        function = call.child_by_field_name("function")
        if function is not None and function.type == "await_expression":
            # The TSX grammar reads `await f<T>(x)` as a call of `await f`.
            function = function.named_children[0] if function.named_children else None
        if function is None:
            return None
        args = self._arguments(module, call)
        obj = function.child_by_field_name("object")
        prop = function.child_by_field_name("property")
        if function.type == "member_expression" and obj is not None and prop is not None:
            owner = self.ev.resolve(module, obj)
            instance = self._instance(owner)
            if instance is not None:
                return self._axios_method(tsparse.text(prop), args, instance)
            target = self.ev.member(owner, tsparse.text(prop))  # the object resolved once
        else:
            target = self.ev.resolve(module, function)
        if isinstance(target, External):
            return self._external(target, args)
        if isinstance(target, Value) and self._instance(target) is not None:
            return self._axios_call(args, self._instance(target))
        if isinstance(target, Value) and is_function(target.node):
            return self.call_wrapper(target, args)
        return None

    def _arguments(self, module: Module, call: ts.Node) -> list[Arg]:
        """The call's arguments; ``...args`` of the enclosing function's rest parameter
        stands for the arguments its caller passes from there on (``(...args) =>
        fetch(...args)``, the fetcher of SWR's documentation)."""
        found: list[Arg] = []
        for node in arguments(call):
            inner = node.named_children[0] if node.type == "spread_element" else None
            rest = self.ev.resolve(module, inner) if inner is not None else None
            if isinstance(rest, Param) and rest.path == (REST,):
                found += [Param(rest.function, rest.index + i) for i in range(_SPREAD)]
                break
            found.append(Found(module, node))
        return found

    def _external(self, target: External, args: list[Arg]) -> Shape | None:
        if target == External("", "fetch"):
            return self._fetch(args)
        if target.source == "axios" and target.name == "default":
            if not target.path:
                return self._axios_call(args, None)
            if len(target.path) == 1:
                return self._axios_method(target.path[0], args, None)
        if target.source.startswith("swr") and not target.path:
            hook = "useSWR" if target.name == "default" else target.name
            if hook in SWR_HOOKS:
                return self._swr(hook, args)
        return None

    def _fetch(self, args: list[Arg]) -> Shape | None:
        if not args:
            return None
        url, init = args[0], args[1] if len(args) > 1 else None
        return Shape(
            client="fetch",
            url=self._parts(url),
            expression=_text(url),
            method=self._method(init, "GET"),
            cookies=self._flag(init, ("credentials",)),
            auth=self._flag(init, ("headers", "Authorization")),
            auth_via="Authorization header",
            via=(),
        )

    def _instance(self, bound: object) -> tuple[Found, str] | None:
        """The ``axios.create`` config (and variable name) of an axios instance binding."""
        if not isinstance(bound, Value) or bound.node.type != "call_expression":
            return None
        function = bound.node.child_by_field_name("function")
        created = self.ev.resolve(bound.module, function) if function is not None else None
        if created != External("axios", "default", ("create",)):
            return None
        args = arguments(bound.node)
        config = args[0] if args else bound.node
        declarator = bound.node.parent
        name_node = declarator.child_by_field_name("name") if declarator is not None else None
        label = tsparse.text(name_node) if name_node is not None else "axios.create()"
        where = f"{bound.module.rel}:{tsparse.line(bound.node)}"
        return Found(bound.module, config), f"axios instance {label} ({where})"

    def _axios_method(
        self, name: str, args: list[Arg], instance: tuple[Found, str] | None
    ) -> Shape | None:
        if name == "request":
            return self._axios(None, args[0] if args else None, "GET", instance)
        if name not in _AXIOS_METHODS or not args:
            return None
        at = 2 if name in _AXIOS_WITH_BODY else 1
        config = args[at] if len(args) > at else None
        return self._axios(args[0], config, name.upper(), instance)

    def _axios_call(self, args: list[Arg], instance: tuple[Found, str] | None) -> Shape | None:
        if not args:
            return None
        if isinstance(args[0], Found) and tsparse.unwrap(args[0].node).type == "object":
            return self._axios(None, args[0], "GET", instance)
        return self._axios(args[0], args[1] if len(args) > 1 else None, "GET", instance)

    def _axios(
        self,
        url: Arg | None,
        config: Arg | None,
        method: str,
        instance: tuple[Found, str] | None,
    ) -> Shape:
        url_value: Lookup = url if url is not None else self._field(config, ("url",))
        parts = self._parts(url_value)
        defaults = instance[0] if instance is not None else None
        base = self._field(defaults, ("baseURL",))
        if base is not None:
            parts = join_base(self._parts(base), parts)
        cookies = self._flag(config, ("withCredentials",))
        auth = self._flag(config, ("headers", "Authorization"))
        auth_via = "Authorization header"
        if defaults is not None and cookies is False:
            cookies = self._flag(defaults, ("withCredentials",))
        if defaults is not None and auth is False:
            auth = self._flag(defaults, ("headers", "Authorization"))
            if auth is False and self._interceptor_sets_auth(defaults):
                auth, auth_via = True, "Authorization set by a request interceptor"
        return Shape(
            client="axios",
            url=parts,
            expression=_text(url) if url is not None else text_of(url_value),
            method=self._method(config, method),
            cookies=cookies,
            auth=auth,
            auth_via=auth_via,
            via=(instance[1],) if instance is not None else (),
        )

    def _interceptor_sets_auth(self, config: Found) -> bool:
        create = config.node.parent.parent if config.node.parent is not None else None
        declarator = create.parent if create is not None else None
        name = declarator.child_by_field_name("name") if declarator is not None else None
        if name is None:
            return False
        hook = f"{tsparse.text(name)}.interceptors.request.use"
        for call in config.module.calls:
            function = call.child_by_field_name("function")
            if function is not None and tsparse.text(function) == hook:
                for node in tsparse.walk(call):
                    value = tsparse.string_value(node) or tsparse.text(node)
                    if node.child_count <= 3 and value.lower() == "authorization":
                        return True
        return False

    def _swr(self, hook: str, args: list[Arg]) -> Shape | None:
        first = args[0] if args else None
        second = args[1] if len(args) > 1 else None
        if not isinstance(first, Found) or isinstance(second, Param):
            return None  # useSWR(...args): not followed
        key = swr_key(first)
        fetcher = self.ev.resolve(second.module, second.node) if second is not None else None
        if isinstance(fetcher, Value) and is_function(fetcher.node):
            inner = self.call_wrapper(fetcher, [first])
            if inner is not None:
                return replace(inner, via=(hook, *inner.via))
        return Shape(
            client="swr",
            url=self.ev.string(key.module, key.node),
            expression=tsparse.text(key.node),
            method="POST" if hook == "useSWRMutation" else "GET",
            cookies=None,
            auth=None,
            auth_via="Authorization header",
            via=(hook,),
        )

    def wrapper_shape(self, function: Value) -> Shape | None:
        """The request a wrapper function sends, its URL still holding the parameter."""
        key = function.node.id
        if key not in self._wrappers:
            self._wrappers[key] = None  # a recursive wrapper is not followed into itself
            body = function.node.child_by_field_name("body") or function.node
            for call in tsparse.calls_in(body, function.module.tsx):
                found = self.shape(function.module, call)
                start = path_start_param(found.url) if found is not None else None
                if found is not None and start is not None and start.function == function.node:
                    self._wrappers[key] = found
                    break
        return self._wrappers[key]

    def call_wrapper(self, function: Value, args: list[Arg]) -> Shape | None:
        """The request a call of the wrapper ``function`` with ``args`` sends."""
        inner = self.wrapper_shape(function)
        if inner is None:
            return None

        def bind(param: Param) -> Lookup:
            if param.function != function.node:
                return param
            if param.index >= len(args):
                return None
            return self._field(args[param.index], param.path)

        def bind_parts(param: Param) -> Parts | None:
            bound = bind(param)
            return self._parts(bound) if param.function == function.node else None

        start = path_start_param(inner.url)
        url_arg = args[start.index] if start is not None and start.index < len(args) else None
        where = f"{function.module.rel}:{tsparse.line(function.node)}"
        return replace(
            inner,
            url=substitute(inner.url, bind_parts),
            expression=_text(url_arg) if url_arg is not None else inner.expression,
            method=(
                method_of(bind(inner.method), self.ev)
                if isinstance(inner.method, Param)
                else inner.method
            ),
            cookies=(
                flag_of(bind(inner.cookies), self._cookie_value)
                if isinstance(inner.cookies, Param)
                else inner.cookies
            ),
            auth=flag_of(bind(inner.auth), present)
            if isinstance(inner.auth, Param)
            else inner.auth,
            via=(f"{function_name(function.node)} ({where})", *inner.via),
            through=(function.node.id, *inner.through),
        )

    def _field(self, start: Arg | None, path: tuple[str, ...]) -> Lookup:
        """Walk ``path`` into an object expression; the last key matches any case, as
        header names do."""
        if isinstance(start, Param):  # an argument of the caller's
            return Param(start.function, start.index, (*start.path, *path))
        current: Lookup = start
        for index, key in enumerate(path):
            if not isinstance(current, Found):
                return current
            last = index == len(path) - 1
            current = self.ev.field(current.module, current.node, key, any_case=last)
        return current

    def _parts(self, value: Lookup) -> Parts:
        if isinstance(value, Found):
            return self.ev.string(value.module, value.node)
        if isinstance(value, Param):
            return (Hole(".".join(value.path) or f"argument {value.index + 1}", value),)
        return (Hole(text_of(value)),)

    def _method(self, options: Arg | None, default: str) -> str | Param | None:
        return method_of(self._field(options, ("method",)), self.ev, default)

    def _flag(self, options: Arg | None, path: tuple[str, ...]) -> Flag:
        test = present if path[-1] == "Authorization" else self._cookie_value
        return flag_of(self._field(options, path), test)

    def _cookie_value(self, found: Found) -> bool | None:
        node = tsparse.unwrap(found.node)
        if node.type in ("true", "false"):
            return node.type == "true"
        parts = self.ev.string(found.module, node)
        if len(parts) == 1 and isinstance(parts[0], Lit):
            return parts[0].text == "include"
        return None
