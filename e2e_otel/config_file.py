"""Reading the YAML configuration file defensively: whatever the file is, one ConfigError.

The file comes from an environment variable of the application, so it is read as untrusted
input: only a regular file (a FIFO would block the app at start), at most
:data:`MAX_CONFIG_BYTES`, UTF-8, safe YAML without aliases (an alias bomb is cheap to parse and
explodes whatever walks the result), nested at most :data:`MAX_CONFIG_DEPTH` levels (deeper
would hit Python's recursion limit), with bounded integer literals (Python's int conversion is
quadratic in some bases). Every failure is a :class:`ConfigError` naming the file, the place
(``<file>``, ``byte N``, ``character N`` or ``line L, column C``) and the reason.
"""

from __future__ import annotations

import os
import stat
from typing import Any, Final

import yaml
from yaml.error import Mark, MarkedYAMLError
from yaml.reader import ReaderError

from e2e_otel.config_types import ConfigError

MAX_CONFIG_BYTES: Final = 1024 * 1024
"""Largest accepted configuration file; a real one is a few kilobytes."""
_TOO_LARGE: Final = f"larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB"

MAX_CONFIG_DEPTH: Final = 64
"""Deepest accepted nesting of mappings and sequences."""

MAX_INT_CHARS: Final = 100
"""Longest accepted integer literal (sexagesimal ``1:2:3...`` ints cost quadratic time)."""

_KINDS: Final = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
_FILE: Final = "<file>"


def read_yaml(source: str) -> object:
    """The parsed YAML document in file ``source``; raises ConfigError on any problem."""
    text = _read_text(source)
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader, see below
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<yaml>"
        if isinstance(exc, _Refused):
            reason = str(exc.problem)
        else:
            reason = "invalid YAML: " + ", ".join(filter(None, (exc.context, exc.problem)))
        raise ConfigError(source, where, reason) from None
    except ReaderError as exc:  # a control character: no mark, a position
        reason = f"invalid YAML: unacceptable character #x{exc.character:04x}: {exc.reason}"
        raise ConfigError(source, f"character {exc.position + 1}", reason) from None


def _read_text(source: str) -> str:
    # O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(source, flags)
    except FileNotFoundError:
        raise ConfigError(source, _FILE, "file not found") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(source, _FILE, f"cannot read: {_os_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
            raise ConfigError(source, _FILE, f"not a regular file ({kind})")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(source, _FILE, f"{_TOO_LARGE} ({info.st_size} bytes)")
        data = _read_at_most(fd, MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(source, _FILE, f"cannot read: {_os_reason(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:  # st_size can lie (/proc) or the file can grow
        raise ConfigError(source, _FILE, _TOO_LARGE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, f"byte {exc.start}", "not UTF-8 text") from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _os_reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


class _Refused(MarkedYAMLError):
    """YAML that we refuse (an alias, deep nesting, a huge or impossible value): the reason is
    ours, so it is not prefixed with "invalid YAML"."""

    def __init__(self, problem: str, mark: Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, with nesting and integer literals capped."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused("YAML aliases (*name) are not allowed", self._next_mark())
        if not self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_CONFIG_DEPTH:
                reason = f"nested deeper than {MAX_CONFIG_DEPTH} levels"
                raise _Refused(reason, self._next_mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _next_mark(self) -> Mark | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        return event.start_mark if event is not None else None

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:
            # PyYAML's value constructors fail on explicitly tagged bad values with whatever
            # Python raises ("!!int ''" IndexError, "!!bool x" KeyError, "!!timestamp x"
            # AttributeError, the date 2001-13-45 ValueError): all are one bad value.
            raise _Refused(f"invalid value: {exc!s}", node.start_mark) from None

    def construct_yaml_int(self, node: Any) -> int:
        if len(node.value) > MAX_INT_CHARS:
            reason = f"integer literal longer than {MAX_INT_CHARS} characters"
            raise _Refused(reason, node.start_mark)
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
