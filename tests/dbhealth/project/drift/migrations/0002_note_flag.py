from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("drift", "0001_initial")]  # noqa: RUF012 - Django reads class attributes
    operations = [  # noqa: RUF012
        migrations.AddField(
            model_name="note", name="flag", field=models.BooleanField(default=False)
        ),
    ]
