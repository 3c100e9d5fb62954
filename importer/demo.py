"""Where the bundled demo pack is, whether it is there, and loading it into the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

from features.models import Feature, Model, Source, SourceSet, Visibility
from importer.local_export import load_export_dir
from neuronpedia_format.demo_pack import EXPORT_SUBDIR, MANIFEST_FILENAME, demo_model_dir
from neuronpedia_format.sources import source_set_of


def demo_pack_available() -> bool:
    return (demo_model_dir(settings.DEMO_PACK_DIR) / MANIFEST_FILENAME).exists()


def load_demo(pack: Path | None = None) -> str:
    """Put the demo model, its sources and their dashboards in the database; returns a summary.

    1. For each source of the manifest that already has all its features, do nothing (so a
       restart costs two queries per source).
    2. Otherwise import the source's export (`{pack}/export/v1/...`) with
       `local_export.load_export_dir`: it creates the Model, SourceSet and Source rows if absent
       and adds the features, examples and explanations.
    3. A pack without an export still gets its Model, SourceSet and Source rows, so search and
       steering work; its dashboards come with `build_demo_model --dashboards-only`.
    """
    pack = pack or demo_model_dir(settings.DEMO_PACK_DIR)
    manifest = json.loads((pack / MANIFEST_FILENAME).read_text())
    model_id = manifest["model_id"]
    export = pack / EXPORT_SUBDIR
    done: list[str] = []
    # The per-layer transcoders (`tc-demo`, for attribution graphs) are sources like the SAEs.
    for source in manifest["sources"] + manifest.get("transcoders", []):
        sid = source["id"]
        present = Source.objects.filter(model_id=model_id, source_id=sid).exists()
        features = Feature.objects.filter(model_id=model_id, layer=sid).count()
        if present and features >= source["d_sae"]:
            done.append(f"{sid} (already loaded)")
        elif (export / "v1" / model_id / sid).is_dir():
            result = load_export_dir(export, model_id, sid)
            done.append(f"{sid} ({result.rows} rows imported)")
        else:
            _create_rows(manifest, source)
            done.append(f"{sid} (no dashboards in the pack)")
    return f"demo {model_id}: " + ", ".join(done)


def _create_rows(manifest: dict[str, Any], source: dict[str, Any]) -> None:
    model, _ = Model.objects.get_or_create(
        id=manifest["model_id"],
        defaults={
            "display_name": manifest["display_name"],
            "display_name_short": manifest["model_id"],
            "tlens_id": manifest["model_id"],
            "dimension": manifest["d_model"],
            "layers": manifest["n_layers"],
            "visibility": Visibility.PUBLIC,
            "inference_enabled": True,
        },
    )
    set_name = source_set_of(source["id"])
    SourceSet.objects.get_or_create(
        model=model, name=set_name, defaults={"visibility": Visibility.PUBLIC}
    )
    Source.objects.get_or_create(
        model=model,
        source_id=source["id"],
        defaults={
            "set_name": set_name,
            "visibility": Visibility.PUBLIC,
            "inference_enabled": True,
            "has_dashboards": False,
        },
    )
