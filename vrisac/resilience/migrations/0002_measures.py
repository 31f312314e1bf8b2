"""The ten NIS2 Article 21(2) measures, a to j, with their English and Dutch titles.
Source: data/nis2.json (the project's copy of its shared facts)."""

import json
from pathlib import Path

from django.db import migrations


def load(apps, schema_editor):
    Measure = apps.get_model("resilience", "Measure")
    data = json.loads((Path(__file__).resolve().parent.parent / "data" / "nis2.json")
                      .read_text(encoding="utf-8"))
    for position, item in enumerate(data["measures"], start=1):
        Measure.objects.update_or_create(
            key=item["key"],
            defaults={"title_en": item["en"], "title_nl": item["nl"], "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("resilience", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
