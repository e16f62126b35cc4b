# mcp-platform image: Node 24 LTS, the built server and CLI, production dependencies only, non-root.
# The commands are the README's ("Deploy"): npm ci, npm run build, mcp-platform serve. This
# repository's CI has no container engine, so the image is not built there;
# test/deploy/dockerfile.test.ts checks this file against the README, package.json and the config.
#   docker build -t mcp-platform:latest .
ARG NODE_IMAGE=node:24-slim

# Production dependencies only. better-sqlite3 is a native module: it compiles from source when no
# prebuilt binary fits (hence python3, make, g++ here, not in the final image); @node-rs/argon2
# installs its prebuilt binary as a package from the npm registry. --workspaces=false: the console's
# libraries (the web workspace) are already bundled into web/dist by the build, not needed at run time.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci --omit=dev --workspaces=false

# The build: every dependency, then the server, the CLI (and the console, when the repository has it).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci
RUN npm run build && mkdir -p web/dist

FROM ${NODE_IMAGE}
# mariadb-client (mariadb-dump, mariadb-binlog, mariadb) and zstd: backups and restores of MySQL/MariaDB
RUN apt-get update && apt-get install -y --no-install-recommends mariadb-client zstd && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 mcp-platform \
 && useradd --system --uid 10001 --gid mcp-platform --home-dir /var/lib/mcp-platform --shell /usr/sbin/nologin mcp-platform \
 && install -d -o mcp-platform -g mcp-platform -m 0700 /var/lib/mcp-platform /var/log/mcp-platform /var/backups/mcp-platform
ENV NODE_ENV=production \
    MCP_ENV=production \
    MCP_DATA_DIR=/var/lib/mcp-platform \
    MCP_LOG_DIR=/var/log/mcp-platform \
    MCP_BACKUP_DIR=/var/backups/mcp-platform \
    MCP_LOG_CONSOLE=plain
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
RUN ln -s /app/dist/cli/main.js /usr/local/bin/mcp-platform
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.MCP_PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["mcp-platform", "serve"]
