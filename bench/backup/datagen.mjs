// bench/backup — deterministic, realistic bulk data for the backup benchmark.
//
// Three tables shaped like what the platform accumulates (an audit/event log, documents with
// free text, metric samples): mixed integers, timestamps, doubles, short varchars and text. Text
// comes from a PRNG-generated vocabulary (pseudo-words of random syllables) picked with a skewed,
// Zipf-like distribution, so it compresses like real text (zstd -3 ≈ 3–5x on the dump), not like
// zeros (≫ 10x) or random bytes (1x). Rows are produced as TSV for LOAD DATA INFILE (fields by
// \t, lines by \n; nothing generated contains \t, \n or \\).

/** mulberry32: small, fast, good enough for test data. Returns a () => [0, 1) function. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = (() => {
  const c = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'ch', 'sh', 'th', 'st', 'tr', 'pl'];
  const v = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou'];
  const out = [];
  for (const x of c) for (const y of v) out.push(x + y);
  return out;
})();

function vocabulary(rand, size) {
  const words = new Set();
  while (words.size < size) {
    const n = 1 + Math.floor(rand() * rand() * 4.5); // 1–4 syllables, short ones more common
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    if (rand() < 0.1) w += ['s', 'ed', 'ing', 'er', 'ly'][Math.floor(rand() * 5)];
    words.add(w);
  }
  return [...words];
}

const ACTIONS = [
  'user.login',
  'user.logout',
  'user.create',
  'user.update',
  'user.delete',
  'role.assign',
  'role.revoke',
  'model.invoke',
  'model.deploy',
  'model.update',
  'dataset.upload',
  'dataset.delete',
  'prompt.create',
  'prompt.update',
  'key.rotate',
  'backup.run',
  'config.change',
  'session.refresh',
  'agent.run',
  'agent.stop',
  'file.download',
  'file.upload',
  'policy.check',
  'quota.exceed',
];
const STATUSES = [200, 200, 200, 200, 200, 201, 201, 204, 302, 400, 401, 403, 404, 409, 429, 500];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'mcp-sdk-python/1.4.2 httpx/0.27.0',
  'mcp-sdk-node/0.9.1 node/20.11.0',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'PostmanRuntime/7.36.0',
];

const TSV_DATE = (ms) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/** The bulk tables: DDL, the share of the logical size each gets, and a row generator. */
export const TABLES = [
  {
    name: 'bench_events',
    share: 0.45,
    ddl: `CREATE TABLE bench_events (
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      tenant_id INT UNSIGNED NOT NULL,
      user_id INT UNSIGNED NOT NULL,
      action VARCHAR(32) NOT NULL,
      resource VARCHAR(160) NOT NULL,
      ip VARCHAR(45) NOT NULL,
      status SMALLINT UNSIGNED NOT NULL,
      duration_ms INT UNSIGNED NOT NULL,
      created_at DATETIME(3) NOT NULL,
      details TEXT NOT NULL,
      KEY idx_events_tenant_time (tenant_id, created_at),
      KEY idx_events_user (user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    columns: 'id, tenant_id, user_id, action, resource, ip, status, duration_ms, created_at, details',
  },
  {
    name: 'bench_documents',
    share: 0.4,
    ddl: `CREATE TABLE bench_documents (
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      owner_id INT UNSIGNED NOT NULL,
      workspace VARCHAR(64) NOT NULL,
      title VARCHAR(255) NOT NULL,
      tags VARCHAR(255) NOT NULL,
      version INT UNSIGNED NOT NULL,
      updated_at DATETIME NOT NULL,
      body MEDIUMTEXT NOT NULL,
      KEY idx_documents_owner (owner_id, updated_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    columns: 'id, owner_id, workspace, title, tags, version, updated_at, body',
  },
  {
    name: 'bench_metrics',
    share: 0.15,
    ddl: `CREATE TABLE bench_metrics (
      id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
      series_id INT UNSIGNED NOT NULL,
      ts DATETIME NOT NULL,
      value DOUBLE NOT NULL,
      count INT UNSIGNED NOT NULL,
      label VARCHAR(64) NOT NULL,
      KEY idx_metrics_series_ts (series_id, ts)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    columns: 'id, series_id, ts, value, count, label',
  },
];

/**
 * A generator of TSV chunks for one table: `next(bytes)` returns about `bytes` of TSV (whole rows)
 * and the number of rows in it. Deterministic for a given seed.
 */
export function tableGenerator(table, seed = 1) {
  const rand = prng(seed * 7919 + table.name.length);
  const vocab = vocabulary(prng(424242), 4000); // one vocabulary for every table
  const V = vocab.length;
  // Zipf-like: index = V * r^3 — a few hundred words make up most of the text.
  const word = () => vocab[Math.floor(V * rand() ** 3)];
  const int = (n) => Math.floor(rand() * n);
  const words = (min, max, sep = ' ') => {
    const n = min + int(max - min + 1);
    let s = word();
    for (let i = 1; i < n; i++) s += sep + word();
    return s;
  };
  const sentence = () => {
    const w = words(5, 18);
    return w[0].toUpperCase() + w.slice(1) + (rand() < 0.85 ? '.' : rand() < 0.5 ? '?' : '!');
  };
  const hex = (n) => {
    let s = '';
    while (s.length < n)
      s += Math.floor(rand() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, n);
  };
  // Repetition as in real data: log messages come from a pool of templates, documents reuse
  // boilerplate sentences, a metric series keeps its label.
  const templates = Array.from({ length: 3000 }, sentence);
  const template = () => templates[Math.floor(templates.length * rand() ** 2)];
  const boilerplate = Array.from({ length: 20_000 }, sentence);
  const seriesLabels = Array.from({ length: 5001 }, () => `${word()}.${word()}`);
  let id = 0;
  let clock = Date.UTC(2025, 0, 1);

  const row = {
    bench_events() {
      clock += int(400);
      const action = ACTIONS[int(ACTIONS.length)];
      const status = STATUSES[int(STATUSES.length)];
      const dur = Math.floor(1 + 2000 * rand() * rand() * rand());
      const details = JSON.stringify({
        request_id: hex(16),
        agent: AGENTS[int(AGENTS.length)],
        target: `${word()}-${word()}`,
        message: Array.from({ length: 1 + int(3) }, template).join(' '),
        fields: { attempt: 1 + int(3), bytes: int(1_000_000), region: ['cn-north-1', 'cn-east-2', 'cn-south-1'][int(3)] },
      });
      return `${++id}\t${1 + int(200)}\t${1 + int(50_000)}\t${action}\t/api/${word()}/${word()}/${int(100_000)}\t10.${int(256)}.${int(256)}.${int(256)}\t${status}\t${dur}\t${TSV_DATE(clock)}\t${details}\n`;
    },
    bench_documents() {
      clock += int(60_000);
      const paragraphs = 1 + int(6);
      let body = '';
      for (let p = 0; p < paragraphs; p++) {
        const n = 2 + int(7);
        for (let i = 0; i < n; i++) body += (i ? ' ' : '') + (rand() < 0.3 ? boilerplate[int(boilerplate.length)] : sentence());
        body += p + 1 < paragraphs ? '\\n\\n' : ''; // an escaped newline: a real \n in the column
      }
      return `${++id}\t${1 + int(50_000)}\tws-${word()}\t${sentence().slice(0, 250)}\t${words(2, 6, ',')}\t${1 + int(40)}\t${TSV_DATE(clock).slice(0, 19)}\t${body}\n`;
    },
    bench_metrics() {
      clock += int(200);
      const v = (rand() * 1000).toFixed(int(7));
      const series = 1 + int(5000);
      return `${++id}\t${series}\t${TSV_DATE(clock).slice(0, 19)}\t${v}\t${int(10_000)}\t${seriesLabels[series]}\n`;
    },
  }[table.name];
  if (!row) throw new Error(`no generator for ${table.name}`);

  return {
    next(bytes) {
      const parts = [];
      let size = 0;
      let rows = 0;
      while (size < bytes) {
        const r = row();
        parts.push(r);
        size += r.length;
        rows++;
      }
      return { text: parts.join(''), rows };
    },
  };
}
