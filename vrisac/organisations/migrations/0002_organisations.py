"""The 28 organisations of VR-ISAC: the 25 safety regions with their numbers, NIPV, the owner
(Veiligheidsberaad) and the partner NCSC-NL. Source: data/organisations.json (the project's
copy of its shared facts)."""

import json
from pathlib import Path

from django.db import migrations


def load(apps, schema_editor):
    Organisation = apps.get_model("organisations", "Organisation")
    data = json.loads((Path(__file__).resolve().parent.parent / "data" / "organisations.json")
                      .read_text(encoding="utf-8"))
    for item in data["organisations"]:
        Organisation.objects.update_or_create(
            slug=item["slug"],
            defaults={"name": item["name"], "number": item.get("number"), "kind": item["kind"]},
        )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
