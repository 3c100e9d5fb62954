"""Multi-column foreign keys that Django 5.2 cannot declare: a feature belongs to its source, and
activations, explanations, list items, bookmarks and comments belong to their feature. All
cascade, as in Neuronpedia's schema."""

from django.db import migrations

FEATURE_CHILDREN = ("Activation", "Explanation", "ListsOnNeurons", "Bookmark", "Comment")


def _fk(table: str, cols: str, ref: str, ref_cols: str) -> tuple[str, str]:
    name = f"{table.lower()}_{ref.lower()}_fk"
    return (
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ({cols}) '
        f'REFERENCES "{ref}" ({ref_cols}) ON DELETE CASCADE',
        f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"',
    )


KEY = '"modelId", "layer", "index"'
STATEMENTS = [_fk("Neuron", '"modelId", "layer"', "Source", '"modelId", "id"')] + [
    _fk(table, KEY, "Neuron", KEY) for table in FEATURE_CHILDREN
]


class Migration(migrations.Migration):
    dependencies = [("features", "0002_initial")]
    operations = [migrations.RunSQL(sql, reverse) for sql, reverse in STATEMENTS]
