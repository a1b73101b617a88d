#!/usr/bin/env bash
# Install the Debian packages the tests need when they are missing: chromium (browser tests).
# and PostgreSQL (the store suite runs against a private server started by the tests).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)  # Chinese glyphs for page tests and screenshots
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v npm >/dev/null 2>&1 || need+=(npm)  # the accessibility test installs axe-core into var/axe
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=; fi
  echo "Installing ${need[*]} from Debian …"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
command -v java >/dev/null 2>&1 || { echo "Java 17 is required for the Elasticsearch test node"; exit 1; }
command -v mvn >/dev/null 2>&1 || { echo "Maven is required for the Elasticsearch test node"; exit 1; }
