"""Run a task against a Django project in a child interpreter and return its JSON answer.

The child loads the project's settings, calls ``django.setup()`` and runs a task script (see
:mod:`e2e_otel.discovery.django_child_main`). Keeping that out of our process means a scan
can neither leave the project's apps, settings or monkeypatches behind in the caller, nor
take it down: a broken project becomes a :class:`DjangoChildError` with one readable line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from e2e_otel.errors import UserError

_MAIN = Path(__file__).with_name("django_child_main.py")
# runpy.run_path, unlike `python FILE`, does not put the file's directory on sys.path: ours
# holds a module named django.py that would shadow the real Django in the child.
_BOOT = (
    "import runpy, sys; runpy.run_path(sys.argv[1])['serve'](runpy.run_path(sys.argv[2])['run'])"
)
DEFAULT_TIMEOUT_S = 120.0


class DjangoChildError(UserError):
    """The child could not answer. ``kind``: ``pythonpath`` (the first entry, the working
    directory, is not a directory), ``settings``, ``setup``, ``database`` (a forbidden
    database access), ``django``, ``task``, ``timeout`` or ``crash``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def run_django_task(
    task: Path,
    settings: str,
    *,
    pythonpath: Sequence[str] = (),
    request: Mapping[str, Any] | None = None,
    block_database: bool = True,
    python: str = sys.executable,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> tuple[Any, tuple[str, ...]]:
    """Run ``task`` (a file defining ``run(request) -> JSON-able``) with ``settings``.

    ``pythonpath`` entries go first on the child's ``sys.path``; the first one is also its
    working directory. With ``block_database`` every connection attempt fails. Returns the
    task's result and the places the project touched the database anyway (import-time
    code that swallowed the refusal). ``request`` travels on stdin, so secrets in it (a
    password) never show in the process list.
    """
    # Checked here: as the child's working directory it would fail as "cannot start". The
    # others are only sys.path entries, where Python takes a missing directory or a .zip.
    if pythonpath and not Path(pythonpath[0]).is_dir():
        first = Path(pythonpath[0])
        why = "is not a directory" if first.exists() else "does not exist"
        raise DjangoChildError("pythonpath", f"pythonpath directory {first} {why}")
    paths = [str(Path(p).resolve()) for p in pythonpath]
    payload = {
        **(request or {}),
        "settings": settings,
        "pythonpath": paths,
        "block_database": block_database,
    }
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    try:
        done = subprocess.run(
            [python, "-c", _BOOT, str(_MAIN), str(task)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=paths[0] if paths else None,
            env=env,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        raise DjangoChildError(
            "timeout", f"{settings}: no answer within {timeout_s:g} s (import-time code hanging?)"
        ) from None
    except OSError as exc:
        raise DjangoChildError("crash", f"cannot start {python}: {exc.strerror or exc}") from None
    answer = _last_json_line(done.stdout)
    if answer is None:
        tail = " ".join(done.stderr.strip().splitlines()[-1:]) or f"exit code {done.returncode}"
        raise DjangoChildError("crash", f"{settings}: the child process died: {tail}")
    if not answer.get("ok"):
        raise DjangoChildError(str(answer.get("kind", "task")), str(answer.get("error")))
    return answer.get("result"), tuple(str(a) for a in answer.get("database_access", ()))


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except ValueError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None
