"""Load the outcome indicators from evaluation/data/indicators.yaml (later changes: `utvei indicators sync`)."""

from django.db import migrations


def load(apps, schema_editor):
    from utvei.evaluation.catalogue import load_entries, sync_entries

    sync_entries(
        load_entries(),
        indicator_model=apps.get_model("evaluation", "Indicator"),
        revision_model=apps.get_model("evaluation", "IndicatorRevision"),
    )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
