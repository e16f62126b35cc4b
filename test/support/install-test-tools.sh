#!/usr/bin/env bash
# Installs the system tools the test suite drives, when they are missing: Prometheus' promtool and
# the server itself, Alertmanager's amtool, mysqld_exporter, zstd, the MariaDB client tools and
# server (for private test instances), the checkers of the deployment assets (nginx, kubectl for
# `kubectl kustomize`, systemd-analyze, openssl), and Chromium and a CJK font for the console's
# browser tests. `npm test` runs it first (the `pretest` script) and CI's
# .ci/run calls it too — this is the one list. Debian/Ubuntu (apt-get); needs root (or sudo without
# a password) only when something is missing. Exits non-zero with a clear message when it cannot.
set -euo pipefail

log() { printf '[test-tools] %s\n' "$*"; }
# a "command" starting with / is a file the package installs (e.g. a font); its own test looks for
# files under MCP_TEST_TOOLS_ROOT instead of /
have() { local c; for c in "$@"; do if [[ "$c" == /* ]]; then [ -e "${MCP_TEST_TOOLS_ROOT:-}$c" ] && return 0; else command -v "$c" >/dev/null 2>&1 && return 0; fi; done; return 1; }

# one line per package: "<package> <command> [<alternative command>…]"
TOOLS=(
  "prometheus promtool"
  "prometheus prometheus"
  "prometheus-alertmanager amtool"
  "prometheus-mysqld-exporter prometheus-mysqld-exporter"
  "zstd zstd"
  "mariadb-client mariadb-dump mysqldump"
  "mariadb-client mariadb mysql"
  "mariadb-client mariadb-binlog mysqlbinlog"
  "mariadb-server mariadb-install-db mysql_install_db"
  "nginx nginx"
  "kubernetes-client kubectl"
  "systemd systemd-analyze"
  "openssl openssl"
  "chromium chromium"
  "fonts-wqy-microhei /usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)

missing_packages() {
  local line pkg seen=" " out=()
  for line in "${TOOLS[@]}"; do
    read -r pkg cmds <<<"$line"
    # shellcheck disable=SC2086
    if ! have $cmds && [[ "$seen" != *" $pkg "* ]]; then out+=("$pkg"); seen+="$pkg "; fi
  done
  echo "${out[*]:-}"
}

read -r -a need <<<"$(missing_packages)"
if [ ${#need[@]} -eq 0 ]; then exit 0; fi

log "missing test tools; Debian packages to install: ${need[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get is not available: install ${need[*]} (or their equivalents) yourself, then run the tests again" >&2
  exit 1
fi
use_sudo=false
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    use_sudo=true
  else
    log "installing needs root: run 'sudo apt-get install ${need[*]}' (or the tests as root), then run the tests again" >&2
    exit 1
  fi
fi
apt() {
  if $use_sudo; then sudo -n DEBIAN_FRONTEND=noninteractive apt-get "$@"; else DEBIAN_FRONTEND=noninteractive apt-get "$@"; fi
}
if ! apt update -qq; then
  log "apt-get update failed; install ${need[*]} yourself, then run the tests again" >&2
  exit 1
fi
if ! apt install -y -qq --no-install-recommends "${need[@]}"; then
  log "apt-get install ${need[*]} failed; install them yourself, then run the tests again" >&2
  exit 1
fi
read -r -a still <<<"$(missing_packages)"
if [ ${#still[@]} -gt 0 ]; then
  log "installed, but the tools of ${still[*]} are still not on PATH ($PATH)" >&2
  exit 1
fi
log "installed ${need[*]}"
