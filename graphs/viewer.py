"""The attribution-graph viewer's files, served from where they are installed: circuit-tracer's
`frontend/assets` (found by `find_spec`, which does not import the package: web processes never
load circuit_tracer) and the libraries `scripts/fetch_graph_viewer_libs.sh` fetched."""

from __future__ import annotations

import importlib.util
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase

# The viewer's scripts, in the order its index.html loads them (its inline init is ours:
# static/js/graph-viewer.js).
ASSET_SCRIPTS = (
    "feature_examples/init-feature-examples-list.js",
    "feature_examples/init-feature-examples-logits.js",
    "feature_examples/init-feature-examples.js",
    "util.js",
    "attribution_graph/util-cg.js",
    "attribution_graph/render-act-histogram.js",
    "attribution_graph/gridsnap/init-gridsnap.js",
    "attribution_graph/init-cg-button-container.js",
    "attribution_graph/init-cg-link-graph.js",
    "attribution_graph/init-cg-node-connections.js",
    "attribution_graph/init-cg-clerp-list.js",
    "attribution_graph/init-cg-feature-detail.js",
    "attribution_graph/init-cg-feature-scatter.js",
    "attribution_graph/init-cg-subgraph.js",
    "attribution_graph/init-cg.js",
)
ASSET_STYLES = (
    "style.css",
    "attribution_graph/cg.css",
    "attribution_graph/gridsnap/gridsnap.css",
    "feature_examples/feature-examples.css",
)
LIBS = ("d3.min.js", "d3-jetpack.js", "dagre.min.js", "pako.min.js")


def assets_dir() -> Path | None:
    if settings.GRAPH_VIEWER_ASSETS_DIR:
        return Path(settings.GRAPH_VIEWER_ASSETS_DIR)
    spec = importlib.util.find_spec("circuit_tracer")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "frontend" / "assets"


def missing() -> list[str]:
    """What the viewer page lacks: circuit-tracer's assets or the fetched libraries."""
    out = []
    assets = assets_dir()
    if assets is None or not (assets / "attribution_graph" / "init-cg.js").is_file():
        out.append("circuit-tracer's frontend assets (pip install circuit-tracer)")
    if not all((settings.GRAPH_VIEWER_LIBS_DIR / name).is_file() for name in LIBS):
        out.append("the viewer's libraries (scripts/fetch_graph_viewer_libs.sh)")
    return out


def _serve(root: Path | None, relative: str, allowed: tuple[str, ...]) -> HttpResponseBase:
    if root is None or relative not in allowed:
        raise Http404("No such viewer file")
    path = root / relative
    if not path.is_file():
        raise Http404("No such viewer file")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def asset(request: HttpRequest, name: str) -> HttpResponseBase:
    """One of circuit-tracer's viewer files (only those the page loads)."""
    return _serve(assets_dir(), name, ASSET_SCRIPTS + ASSET_STYLES)


def lib(request: HttpRequest, name: str) -> HttpResponseBase:
    return _serve(settings.GRAPH_VIEWER_LIBS_DIR, name, LIBS)
