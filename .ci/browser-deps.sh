#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing and we may install packages.
# Never runs `playwright install`: Playwright drives /usr/bin/chromium.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser-deps: /usr/bin/chromium missing and cannot apt-get install it; browser tests will be skipped." >&2
  exit 0
fi
echo "browser-deps: installing Debian chromium (once) ..." >&2
export DEBIAN_FRONTEND=noninteractive
(apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null) \
  || echo "browser-deps: apt-get failed; browser tests will be skipped." >&2
exit 0
