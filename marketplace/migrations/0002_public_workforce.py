from django.db import migrations


def create_public_workforce(apps, schema_editor):
    Workteam = apps.get_model("marketplace", "Workteam")
    if not Workteam.objects.filter(kind="public").exists():
        Workteam.objects.create(name="Public workforce", kind="public")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]
    operations = [migrations.RunPython(create_public_workforce, migrations.RunPython.noop)]
