# The graph viewer's JavaScript libraries (d3, d3-jetpack, dagre, pako: docs/graphs.md "Pages"),
# fetched from npm at their pinned versions and checked against their SHA-256 by the script
# `make run` uses; the site serves them itself, so the runtime image needs no npm.
FROM node:22-slim AS graph-viewer-libs
COPY scripts/fetch_graph_viewer_libs.sh /build/scripts/
RUN GRAPH_VIEWER_LIBS_DIR=/graph-viewer-libs bash /build/scripts/fetch_graph_viewer_libs.sh

FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=graph-viewer-libs /graph-viewer-libs /opt/graph-viewer-libs
ENV GRAPH_VIEWER_LIBS_DIR=/opt/graph-viewer-libs
COPY . .
ENV PYTHONUNBUFFERED=1
EXPOSE 3000
