#!/bin/sh
# Creates deploy/compose/secrets/ for compose.yaml: random passwords and keys, the URLs built from
# them, and a self-signed certificate for nginx's TLS example. Never overwrites a file that exists.
# The platform refuses a secret file others can read (mode 0600 required) and each container reads
# its files as its own user, so every file is made 0600 and owned by the user of the container that
# reads it: run it as root (sudo).
set -eu
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then
  echo "make-secrets: run as root (sudo sh $0): each secret file must be owned by the container user that reads it" >&2
  exit 1
fi
umask 077
mkdir -p secrets/tls
rand() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-"${1:-40}"; }
put() { # put FILE VALUE
  [ -e "secrets/$1" ] || printf '%s' "$2" > "secrets/$1"
}
put mariadb_root_password "$(rand 32)"
put mariadb_mcp_password "$(rand 32)"
put mariadb_replication_password "$(rand 32)"
put grafana_admin_password "$(rand 24)"
put mcp_admin_password "$(rand 24)"
amqp_password=$(rand 32)
[ -e secrets/rabbitmq.conf ] || printf 'default_user = mcp\ndefault_pass = %s\n' "$amqp_password" > secrets/rabbitmq.conf
amqp_password=$(sed -n 's/^default_pass = //p' secrets/rabbitmq.conf)
db_password=$(cat secrets/mariadb_mcp_password)
put mcp_db_url "mysql://mcp:${db_password}@mariadb-primary:3306/mcp_platform"
put mcp_db_replica_urls "mysql://mcp:${db_password}@mariadb-replica:3306/mcp_platform"
put mcp_redis_url "redis://redis:6379/0"
put mcp_amqp_url "amqp://mcp:${amqp_password}@rabbitmq:5672"
put mcp_jwt_secret "$(rand 48)"
put mcp_audit_key "$(rand 48)"
put mcp_backup_key "$(rand 48)"
put mcp_notify_key "$(rand 48)"
put mcp_alert_webhook_token "$(rand 32)"
put alertmanager_webhook_token "$(cat secrets/mcp_alert_webhook_token)"
[ -e secrets/mysql_exporter.cnf ] || printf '[client]\nhost = mariadb-primary\nuser = mcp\npassword = %s\n' "$db_password" > secrets/mysql_exporter.cnf
[ -e secrets/tls/mcp-platform.crt ] || openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
  -keyout secrets/tls/mcp-platform.key -out secrets/tls/mcp-platform.crt 2>/dev/null

# who reads what: the container's user (uid) per file
owner() {
  case "$1" in
    mariadb_*|rabbitmq.conf) echo 999 ;;        # mysql, rabbitmq
    grafana_*) echo 472 ;;                       # grafana
    alertmanager_*|mysql_exporter.cnf) echo 65534 ;; # nobody
    *) echo platform ;;
  esac
}
for f in secrets/*; do
  [ -f "$f" ] || continue
  o=$(owner "$(basename "$f")"); [ "$o" = platform ] && o=10001
  chown "$o:$o" "$f"; chmod 600 "$f"
done
echo "secrets in $(pwd)/secrets; admin password: secrets/mcp_admin_password"
