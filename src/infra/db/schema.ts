import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of the platform's tables, identical on MySQL/MariaDB and SQLite.
 * Timestamps are UTC strings `YYYY-MM-DD HH:mm:ss.SSS` on both (DATETIME(3) with mysql2
 * `dateStrings`, TEXT on SQLite); flags are integers 0/1.
 */
type Timestamp = string;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  display_name: string | null;
  password_hash: string;
  status: 'active' | 'disabled';
  must_change_password: ColumnType<number, number | undefined, number>;
  last_login_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RolesTable {
  id: Generated<number>;
  name: string;
  description: string;
  builtin: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PermissionsTable {
  id: Generated<number>;
  name: string;
  description: string;
}

export interface RolePermissionsTable {
  role_id: number;
  permission_id: number;
}

export interface UserRolesTable {
  user_id: number;
  role_id: number;
}

export interface RefreshTokensTable {
  id: string;
  family_id: string;
  user_id: number;
  token_hash: string;
  expires_at: Timestamp;
  created_at: Timestamp;
  replaced_by: string | null;
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface LoginLogTable {
  id: Generated<number>;
  user_id: number | null;
  username: string;
  ip: string | null;
  user_agent: string | null;
  success: number;
  reason: string;
  created_at: Timestamp;
}

export interface AuditLogTable {
  seq: number;
  ts: Timestamp;
  actor_id: number | null;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  result: 'success' | 'failure' | 'denied';
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditChainTable {
  id: number;
  last_seq: number;
  last_hash: string;
  /** HMAC under the audit key over last_seq and last_hash (migration 006); null only before it is first keyed. */
  head_mac: string | null;
}

export interface SettingsTable {
  name: string;
  value: string;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface BackupsTable {
  id: string;
  type: 'full' | 'incremental' | 'binlog' | 'schema' | 'config' | 'logs';
  status: 'running' | 'complete' | 'failed';
  started_at: Timestamp;
  finished_at: Timestamp | null;
  data_key: string;
  /** Comma-separated storages holding the artefact: `local`, `s3`. */
  locations: string;
  raw_bytes: number | null;
  stored_bytes: number | null;
  sha256: string | null;
  binlog_file: string | null;
  binlog_pos: number | null;
  gtid: string | null;
  first_event_at: Timestamp | null;
  last_event_at: Timestamp | null;
  server_id: number | null;
  key_id: string | null;
  verified_at: Timestamp | null;
  verify_result: 'passed' | 'failed' | null;
  /** `host:pid` of the process taking a running backup, so an orphan can be recognised. */
  holder: string | null;
  error: string | null;
  manifest: string | null;
  /** 1: the safety backup a live restore took first (never `latest`). */
  safety: ColumnType<number, number | undefined, number>;
}

export interface OpsLocksTable {
  name: string;
  holder: string;
  expires_at: Timestamp;
}

export interface Schema {
  users: UsersTable;
  roles: RolesTable;
  permissions: PermissionsTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  refresh_tokens: RefreshTokensTable;
  login_log: LoginLogTable;
  audit_log: AuditLogTable;
  audit_chain: AuditChainTable;
  settings: SettingsTable;
  backups: BackupsTable;
  ops_locks: OpsLocksTable;
  login_throttle: LoginThrottleTable;
  jobs: JobsTable;
  restore_targets: RestoreTargetsTable;
  alerts: AlertsTable;
  alert_events: AlertEventsTable;
  incidents: IncidentsTable;
  incident_alerts: IncidentAlertsTable;
  incident_events: IncidentEventsTable;
  incident_checklist: IncidentChecklistTable;
  notify_channels: NotifyChannelsTable;
  notify_contacts: NotifyContactsTable;
  notify_groups: NotifyGroupsTable;
  notify_group_members: NotifyGroupMembersTable;
  notify_routes: NotifyRoutesTable;
  notify_silences: NotifySilencesTable;
  notify_outbox: NotifyOutboxTable;
  notify_outbox_alerts: NotifyOutboxAlertsTable;
  notify_attempts: NotifyAttemptsTable;
  notify_pacing: NotifyPacingTable;
  db_topology: DbTopologyTable;
  backup_stream_status: BackupStreamStatusTable;
}

/** Failed logins per (normalised) username, whether or not an account has it (migration 005). */
export interface LoginThrottleTable {
  username: string;
  failed_logins: number;
  locked_until: Timestamp | null;
  last_failure_at: Timestamp;
  /** Attempts reserved whose password check has not finished yet (see authService.reserveAttempt). */
  pending: ColumnType<number, number | undefined, number>;
  pending_at: Timestamp | null;
}

/** Long operations (backups, verification, restores), durable across restarts and replicas. */
export interface JobsTable {
  id: string;
  kind: string;
  actor: string;
  target: string | null;
  status: 'running' | 'succeeded' | 'failed';
  step: string | null;
  /** JSON */
  progress: string | null;
  /** JSON */
  result: string | null;
  /** JSON `{code,message}` */
  error: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  /** Renewed while the job runs; a stale heartbeat means its process died. */
  heartbeat_at: Timestamp;
  /** `host:pid` of the process running it. */
  holder: string;
}

/** Databases (MySQL/MariaDB) or files (SQLite) the platform created as restore targets. */
export interface RestoreTargetsTable {
  name: string;
  created_at: Timestamp;
  created_by: string;
  backup_id: string | null;
}

/** Each alert's current state, by Alertmanager fingerprint (migration 009, support module). */
export interface AlertsTable {
  fingerprint: string;
  name: string;
  severity: 'critical' | 'major' | 'minor';
  status: 'firing' | 'resolved';
  summary: string | null;
  /** JSON */
  labels: string;
  /** JSON */
  annotations: string;
  generator_url: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  updated_at: Timestamp;
  /** Set when a person acknowledged the current episode (migration 011); nothing more is sent for it. */
  acknowledged_at: Generated<Timestamp | null>;
  acknowledged_by: Generated<string | null>;
  /** When the current episode's first notification was written; escalations count from it. */
  notified_at: Generated<Timestamp | null>;
  escalations: Generated<number>;
}

/** Every firing/resolved notification of an alert, once: unique (fingerprint, starts_at, status). */
export interface AlertEventsTable {
  id: Generated<number>;
  fingerprint: string;
  status: 'firing' | 'resolved';
  starts_at: Timestamp;
  ends_at: Timestamp | null;
  received_at: Timestamp;
  receiver: string;
}

/** Incidents (migration 008): lifecycle times per incident (MTTA from acknowledged_at, MTTR from recovered_at). */
export interface IncidentsTable {
  id: Generated<number>;
  title: string;
  severity: string;
  status: string;
  type: string | null;
  /** `alert` or `manual` */
  source: string;
  alert_name: string | null;
  /** The alert name while open, null once recovered (unique: concurrent alerts of one name open one incident). */
  open_group: string | null;
  summary: string | null;
  created_by: string;
  detected_at: Timestamp;
  acknowledged_at: Timestamp | null;
  acknowledged_by: string | null;
  recovered_at: Timestamp | null;
  resolved_by: string | null;
  /** Set when every tied alert resolved: closing is proposed, not done. */
  close_proposed_at: Timestamp | null;
  impact: string | null;
  causes: string | null;
  actions: string | null;
  postmortem_at: Timestamp | null;
  updated_at: Timestamp;
}

/** Alerts (by Alertmanager fingerprint) tied to an incident. */
export interface IncidentAlertsTable {
  incident_id: number;
  fingerprint: string;
  added_at: Timestamp;
}

/** The timeline of an incident: every event, in order. */
export interface IncidentEventsTable {
  id: Generated<number>;
  incident_id: number;
  at: Timestamp;
  kind: string;
  actor: string;
  from_status: string | null;
  to_status: string | null;
  message: string | null;
}

/** The §4.2 checklist items a person ticked. */
export interface IncidentChecklistTable {
  incident_id: number;
  item: string;
  done_by: string;
  done_at: Timestamp;
}

/** A notification until a channel accepted it (migration 011): written with the alert change it announces. */
export interface NotifyOutboxTable {
  id: Generated<number>;
  idem_key: string;
  channel: string;
  channel_type: string;
  /** JSON array */
  recipients: string;
  kind: 'firing' | 'resolved' | 'escalation';
  escalation: Generated<number>;
  severity: 'critical' | 'major' | 'minor';
  /** JSON array of the announced alerts as written */
  alerts: string;
  status: 'pending' | 'queued' | 'sending' | 'sent' | 'merged' | 'cancelled' | 'dead';
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  queued_at: Timestamp | null;
  claimed_until: Timestamp | null;
  merged_into: number | null;
  last_error: string | null;
  provider_code: string | null;
  message_id: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  updated_at: Timestamp;
}

/** Which alerts (fingerprints) each outbox notification announces. */
export interface NotifyOutboxAlertsTable {
  outbox_id: number;
  fingerprint: string;
}

/** Each delivery attempt: outcome, the provider's code, the error. */
export interface NotifyAttemptsTable {
  id: Generated<number>;
  outbox_id: number;
  channel: string;
  attempt: number;
  started_at: Timestamp;
  duration_ms: number;
  outcome: 'sent' | 'retry' | 'rate_limited' | 'failed';
  provider_code: string | null;
  error: string | null;
  message_id: string | null;
  /** How many other notifications this attempt carried (merged into a digest). */
  merged: Generated<number>;
}

/** A rate-limited channel's next free sending slot. */
export interface NotifyPacingTable {
  channel: string;
  next_at: Timestamp;
}

// ---- Notification center configuration (migration 010, support module) ----

/** A configured notification channel; its secret fields are encrypted apart from the rest. */
export interface NotifyChannelsTable {
  id: Generated<number>;
  /** `[a-z0-9-]{1,64}`, unique */
  name: string;
  type: 'email' | 'sms' | 'voice' | 'dingtalk' | 'wecom' | 'feishu' | 'webhook' | 'log';
  /** JSON of the non-secret fields */
  config: string;
  /** `v1:iv:tag:ct` (AES-256-GCM, AAD = the channel name) of the JSON of the secret fields; null when none */
  secrets: string | null;
  enabled: ColumnType<number, number | undefined, number>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A person notifications reach: by e-mail and/or phone (SMS, voice, robots' @mentions). */
export interface NotifyContactsTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  phone: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** An on-call group of contacts. */
export interface NotifyGroupsTable {
  id: Generated<number>;
  name: string;
  created_at: Timestamp;
}

export interface NotifyGroupMembersTable {
  group_id: number;
  contact_id: number;
}

/** The route of one severity; without a row the manual's §3.1 default applies. */
export interface NotifyRoutesTable {
  severity: 'critical' | 'major' | 'minor';
  /** JSON array of channel names */
  channels: string;
  /** JSON array of group names */
  groups: string;
  escalate_after_s: number | null;
  escalate_max: ColumnType<number, number | undefined, number>;
  updated_by: string;
  updated_at: Timestamp;
}

/** A silence (by label matchers) or a maintenance window (may match everything). */
export interface NotifySilencesTable {
  id: Generated<number>;
  kind: 'silence' | 'maintenance';
  /** JSON `[{name, value, regex?}]` */
  matchers: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  comment: string;
  created_by: string;
  created_at: Timestamp;
  expired_at: Timestamp | null;
}

/** One published database topology (migration 012); the highest epoch is current. */
export interface DbTopologyTable {
  epoch: number;
  /** host:port */
  primary_server: string;
  /** JSON array of host:port */
  replicas: string;
  changed_at: Timestamp;
  changed_by: string;
  reason: string;
}

export interface BackupStreamStatusTable {
  id: string;
  holder: string;
  reported_at: Timestamp;
  /** StreamStatus as JSON. */
  status: string;
}
