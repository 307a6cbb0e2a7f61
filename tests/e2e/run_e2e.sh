#!/usr/bin/env bash
# ctest's driver of serve_e2e.mjs: kmq serve in headless Chromium.
#   run_e2e.sh KMQ KMQ_SERVE SOURCE_DIR OUT_DIR
# Exits 77 (ctest: skipped) only where node or Chromium truly is missing;
# playwright-core (pinned in package-lock.json) is installed by npm ci, from
# npm's cache when it has it. scripts/test.sh installs it beforehand.
set -euo pipefail
kmq=$1 kmq_serve=$2 source_dir=$3 out_dir=$4
command -v node >/dev/null || { echo "SKIP: node is not installed (scripts/install-deps.sh installs it)"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium is not installed (scripts/install-deps.sh installs it)"; exit 77; }
cd "$source_dir/tests/e2e"
if [ ! -f node_modules/playwright-core/package.json ]; then
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  npm ci --offline --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund >/dev/null ||
    { echo "SKIP: cannot install playwright-core: npm ci failed (no network and not in npm's cache?)"; exit 77; }
fi
exec node serve_e2e.mjs "$kmq" "$kmq_serve" "$source_dir" "$out_dir"
