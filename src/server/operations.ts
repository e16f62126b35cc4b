/**
 * The name and one-line summary of every /api operation in the OpenAPI document, keyed by
 * `METHOD /path` as mounted (Fastify's `:param` syntax). The names are part of the contract: the
 * console's typed client and scripts call them, so keep them stable (add, never rename). A route
 * may instead declare `operationId` and `summary` in its own schema (that wins). A route in
 * neither gets a derived name (`get_api_ops_foo`) and test/server/openapi.test.ts fails until it
 * has a real one.
 */
export const OPERATIONS: Readonly<Record<string, readonly [operationId: string, summary: string]>> = {
  // auth
  'POST /api/auth/login': ['login', 'Log in with username and password; with session "cookie" the refresh token is set as an httpOnly cookie'],
  'POST /api/auth/refresh': ['refreshSession', 'Exchange a refresh token (body or cookie) for a new session; the old token is spent'],
  'POST /api/auth/session': ['probeSession', "The console's session probe: rotates the refresh cookie and returns the user, or authenticated=false"],
  'POST /api/auth/logout': ['logout', 'End the current session (bearer or refresh cookie) and clear the cookie'],
  'POST /api/auth/password': ['changePassword', 'Change your own password (ends your other sessions)'],
  'GET /api/auth/me': ['getMe', 'Who am I: the caller, its roles and permissions'],
  'GET /api/auth/sessions': ['listOwnSessions', "The caller's own active sessions (started, last refreshed, address, browser), the current one marked"],
  'DELETE /api/auth/sessions/:id': ['endOwnSession', 'End one of your own sessions (signs that browser or script out)'],
  // user
  'GET /api/users/': ['listUsers', 'List users (search, filters, pagination)'],
  'POST /api/users/': ['createUser', 'Create a user'],
  'GET /api/users/:id': ['getUser', 'One user'],
  'PATCH /api/users/:id': ['updateUser', 'Change a user (email, roles, status, password)'],
  'DELETE /api/users/:id': ['deleteUser', 'Delete a user'],
  // permission
  'GET /api/permissions': ['listPermissions', 'The permission catalog'],
  'GET /api/roles': ['listRoles', 'List roles with their permissions'],
  'POST /api/roles': ['createRole', 'Create a role'],
  'GET /api/roles/:id': ['getRole', 'One role'],
  'PATCH /api/roles/:id': ['updateRole', "Change a role's description or permissions"],
  'DELETE /api/roles/:id': ['deleteRole', 'Delete a custom role'],
  // system
  'GET /api/system/audit-logs': ['listAuditLogs', 'Audit log entries (filter by actor, action, result, time)'],
  'GET /api/system/audit-logs/verify': ['verifyAuditLog', "Check the audit log's hash chain; says where it breaks"],
  'GET /api/system/settings': ['listSettings', 'Runtime settings'],
  'GET /api/system/settings/:name': ['getSetting', 'One setting'],
  'PUT /api/system/settings/:name': ['setSetting', 'Set a setting'],
  'DELETE /api/system/settings/:name': ['deleteSetting', 'Reset a setting to its default'],
  // ops: backups, restores, jobs
  'GET /api/ops/backups': ['listBackups', 'The backup catalog'],
  'POST /api/ops/backups': ['startBackup', 'Take a full, schema or incremental backup now (a job)'],
  'POST /api/ops/backups/:id/verify': ['verifyBackup', 'Verify a backup (a job)'],
  'POST /api/ops/restores': ['startRestore', 'Restore a backup, point-in-time with "to" (a job)'],
  'POST /api/ops/backups/catalog/rebuild': ['rebuildBackupCatalog', 'Rebuild the catalog from the storage (a job)'],
  'GET /api/ops/jobs': ['listJobs', 'Recent jobs and their progress'],
  'GET /api/ops/jobs/:id': ['getJob', "One job's state and progress"],
  // ops: database topology, failover
  'GET /api/ops/db/topology': ['getDbTopology', 'Database topology: primary, replicas and their lag'],
  'POST /api/ops/db/switchover': ['switchover', 'Planned switchover to a replica'],
  'POST /api/ops/db/failover': ['failover', 'Emergency failover to a replica'],
  'POST /api/ops/ha/ack': ['ackFailover', "Acknowledge the last automatic failover (lifts the monitor's block)"],
  'GET /api/ops/ha/monitor': ['getHaMonitor', "The failover monitor's state and last decision"],
  // ops: incidents
  'GET /api/ops/incidents': ['listIncidents', 'Incidents'],
  'POST /api/ops/incidents': ['openIncident', 'Open an incident'],
  'GET /api/ops/incidents/:id': ['getIncident', 'One incident with its timeline and checklist'],
  'POST /api/ops/incidents/:id/ack': ['acknowledgeIncident', 'Acknowledge an incident'],
  'POST /api/ops/incidents/:id/classify': ['classifyIncident', 'Classify an incident'],
  'POST /api/ops/incidents/:id/transition': ['transitionIncident', 'Move an incident to another status'],
  'POST /api/ops/incidents/:id/resolve': ['resolveIncident', 'Resolve an incident'],
  'POST /api/ops/incidents/:id/checklist': ['tickIncidentChecklist', 'Tick or untick a checklist item'],
  'POST /api/ops/incidents/:id/postmortem': ['writePostmortem', 'Write the postmortem'],
  // ops: alerts, notifications, overview
  'GET /api/ops/alerts': ['listAlerts', 'Alerts as stored'],
  'POST /api/ops/alerts/:fingerprint/ack': ['acknowledgeAlert', 'Acknowledge an alert (stops its notifications)'],
  'POST /api/ops/notify/test': ['sendTestNotification', 'Send a test notification through a channel'],
  'GET /api/ops/overview': ['getOverview', 'Dependencies up/down and the key figures against their thresholds'],
  'GET /api/ops/overview/series': ['getOverviewSeries', 'Time series of the key figures (last hour by default)'],
  // support
  'POST /api/support/alerts/alertmanager': ['receiveAlertmanager', 'Alertmanager webhook receiver (v4 payload; its own bearer token)'],
  'GET /api/support/notify/channels': ['listNotifyChannels', 'Notification channels (secrets masked)'],
  'POST /api/support/notify/channels': ['createNotifyChannel', 'Create a notification channel'],
  'GET /api/support/notify/channels/:name': ['getNotifyChannel', 'One notification channel (secrets masked)'],
  'PATCH /api/support/notify/channels/:name': ['updateNotifyChannel', 'Change a notification channel'],
  'DELETE /api/support/notify/channels/:name': ['deleteNotifyChannel', 'Delete a notification channel'],
  'GET /api/support/notify/contacts': ['listNotifyContacts', 'Contacts'],
  'POST /api/support/notify/contacts': ['createNotifyContact', 'Create a contact'],
  'PATCH /api/support/notify/contacts/:id': ['updateNotifyContact', 'Change a contact'],
  'DELETE /api/support/notify/contacts/:id': ['deleteNotifyContact', 'Delete a contact'],
  'GET /api/support/notify/groups': ['listNotifyGroups', 'On-call groups'],
  'POST /api/support/notify/groups': ['createNotifyGroup', 'Create an on-call group'],
  'PUT /api/support/notify/groups/:name/members': ['setNotifyGroupMembers', "Set an on-call group's members"],
  'DELETE /api/support/notify/groups/:name': ['deleteNotifyGroup', 'Delete an on-call group'],
  'GET /api/support/notify/routes': ['listNotifyRoutes', 'Notification routes by severity'],
  'PUT /api/support/notify/routes/:severity': ['setNotifyRoute', 'Set the route of a severity'],
  'GET /api/support/alerts/silences': ['listSilences', 'Alert silences'],
  'POST /api/support/alerts/silences': ['createSilence', 'Silence alerts'],
  'DELETE /api/support/alerts/silences/:id': ['expireSilence', 'Expire a silence'],
  'GET /api/support/notify/outbox': ['listNotifications', 'Notification outbox'],
  'GET /api/support/notify/outbox/:id': ['getNotification', 'One notification and its attempts'],
  'POST /api/support/notify/outbox/:id/retry': ['retryNotification', 'Send a dead notification again'],
};
