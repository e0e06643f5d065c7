"""A complaint's events share its id: at ten million complaints ANALYZE estimated 256,156 distinct
ids among 63 million events (there were ten million), so the footprints' read of 2,000 complaints'
events was planned over the verb index and took 1.4 s instead of 73 ms. About six events per complaint:
a ratio of -0.15 keeps the estimate right as the table grows."""

from django.db import migrations

from closeloop.core.migration_ops import column_n_distinct


class Migration(migrations.Migration):
    dependencies = [("complaints", "0013_complaint_import_job")]

    operations = [column_n_distinct("complaints_complaintevent", "complaint_id", -0.15)]
