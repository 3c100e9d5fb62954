#!/usr/bin/env bash
# The attribution-graph viewer (circuit-tracer's frontend assets) loads d3 v7, d3-jetpack (2.1.0: the last
# build that extends a global d3; 2.3.0's d3v7 bundle patches a second copy of d3-selection), dagre
# and pako from CDNs; this site serves them itself (the page's Content-Security-Policy allows
# no other origin, and the site runs offline). Fetch the pinned npm packages once, check their
# hashes, and keep the four files in $GRAPH_VIEWER_LIBS_DIR (default var/graph-viewer-libs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${GRAPH_VIEWER_LIBS_DIR:-$root/var/graph-viewer-libs}"
declare -A files=(
  [d3.min.js]="d3@7.9.0 package/dist/d3.min.js"
  [d3-jetpack.js]="d3-jetpack@2.1.0 package/build/d3-jetpack.js"
  [dagre.min.js]="dagre@0.8.5 package/dist/dagre.min.js"
  [pako.min.js]="pako@2.1.0 package/dist/pako.min.js"
)
declare -A sha256=(
  [d3.min.js]="f2094bbf6141b359722c4fe454eb6c4b0f0e42cc10cc7af921fc158fceb86539"
  [d3-jetpack.js]="73bada075f3b12caaf3c9395a4a01294a866bac33f104d51e4bca17b9e6a7c3d"
  [dagre.min.js]="62eb9787ccfdbdf4148d4d99d31dbf9ee4770eafee81e637d759b52aac22cd51"
  [pako.min.js]="ede2693a4a6a5126b9d35669062b358ecab6ae7b9b86a1cf302feb45a8514907"
)
mkdir -p "$dest"
have_all() {
  for name in "${!files[@]}"; do [ -f "$dest/$name" ] || return 1; done
}
if [ -z "${FORCE:-}" ] && have_all; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: the graph viewer's libraries cannot be fetched" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for name in "${!files[@]}"; do
  read -r package member <<<"${files[$name]}"
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tarball="$(ls "$work"/*.tgz)"
  tar -xzf "$tarball" -O "$member" >"$work/$name"
  rm "$tarball"
  echo "${sha256[$name]}  $work/$name" | sha256sum --check --quiet
  mv "$work/$name" "$dest/$name"
done
echo "graph viewer libraries in $dest"
