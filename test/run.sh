#!/usr/bin/env bash
# The whole test suite, as the README says: bash test/run.sh (or npm test).
# Installs the system packages the suites need when run as root; otherwise stops with the exact
# command to run. It never skips a suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Debian's nginx: the reverse proxy in front of the gateway (forward-auth gate, docker-jitsi-meet example).
[ -x /usr/sbin/nginx ] || need+=(nginx)
# LemonLDAP::NG (the real CAS server) is installed by test/support/lemonldap/up.sh on first use.

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing system packages; run:  sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ]; then npm ci; fi
npm run build --silent
mkdir -p test-artifacts
status=0
JSG_SKIP_BUILD=1 npx vitest run "$@" || status=$?

# A plain closing line any CI can read.
node -e '
const r = require("./test-artifacts/vitest-results.json");
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit $status
