#!/usr/bin/env bash
# Browser tests drive Debian's headless Chromium through its chromedriver. Install them when they
# are missing and we may (root with apt); otherwise those tests skip and say why.
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium and chromium-driver for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
    >/tmp/np-apt.log 2>&1 || echo "could not install chromium (see /tmp/np-apt.log); browser tests will skip"
fi
exit 0
