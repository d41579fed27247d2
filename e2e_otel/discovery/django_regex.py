"""Reading Django's regex URL patterns (``re_path``) by their groups: the template a pattern
stands for, the pattern widened so its groups accept a run-time part, and the literal text
every path it matches starts with.

Standard library only: the child scanner (:mod:`e2e_otel.discovery.django_scan`) loads this
file with ``runpy`` inside the project's interpreter, and the contract map imports it.
"""

from __future__ import annotations

import re

_NAMED_GROUP = re.compile(r"\?P<(\w+)>")
_CLASS_ESCAPES = frozenset("dDwWsS")
# A quantifier (possibly none), lazy or possessive.
_QUANTIFIER = re.compile(r"(?:[*+?]|\{\d*(?:,\d*)?\})?[?+]?")
# What follows "(" before a group's body: a name, a lookaround or non-capturing marker,
# scoped flags; a back-reference, comment, conditional or global flags is all head, no body.
_GROUP_HEAD = re.compile(r"\?(?:P<\w+>|<[=!]|[:=!>]|[aiLmsux-]*:|P=\w+$|#.*|\(\w+\)|[aiLmsux]+$)?")

# Metacharacters outside a class; an escaped punctuation character is literal text.
_META = frozenset(".^$*+?{}[]|()\\")
# Quantifiers that may drop the character before them ("+" keeps at least one).
_OPTIONAL = frozenset("*?{")
# A global case-insensitive flag, which older Pythons accepted anywhere in the pattern.
_GLOBAL_IGNORECASE = re.compile(r"\(\?[aLmsux]*i[aLmsux]*\)")


def regex_template(regex: str, params: dict[str, str]) -> str:
    """``{name}`` for every group of one regex pattern piece, anchors and escapes dropped;
    ``params`` gets each group's name (``arg0``... for unnamed ones) and regex."""
    out, i = [], 0
    while i < len(regex):
        char = regex[i]
        if char == "\\" and i + 1 < len(regex):
            escaped = regex[i + 1]
            if escaped not in "AZbB":  # anchors vanish; \. \- \/ are their literal character
                out.append(escaped if not escaped.isalnum() else "\\" + escaped)
            i += 2
        elif char == "(":
            end = group_end(regex, i)
            body = regex[i + 1 : end]
            named = _NAMED_GROUP.match(body)
            if named:
                params[named[1]] = body[named.end() :]
                out.append("{" + named[1] + "}")
            elif body.startswith("?:"):
                out.append(regex_template(body[2:], params))
            elif not body.startswith("?"):  # unnamed capture: a positional argument
                name = f"arg{sum(1 for p in params if p.startswith('arg'))}"
                params[name] = body
                out.append("{" + name + "}")
            i = end + 1
        elif char in "^$?*+":
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def group_end(regex: str, start: int) -> int:
    """Index of the ``)`` closing the group opened at ``start`` (``len(regex)`` if none)."""
    depth, i = 0, start
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(regex, i)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(regex)


def _class_end(regex: str, start: int) -> int:
    """Index of the ``]`` closing the character class opened at ``start``."""
    i = start + 1
    i += regex.startswith("^", i)
    i += regex.startswith("]", i)  # a "]" first in the class is a literal
    while i < len(regex) and regex[i] != "]":
        i += 2 if regex[i] == "\\" else 1
    return min(i, len(regex))


def widen(regex: str, alternative: str, *, loose: bool = False) -> str:
    """``regex`` with every capturing group also matching ``alternative``, at any depth:
    ``(?P<pk>[0-9]+)`` becomes ``(?P<pk>(?:[0-9]+)|ALT)``. With ``loose``, non-capturing
    groups, character classes and ``\\d``/``\\w``/``\\s`` (with their quantifier) too:
    ``v[0-9]+`` becomes ``v(?:[0-9]+|ALT)``. Only non-capturing groups are added, so group
    numbers and names stay those of ``regex``."""
    out, i = [], 0
    while i < len(regex):
        char = regex[i]
        if char == "(":
            end = group_end(regex, i)
            body = regex[i + 1 : end]
            head = _GROUP_HEAD.match(body)
            marker = head[0] if head else ""
            inner = widen(body[len(marker) :], alternative, loose=loose)
            wide = marker == "" or marker.startswith("?P<") or (loose and marker == "?:")
            out.append(f"({marker}(?:{inner})|{alternative})" if wide else f"({marker}{inner})")
            i = end + 1
            continue
        if char == "[":
            end = _class_end(regex, i) + 1
        elif char == "\\":
            end = i + 2
        else:
            end = i + 1
        classy = char == "[" or (char == "\\" and regex[i + 1 : end] in _CLASS_ESCAPES)
        quantifier = _QUANTIFIER.match(regex, end) if loose and classy else None
        if quantifier is None:
            out.append(regex[i:end])
            i = end
        else:
            out.append(f"(?:{regex[i : quantifier.end()]}|{alternative})")
            i = quantifier.end()
    return "".join(out)


def literal_prefix(regex: str) -> tuple[str, bool]:
    """The literal text every match of ``regex`` (its ``^`` dropped) starts with, and whether
    that text is the whole regex. Read as text, so it works on a regex that does not compile
    here: up to the first metacharacter, less a character a quantifier may drop; nothing when
    an alternation or a case-insensitive flag could change the start."""
    body = regex.removeprefix("^")
    if _GLOBAL_IGNORECASE.search(body) or _alternates(body):
        return "", False
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            out.append(body[i + 1])
            i += 2
            continue
        if char in _META:
            if char in _OPTIONAL and out:
                out.pop()
            return "".join(out), False
        out.append(char)
        i += 1
    return "".join(out), True


def _alternates(regex: str) -> bool:
    """Whether ``regex`` has a ``|`` outside its groups and classes."""
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "|":
            return True
        if char == "(":
            i = group_end(regex, i)
        elif char == "[":
            i = _class_end(regex, i)
        elif char == "\\":
            i += 1
        i += 1
    return False
