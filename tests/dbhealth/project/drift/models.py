from __future__ import annotations

from typing import Any

from django.db import models


class Note(models.Model):
    # db_constraint=False: Django creates no FOREIGN KEY, so orphaned rows can exist.
    product: models.ForeignKey[Any, Any] = models.ForeignKey(
        "shop.Product", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    text: models.CharField[str, str] = models.CharField(max_length=100)
    # Added by 0002, which the tests leave unapplied.
    flag: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    # In no migration at all: the model drift `makemigrations --check` would catch.
    colour: models.CharField[str, str] = models.CharField(max_length=20, default="")
