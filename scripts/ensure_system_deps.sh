#!/usr/bin/env bash
# What the project needs from the system, checked before anything else is built:
#   - Python 3.11+ with venv (Debian splits it into python3-venv) and make;
#   - the PDF engine's libraries (WeasyPrint needs pango and a font).
# Installs Debian's packages when missing and running as root; otherwise says what to install.
# --python-only: check only Python and venv (before the virtualenv is made).
set -euo pipefail
PYTHON=${PYTHON:-python3}
missing=()
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  missing+=(python3)
elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
  exit 1
elif [ -z "${CONDA_PREFIX:-}" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
command -v make >/dev/null 2>&1 || missing+=(make)
if [ "${1:-}" != "--python-only" ]; then
  PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
  if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${PKGS[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
  else
    # not Debian: check for the libraries themselves
    ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=("pango")
    fc-list 2>/dev/null | grep -qi dejavu || missing+=("DejaVu fonts")
  fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "These system packages are missing: ${missing[*]}" >&2
echo "Install them, e.g.: sudo apt-get install ${missing[*]}" >&2
echo "(elsewhere: Python 3.11+ with venv, make, pango >= 1.44 and any TrueType font; see WeasyPrint's install docs)" >&2
exit 1
