#!/usr/bin/env bash
# Make sure the accessibility check has a browser: Debian's Chromium at /usr/bin/chromium.
# Playwright drives it by path; its own browser download is never used.
# Installs the Debian package when missing and running as root; otherwise says what to install.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the accessibility check"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
  echo "apt-get installed chromium but there is no $CHROMIUM" >&2
  exit 1
fi
echo "The accessibility check needs Chromium at $CHROMIUM, which is missing." >&2
echo "Install it, e.g.: sudo apt-get install chromium" >&2
echo "(elsewhere: any Chromium, passed to qipp_helpers.pack.checks.chromium(executable_path=...);" >&2
echo " browser tests are skipped until then)" >&2
exit 1
