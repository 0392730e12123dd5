"""Load the catalogue of legal bases from sharing/data/legal_bases.yaml (later changes: `utvei legalbases sync`)."""

from django.db import migrations

from utvei.sharing.catalogue import load_entries, sync_entries


def load(apps, schema_editor):
    sync_entries(
        load_entries(),
        basis_model=apps.get_model("sharing", "LegalBasis"),
        revision_model=apps.get_model("sharing", "LegalBasisRevision"),
    )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
