"""Load the built-in instruments from assessments/data/*.yaml (later changes: `utvei instruments sync`)."""

from django.db import migrations


def load(apps, schema_editor):
    from utvei.assessments.instruments import DATA_FILE_SOURCE, load_builtin, sync_definition

    for definition in load_builtin():
        sync_definition(
            definition,
            instrument_model=apps.get_model("assessments", "Instrument"),
            version_model=apps.get_model("assessments", "InstrumentVersion"),
            source=DATA_FILE_SOURCE,
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
