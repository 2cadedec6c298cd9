"""The visits' day index also holds their station, so the usage report reads the index alone.

Built concurrently: a city's millions of visits keep being written while it is built.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("stations", "0005_fewer_write_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="visit",
            index=models.Index(fields=["visited_on"], include=["station"], name="visit_day_station_idx"),
        ),
        RemoveIndexConcurrently(model_name="visit", name="visit_day_idx"),
    ]
