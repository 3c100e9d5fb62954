#!/usr/bin/env bash
# Browser tests drive Debian's headless Chromium through its chromedriver; the docs test runs the
# documentation's shell examples, which use curl and jq. Install what is missing when we may
# (root with apt); otherwise those tests skip and say why.
set -u
# The graph viewer's d3/dagre/pako (npm, pinned by hash); the graph page tests need them.
bash "$(dirname "$0")/fetch_graph_viewer_libs.sh" \
  || echo "could not fetch the graph viewer's libraries; the graph page test will skip (fail in CI)"
missing=()
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
  || missing+=(chromium chromium-driver)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the browser and docs tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") \
    >/tmp/np-apt.log 2>&1 || echo "could not install ${missing[*]} (see /tmp/np-apt.log); those tests will skip"
fi
exit 0
