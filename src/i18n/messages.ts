/**
 * Console text (CLI lines) in zh-CN, the default, and English (`--lang en` or `MCP_LANG=en`).
 * API error bodies stay English with a stable `code` that the console translates.
 */
export type Lang = 'zh-CN' | 'en';

const zh = {
  'error.prefix': '错误',
  'config.invalid': '配置错误',
  'migrate.applied': (applied: string, current: string) => `已应用迁移：${applied}（当前版本：${current}）`,
  'migrate.upToDate': (current: string) => `数据库结构已是最新，无需迁移（当前版本：${current}）`,
  'admin.created': (u: string) => `已创建管理员账号 ${u}`,
  'admin.reset': (u: string) => `已重置账号 ${u} 的密码，并结束其全部会话`,
  'admin.oneTime': '一次性密码（只显示这一次，首次登录后必须修改）：',
  'admin.preset': '密码已按输入设置。',
  'admin.firstStart': '首次启动：已创建管理员账号 admin。',
  'audit.ok': (n: number) => `审计日志哈希链完整：共校验 ${n} 条记录，未发现篡改`,
  'audit.bad': (n: number, p: number) => `审计日志哈希链被破坏：校验 ${n} 条记录，发现 ${p} 处问题`,
  'audit.problem': (seq: number, problem: string, message: string) =>
    `  #${seq} ${
      (
        {
          edited: '记录被修改（与其哈希不符）',
          missing: '记录缺失（被删除）',
          'broken-link': '链断开（不接续上一条记录）',
          'head-mismatch': '链头与表末尾不一致（记录被删除或链头被改）',
          'head-forged': '链头签名无效（链头被伪造）',
          truncated: '表在已签名检查点之前结束（末尾记录被删除）',
          'checkpoint-mismatch': '与 audit.log 中已签名检查点不符',
          'checkpoint-forged': 'audit.log 中的检查点签名无效（被伪造）',
        } as Record<string, string>
      )[problem] ?? message
    }`,
  'serve.listening': (url: string) => `平台已启动：${url}`,
  'serve.running': (roles: string) => `平台已启动（角色：${roles}；不提供 HTTP）`,
  'serve.draining': (sig: string) => `收到 ${sig}，停止接收新请求并等待进行中的请求完成…`,
  'serve.stopped': '已安全停止',
  'serve.shutdownSlow': (s: number) => `停止用时超过 ${s} 秒，强制退出`,
  'serve.shutdownFailed': (m: string) => `停止失败：${m}`,
  'prune.done': (deleted: number, kept: number) => `删除 ${deleted} 个，保留 ${kept} 个`,
  'stdin.empty': '标准输入中没有密码',
  'only.unavailable': (m: string) => `模块 ${m} 尚未提供`,
  'backup.done': (id: string, raw: string, stored: string, secs: string) => `备份完成：${id}（原始 ${raw}，存储 ${stored}，用时 ${secs} 秒）`,
  'backup.none': '暂无备份',
  'alerts.none': '暂无告警',
  'alerts.severity': (s: string) => ({ critical: '紧急', major: '重要', minor: '一般' })[s] ?? s,
  'alerts.status': (s: string) => ({ firing: '告警中', resolved: '已恢复' })[s] ?? s,
  'backup.window': (from: string, to: string, pointInTime: boolean) => `可恢复时间窗口：${from} — ${to}（UTC${pointInTime ? '，可按时间点恢复' : ''}）`,
  'verify.ok': (id: string, secs: string) => `备份 ${id} 验证通过（用时 ${secs} 秒）`,
  'verify.bad': (id: string) => `备份 ${id} 验证失败`,
  'restore.done': (id: string, target: string, secs: string, restoredTo: string) => `已将备份 ${id} 恢复到 ${target}（数据时间点 ${restoredTo}，用时 ${secs} 秒）`,
  'restore.safety': (id: string) => `恢复前的安全备份：${id}`,
  'progress.eta': (s: number) => `剩余约 ${s} 秒`,
  'progress.step': (step: string) =>
    ({ full: '全量备份', schema: '结构备份', config: '配置备份', logs: '日志备份', binlog: 'binlog 归档', load: '恢复数据', 'replay-binlog': '重放 binlog' })[step] ?? step,
  'backup.safetyTag': '[恢复前安全备份，不作为 latest]',
  'restore.step': (step: string) =>
    ({
      'maintenance-on': '进入维护模式',
      'safety-backup': '安全备份',
      load: '载入数据',
      binlogs: '重放 binlog',
      switch: '切换到恢复的数据',
      catalog: '重建备份目录',
      'maintenance-off': '退出维护模式',
    })[step] ?? step,
} as const;

type Catalog = { [K in keyof typeof zh]: (typeof zh)[K] extends (...a: infer A) => string ? (...a: A) => string : string };

const en: Catalog = {
  'error.prefix': 'error',
  'config.invalid': 'configuration error',
  'migrate.applied': (applied, current) => `applied migrations: ${applied} (current: ${current})`,
  'migrate.upToDate': (current) => `schema already up to date, nothing to apply (current: ${current})`,
  'admin.created': (u) => `created administrator ${u}`,
  'admin.reset': (u) => `reset the password of ${u} and ended all of its sessions`,
  'admin.oneTime': 'one-time password (shown only now; must be changed at first login):',
  'admin.preset': 'password set as given.',
  'admin.firstStart': 'first start: created administrator account admin.',
  'audit.ok': (n) => `audit log hash chain intact: ${n} rows checked, no tampering found`,
  'audit.bad': (n, p) => `audit log hash chain broken: ${n} rows checked, ${p} problems found`,
  'audit.problem': (seq, problem, message) => `  #${seq} ${problem}: ${message}`,
  'serve.listening': (url) => `platform listening on ${url}`,
  'serve.running': (roles) => `platform running (roles: ${roles}; no HTTP)`,
  'serve.draining': (sig) => `${sig} received: no new requests, waiting for in-flight ones…`,
  'serve.stopped': 'stopped cleanly',
  'serve.shutdownSlow': (s) => `shutdown took longer than ${s} s; exiting`,
  'serve.shutdownFailed': (m) => `shutdown failed: ${m}`,
  'prune.done': (deleted, kept) => `${deleted} deleted, ${kept} kept`,
  'stdin.empty': 'no password on standard input',
  'only.unavailable': (m) => `module ${m} is not available yet`,
  'backup.done': (id, raw, stored, secs) => `backup done: ${id} (raw ${raw}, stored ${stored}, ${secs} s)`,
  'backup.none': 'no backups yet',
  'alerts.none': 'no alerts',
  'alerts.severity': (s: string) => s,
  'alerts.status': (s: string) => s,
  'backup.window': (from, to, pointInTime) => `restorable window: ${from} — ${to} (UTC${pointInTime ? ', point-in-time' : ''})`,
  'verify.ok': (id, secs) => `backup ${id} verified (${secs} s)`,
  'verify.bad': (id) => `backup ${id} failed verification`,
  'restore.done': (id, target, secs, restoredTo) => `restored backup ${id} into ${target} (data as of ${restoredTo}, ${secs} s)`,
  'restore.safety': (id) => `safety backup taken first: ${id}`,
  'progress.eta': (s) => `about ${s} s left`,
  'progress.step': (step) =>
    ({
      full: 'full backup',
      schema: 'schema backup',
      config: 'config backup',
      logs: 'log backup',
      binlog: 'binlog archive',
      load: 'loading data',
      'replay-binlog': 'replaying binlogs',
    })[step] ?? step,
  'backup.safetyTag': '[safety backup before a restore; never latest]',
  'restore.step': (step) =>
    ({
      'maintenance-on': 'maintenance mode on',
      'safety-backup': 'safety backup',
      load: 'loading data',
      binlogs: 'replaying binlogs',
      switch: 'switching to the restored data',
      catalog: 'rebuilding the catalog',
      'maintenance-off': 'maintenance mode off',
    })[step] ?? step,
};

export function messages(lang: Lang): Catalog {
  return lang === 'en' ? en : (zh as Catalog);
}
