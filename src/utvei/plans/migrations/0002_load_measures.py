"""Load the measure catalogue from plans/data/measures.yaml (later changes: `utvei measures sync`)."""

from django.db import migrations


def load(apps, schema_editor):
    from utvei.plans.catalogue import load_entries, sync_entries

    sync_entries(
        load_entries(),
        measure_model=apps.get_model("plans", "Measure"),
        revision_model=apps.get_model("plans", "MeasureRevision"),
    )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
