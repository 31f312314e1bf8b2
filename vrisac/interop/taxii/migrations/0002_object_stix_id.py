from django.db import migrations, models


class Migration(migrations.Migration):
    """Whose a posted STIX id is, and which versions of it the platform supersedes, are read
    across collections by the id alone."""

    dependencies = [
        ("taxii", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="taxiiobject",
            index=models.Index(fields=["stix_id"], name="taxii_object_stix_id"),
        ),
    ]
