"""The classic fixture project (tests/fixtures/django-classic) on SQLite, served for real by
``runserver``: a reader with a password and an API token, one volume, one loan."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.services import ROOT, clean_env, free_port, interrupt, wait_until_answers

CLASSIC = ROOT / "tests" / "fixtures" / "django-classic"
SETTINGS = "classic_project.settings"
SECRETS = {
    "CLASSIC_USER": "reader",
    "CLASSIC_PASSWORD": "reader-password-7302",
    "CLASSIC_PARTNER_KEY": "partner-key-5b1e",
}
SEED = """
import datetime
from django.contrib.auth.models import User
from lending.models import Loan, Volume
reader = User.objects.create_user("reader", password="reader-password-7302")
volume = Volume.objects.create(title="Middlemarch", shelf_mark="A-1")
Loan.objects.create(volume=volume, reader=reader, due=datetime.date(2030, 1, 1))
"""


@dataclass
class ClassicServer:
    """``manage.py runserver`` on a fresh SQLite database in ``directory``."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        extra = {"CLASSIC_DB": str(self.directory / "classic.sqlite3"), **SECRETS}
        return clean_env({**extra, "DJANGO_SETTINGS_MODULE": SETTINGS})

    def manage(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=CLASSIC,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}", pytrace=False)

    def start(self) -> None:
        self.manage("migrate", "--run-syncdb", "--noinput")
        self.manage("shell", "-c", SEED)
        log = (self.directory / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=CLASSIC,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if not wait_until_answers(self.base_url + "/", self.process, "the classic app", self.log):
            self.stop()
            pytest.fail("the classic app did not answer within 60 s", pytrace=False)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        interrupt(self.process)
