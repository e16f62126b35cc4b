-- The platform account's grants beyond its own database (README "Restores and database grants"):
-- restores, staging and verification databases, binlog reading and replay. MARIADB_USER (mcp) and
-- its password come from the compose secrets; no password is in this file.
GRANT ALL PRIVILEGES ON `mcp\_restore\_%`.* TO 'mcp'@'%';
GRANT ALL PRIVILEGES ON `mcp\_stage\_%`.* TO 'mcp'@'%';
GRANT ALL PRIVILEGES ON `mcp\_verify\_%`.* TO 'mcp'@'%';
GRANT RELOAD, BINLOG MONITOR, REPLICATION SLAVE, BINLOG REPLAY, SLAVE MONITOR ON *.* TO 'mcp'@'%';
