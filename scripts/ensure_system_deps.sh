#!/usr/bin/env bash
# Make sure the PDF engine's system libraries are present (WeasyPrint needs pango and a font).
# Installs Debian's packages when missing and running as root; otherwise says what to install.
set -euo pipefail
PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  # not Debian: check for the libraries themselves
  ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=("pango")
  fc-list 2>/dev/null | grep -qi dejavu || missing+=("DejaVu fonts")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages for PDF rendering: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "PDF rendering needs these system packages, which are missing: ${missing[*]}" >&2
echo "Install them, e.g.: sudo apt-get install ${PKGS[*]}" >&2
echo "(or on another system: pango >= 1.44 and any TrueType font; see WeasyPrint's install docs)" >&2
exit 1
