"""The 28 organisations of VR-ISAC (see vrisac/organisations/data.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from vrisac.organisations.data import load_organisations

    load_organisations(apps.get_model("organisations", "Organisation"))


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
