"""Test-only settings: the demo shop plus ``drift``, an app whose database state the
db-health tests plant (an unapplied migration, a model change without one, a relation
without a FOREIGN KEY). examples/shop stays untouched."""

from __future__ import annotations

from shop_project.settings import *  # noqa: F403
from shop_project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "drift"]
