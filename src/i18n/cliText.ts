import type { Lang } from './messages.js';

/**
 * The CLI's help texts and the translation of its error and check lines, so one run speaks one
 * language (`--lang` / `MCP_LANG`, zh-CN by default). The English texts live beside the commands in
 * src/cli/main.ts; this table gives their zh-CN text by command path (`backup full`), option
 * (`serve --only`) or argument (`restore <id>`). Anything missing stays English (add it here).
 * JSON output is never translated: its keys and codes are stable English.
 */
export const HELP_ZH: Record<string, string> = {
  '': '企业级AI综合管理平台：平台服务与运维工具',
  '--lang': '界面语言',
  '--json': '输出机器可读的 JSON',
  '--version': '显示版本号',
  '--help': '显示帮助',
  help: '显示某个命令的帮助',
  serve: '运行平台（全部模块在 8000 端口，或单个模块在 8001–8006 端口）',
  'serve --only': '只运行一个模块',
  'serve --port': '监听端口',
  migrate: '创建或升级数据库结构',
  openapi: '输出 API 契约（OpenAPI 3.1，与 /api/openapi.json 相同），无需启动服务',
  'openapi --out': '写入文件而不是标准输出',
  admin: '管理员账号',
  'admin create': '创建管理员；未使用 --password-stdin 时输出一次性密码',
  'admin create --username': '用户名',
  'admin create --password-stdin': '从标准输入读取密码，而不是生成一次性密码',
  'admin reset-password': '设置新密码（未使用 --password-stdin 时为一次性密码），解锁账号并结束其全部会话',
  'admin reset-password --username': '用户名',
  'admin reset-password --password-stdin': '从标准输入读取密码，而不是生成一次性密码',
  audit: '审计日志',
  'audit verify': '校验审计日志哈希链；有记录被修改或删除时退出码为 1',
  backup: '备份（运维文档 §5、§6.2）',
  'backup full': '立即全量备份平台数据库',
  'backup schema': '立即备份数据库结构（不含数据）',
  'backup config': '归档平台的有效配置（已去除密钥）和配置文件（MCP_BACKUP_CONFIG_PATHS）',
  'backup logs': '归档日志目录（MCP_LOG_DIR）',
  'backup stream': '持续从服务器流式获取二进制日志（守护进程；MySQL/MariaDB）',
  'backup stream --spool': '活动 binlog 在轮转前的存放目录（默认 <数据目录>/binlog-spool）',
  'backup stream --server-id': '流复制使用的 server id（默认：固定的随机值）',
  'backup stream --metrics-port': '在此端口提供 Prometheus 指标（mcp_backup_stream_*）',
  'backup list': '备份目录：每个备份、其状态以及可恢复时间窗口',
  'backup verify': '校验和、解密、恢复到临时数据库并检查（备份 ID 或 "latest"）',
  'backup rebuild-catalog': '根据存储中的清单重建备份目录',
  'backup incremental': '轮转二进制日志并归档所有尚未归档的已关闭 binlog（MySQL/MariaDB）',
  'backup prune': '删除超过保留期的备份，且绝不破坏恢复链',
  'backup prune --dry-run': '只显示将删除的备份，不删除',
  restore: '恢复备份（备份 ID 或 "latest"）；只有使用 --force 才会恢复到在用数据库',
  'restore <id>': '备份 ID 或 "latest"',
  'restore --to': '时间点 "YYYY-MM-DD HH:mm:ss"（UTC）',
  'restore --target-db': '恢复到此数据库，而不是在用数据库',
  'restore --force': '替换在用数据库（先做一次安全备份）或非空的目标数据库',
  alerts: '告警（运维文档 §3；由 Alertmanager 推送）',
  'alerts list': '列出告警：当前状态、级别与开始/恢复时间',
  'alerts list --status': '只显示此状态的告警（firing 告警中 / resolved 已恢复）',
  'alerts list --severity': '只显示此级别的告警（critical 紧急 / major 重要 / minor 一般）',
  incidents: '故障事件（运维文档 §4）',
  'incidents list': '故障事件列表（最新在前），并按级别显示平均确认用时（MTTA）与平均恢复用时（MTTR）',
  'incidents list --status': '只显示此状态（open 表示未恢复）',
  'incidents list --severity': '只显示此级别（critical、major、minor）',
  'incidents show': '查看故障事件：状态、时间线、处理清单与建议命令',
  'incidents show <id>': '故障事件 ID',
  'incidents ack': '确认故障事件',
  'incidents ack <id>': '故障事件 ID',
  'incidents ack --note': '写入时间线的备注',
  'incidents resolve': '将故障事件标记为已恢复（任何未恢复状态均可；需要 --yes）',
  'incidents resolve <id>': '故障事件 ID',
  'incidents resolve --yes': '确认故障已结束',
  'incidents resolve --note': '写入时间线的备注',
  'incidents postmortem': '编写（或打印）已恢复故障事件的复盘报告（Markdown）',
  'incidents postmortem <id>': '故障事件 ID',
  'incidents postmortem --impact': '影响',
  'incidents postmortem --causes': '原因分析',
  'incidents postmortem --actions': '改进措施',
  notify: '通知渠道（运维文档 §3）',
  'notify test': '发送一条测试通知',
  'notify outbox': '通知记录（最新在前）：状态、渠道、尝试次数（--status dead 为投递失败的死信）',
  'notify outbox --status': '只显示此状态（pending、queued、sending、sent、merged、cancelled、dead）',
  'notify outbox --limit': '最多显示条数（1-1000，默认 100）',
  'notify show': '查看一条通知及其每次投递尝试',
  'notify show <id>': '通知 ID',
  'notify retry': '重新发送一条投递失败（dead）的通知（先修复其渠道）',
  'notify retry <id>': '通知 ID',
  'alerts ack': '确认告警：其当前这一轮不再发送通知，也不再升级',
  'alerts ack <fingerprint>': '告警指纹（见 alerts list --json）',
  'notify test --channel': '渠道名称：内置的 email（MCP_SMTP_URL）、log（应用日志），或已保存的渠道',
  'notify channels': '通知渠道配置',
  'notify channels list': '列出已保存的通知渠道（密钥不显示）',
  'notify channels add': '添加通知渠道；配置（含密钥）从文件读取，绝不从命令行参数读取',
  'notify channels add <name>': '渠道名称（a-z、0-9、-）',
  'notify channels add --type': '渠道类型',
  'notify channels add --config-file': 'JSON 配置文件（含密钥）',
  'notify channels add --disabled': '添加但不启用',
  'notify channels remove': '删除通知渠道',
  'notify channels remove <name>': '渠道名称',
  'notify routes': '按告警级别的通知路由',
  'notify routes list': '列出每个级别的通知路由（未配置时为运维文档 §3.1 的默认路由）',
  'notify routes set': '设置某个级别的通知路由',
  'notify routes set <severity>': '告警级别：critical 紧急 / major 重要 / minor 一般',
  'notify routes set --channels': '渠道名称，逗号分隔',
  'notify routes set --groups': '值班组名称，逗号分隔',
  'notify routes set --escalate-after': '未确认时再次通知的等待时间（如 10m）',
  'notify routes set --escalate-max': '最多再次通知的次数',
  'notify contacts': '联系人',
  'notify contacts list': '列出联系人',
  'notify contacts add': '添加联系人（邮箱和/或手机号）',
  'notify contacts add <name>': '联系人名称',
  'notify contacts add --email': '邮箱地址',
  'notify contacts add --phone': '手机号（如 +8613800138000）',
  'notify groups': '值班组',
  'notify groups list': '列出值班组及其成员',
  'notify groups add': '添加值班组',
  'notify groups add <name>': '值班组名称（a-z、0-9、-）',
  'notify groups add --members': '联系人名称，逗号分隔',
  'alerts silence': '告警静默与维护窗口',
  'alerts silence add': '添加静默（按标签匹配）或维护窗口（--maintenance，可匹配全部告警）',
  'alerts silence add --match': '标签匹配：name=value，或 name=~正则；可重复',
  'alerts silence add --duration': '持续时间（如 2h、30m、1d；静默最长 30 天）',
  'alerts silence add --starts-at': '开始时间（ISO 8601，默认现在）',
  'alerts silence add --comment': '原因（谁在处理什么）',
  'alerts silence add --maintenance': '维护窗口：不加 --match 时静默全部告警',
  'alerts silence list': '列出未结束的静默与维护窗口',
  'alerts silence list --all': '包括已结束的',
  'alerts silence expire': '立即结束一个静默',
  'alerts silence expire <id>': '静默 ID',
  db: '数据库主从（运维文档 §6.3、§6.5）',
  'db status': '主从拓扑与复制状态：各服务器角色、复制线程、延迟（秒与 GTID 事务数）、错误事务、半同步',
  'db switchover': '计划内主从切换：旧主库只读并断开客户端连接，等待目标从库应用全部事务后提升，其余从库改指向新主库，旧主库降为从库',
  'db switchover --to': '要提升为主库的从库 HOST:PORT',
  'db switchover --timeout': '等待目标从库追平的秒数（超时则放弃切换并恢复旧主库可写），默认 30',
  'db failover': '手动故障转移（主库已宕机时）：提升从库（默认为最新的无错误事务从库），其余从库改指向新主库，旧主库恢复后设为只读从库',
  'db failover --to': '要提升为主库的从库 HOST:PORT',
  'db failover --confirm': '必须：故障转移会在没有原主库的情况下提升从库',
  ha: '高可用：故障转移监控（手册 §6.5.2）',
  'ha monitor': '前台运行 HA 监控：检查主库，连续 MCP_HA_FAILURES 次失败且从库也失去主库时自动故障转移',
  'ha status': 'HA 监控（租约持有者）、故障转移锁定、上次故障转移、主库半同步状态',
  'ha ack': '确认上次故障转移：解除防抖锁定，允许再次自动故障转移',
};

/** Headings of commander's help. */
export const HELP_TITLES_ZH: Record<string, string> = {
  'Usage:': '用法：',
  'Options:': '选项：',
  'Commands:': '命令：',
  'Arguments:': '参数：',
  'Global Options:': '全局选项：',
};

type Rule = [RegExp, string];

/** commander's own usage errors (`error: unknown command 'x'` …). */
const COMMANDER_ZH: Rule[] = [
  [/^error: unknown command '(.+?)'/, "错误: 未知命令 '$1'"],
  [/^error: unknown option '(.+?)'/, "错误: 未知选项 '$1'"],
  [/^error: missing required argument '(.+?)'/, "错误: 缺少必需的参数 '$1'"],
  [/^error: option '(.+?)' argument missing/, "错误: 选项 '$1' 缺少取值"],
  [/^error: required option '(.+?)' not specified/, "错误: 必须指定选项 '$1'"],
  [/^error: option '(.+?)' argument '(.+?)' is invalid\. Allowed choices are (.+?)\./, "错误: 选项 '$1' 的取值 '$2' 无效，可选值：$3。"],
  [/^error: too many arguments for '(.+?)'\. Expected (\d+) arguments? but got (\d+)\./, "错误: 命令 '$1' 的参数过多：应为 $2 个，实际 $3 个。"],
  [/^error: too many arguments\. Expected (\d+) arguments? but got (\d+)\./, '错误: 参数过多：应为 $1 个，实际 $2 个。'],
  [/\(Did you mean (.+?)\?\)/, '（是否想输入 $1？）'],
];

/** Problems of a configuration variable (ConfigError.problem). */
const CONFIG_ZH: Rule[] = [
  [/^(\d+) checks every (\d+) ms take more than 10 s; the monitor's lease \(15 s\) would lapse first$/, '$1 次检查、每 $2 毫秒一次，共超过 10 秒；HA 监控的租约（15 秒）会先失效'],
  [/^must be an integer, got "(.*)"$/s, '必须是整数，实际为 "$1"'],
  [/^must be between (\S+) and (\S+), got (\S+)$/, '必须在 $1 到 $2 之间，实际为 $3'],
  [/^must be one of (.+), got "(.*)"$/s, '必须是 $1 之一，实际为 "$2"'],
  [/^must be true or false, got "(.*)"$/s, '必须是 true 或 false，实际为 "$1"'],
  [/^must start with (.+), got "(.*)"$/s, '必须以 $1 开头，实际为 "$2"'],
  [/^must be at least (\d+) characters long$/, '长度至少为 $1 个字符'],
  [/^must be (\d+) to (\d+) characters long$/, '长度必须为 $1 到 $2 个字符'],
  [/^secret file (.+) does not exist$/, '密钥文件 $1 不存在'],
  [/^secret file (.+) is readable by group or others \(mode (\d+)\); chmod 600 it$/, '密钥文件 $1 可被同组或其他用户读取（权限 $2），请执行 chmod 600'],
  [/^set both (\S+) and (\S+); choose one$/, '同时设置了 $1 和 $2，只能选择一个'],
  [/^unknown (.+); allowed: (.+)$/, '未知的 $1；可选：$2'],
  [/^is not a valid URL: "(.*)"$/, '不是有效的 URL："$1"'],
  [/^has no host$/, '缺少主机名'],
  [/^names no database \((.+)\)$/, '未指定数据库（$1）'],
  [/^role "(.+)" is not available yet; available: (.+)$/, '角色 "$1" 尚未提供；可用角色：$2'],
  [/^unknown role "(.+)"; available: (.+)$/, '未知的角色 "$1"；可用角色：$2'],
  [/^names no role; available: (.+)$/, '未指定任何角色；可用角色：$1'],
  [/^names no role once MCP_SCHEDULER=false removes the scheduler$/, 'MCP_SCHEDULER=false 去掉 scheduler 后没有剩下任何角色'],
];

/** Operation errors (AppError messages) the CLI meets most. */
const ERROR_ZH: Rule[] = [
  [/^user "?(.+?)"? not found$/, '用户 $1 不存在'],
  [/^role "?(.+?)"? not found$/, '角色 $1 不存在'],
  [/^backup "?(.+?)"? not found$/, '备份 $1 不存在'],
  [/^complete full backup not found$/, '没有完整的全量备份'],
  [/^job (.+) not found$/, '任务 $1 不存在'],
  [/^user "(.+)" already exists; use admin reset-password$/, '用户 "$1" 已存在；请使用 admin reset-password'],
  [/^role "(.+)" already exists$/, '角色 "$1" 已存在'],
  [/^no password on standard input$/, '标准输入中没有密码'],
  [/^restore needs a backup id or "latest" \(or: restore test\)$/, '恢复需要备份 ID 或 "latest"（或：restore test）'],
  [/^--to: "(.*)" is not a time "YYYY-MM-DD HH:mm:ss" \(UTC\)$/, '--to："$1" 不是 "YYYY-MM-DD HH:mm:ss"（UTC）格式的时间'],
];

/** What an error code means, for errors without a translation of their own: `冲突 — <English detail>`. */
const CODE_ZH: Record<string, string> = {
  INVALID: '无效的请求',
  UNAUTHORIZED: '未认证',
  FORBIDDEN: '没有权限',
  PASSWORD_CHANGE_REQUIRED: '必须先修改密码',
  NOT_FOUND: '不存在',
  CONFLICT: '冲突',
  PAYLOAD_TOO_LARGE: '数据过大',
  UNSUPPORTED_MEDIA_TYPE: '不支持的数据类型',
  RATE_LIMITED: '请求过于频繁',
  LOCKED: '账号已锁定',
  UNAVAILABLE: '服务不可用',
  MAINTENANCE: '维护模式',
  INTERNAL: '内部错误',
};

/** Check lines of `backup verify` / `restore test` (the check names are stable keys and stay as they are). */
const CHECK_ZH: Rule[] = [
  [/^SHA-256 (\S+) matches the manifest$/, 'SHA-256 $1 与清单一致'],
  [/^key (\S+), every chunk authenticated$/, '密钥 $1，每个数据块均通过认证'],
  [/^(\d+) tables restored$/, '已恢复 $1 张表'],
  [/^missing: (.+)$/, '缺少：$1'],
  [/^(\d+) rows$/, '$1 行'],
];

function apply(rules: Rule[], text: string): string | undefined {
  for (const [re, to] of rules) if (re.test(text)) return text.replace(re, to);
  return undefined;
}

/** commander's error output in the run's language (it writes English). */
export function translateCommanderError(text: string, lang: Lang): string {
  if (lang === 'en') return text;
  const [first = '', ...rest] = text.split('\n');
  return [apply(COMMANDER_ZH, first) ?? first.replace(/^error:/, '错误:'), ...rest.map((l) => apply(COMMANDER_ZH, l) ?? l)].join('\n');
}

export function translateConfigProblem(problem: string, lang: Lang): string {
  return lang === 'en' ? problem : (apply(CONFIG_ZH, problem) ?? problem);
}

/** An operation error's one line: its own translation, else the meaning of its code with the English detail. */
export function translateError(message: string, code: string | undefined, lang: Lang): string {
  if (lang === 'en') return message;
  const own = apply(ERROR_ZH, message);
  if (own) return own;
  const label = code ? CODE_ZH[code] : undefined;
  return label ? `${label} — ${message}` : message;
}

export function translateCheck(detail: string, lang: Lang): string {
  return lang === 'en' ? detail : (apply(CHECK_ZH, detail) ?? detail);
}

/** Result lines of `notify channels|routes|contacts|groups` and `alerts silence` (issue 11). */
export const NOTIFY_CLI_TEXT = {
  'zh-CN': {
    channelAdded: (name: string, type: string) => `已添加通知渠道 ${name}（类型：${type}）`,
    channelRemoved: (name: string) => `已删除通知渠道 ${name}`,
    noChannels: '暂无已保存的通知渠道',
    enabled: (on: boolean) => (on ? '启用' : '停用'),
    secrets: (names: string[]) => (names.length ? `密钥已设置：${names.join(', ')}` : '无密钥'),
    unreadable: '密钥无法解密（MCP_NOTIFY_KEY 已更改？请重新设置）',
    routeSet: (severity: string) => `已设置 ${severity} 级别的通知路由`,
    route: (severity: string, source: string, channels: string, groups: string) =>
      `${severity}  ${source === 'default' ? '默认' : '已配置'}  渠道：${channels || '-'}  值班组：${groups || '（全部联系人）'}`,
    contactAdded: (name: string, id: number) => `已添加联系人 ${name}（ID ${id}）`,
    noContacts: '暂无联系人',
    groupAdded: (name: string) => `已添加值班组 ${name}`,
    noGroups: '暂无值班组',
    silenceAdded: (id: number, until: string) => `已添加静默 #${id}，至 ${until}`,
    silenceExpired: (id: number) => `已结束静默 #${id}`,
    noSilences: '暂无静默',
    kind: (k: string) => (k === 'maintenance' ? '维护窗口' : '静默'),
    state: (s: string) => ({ pending: '未开始', active: '生效中', expired: '已结束' })[s] ?? s,
    everything: '（全部告警）',
  },
  en: {
    channelAdded: (name: string, type: string) => `notification channel ${name} added (type ${type})`,
    channelRemoved: (name: string) => `notification channel ${name} removed`,
    noChannels: 'no stored notification channels',
    enabled: (on: boolean) => (on ? 'enabled' : 'disabled'),
    secrets: (names: string[]) => (names.length ? `secrets set: ${names.join(', ')}` : 'no secrets'),
    unreadable: 'secrets cannot be decrypted (MCP_NOTIFY_KEY changed? set them again)',
    routeSet: (severity: string) => `route of ${severity} set`,
    route: (severity: string, source: string, channels: string, groups: string) => `${severity}  ${source}  channels: ${channels || '-'}  groups: ${groups || '(every contact)'}`,
    contactAdded: (name: string, id: number) => `contact ${name} added (id ${id})`,
    noContacts: 'no contacts',
    groupAdded: (name: string) => `group ${name} added`,
    noGroups: 'no groups',
    silenceAdded: (id: number, until: string) => `silence #${id} added, until ${until}`,
    silenceExpired: (id: number) => `silence #${id} expired`,
    noSilences: 'no silences',
    kind: (k: string) => k,
    state: (s: string) => s,
    everything: '(every alert)',
  },
} as const;

/** `db status` and `db switchover` (issue 12). */
export const DB_CLI_TEXT = {
  'zh-CN': {
    header: ['服务器', '配置角色', '实际角色', '只读', '复制来源', 'IO', 'SQL', '延迟(秒)', '落后事务', '错误事务', '半同步'],
    role: (r: string) => ({ primary: '主库', replica: '从库', 'read-only': '只读(无复制)', unknown: '未知' })[r] ?? r,
    configured: (c: string) => (c === 'primary' ? '主库' : '从库'),
    yesNo: (b: boolean | undefined) => (b === undefined ? '-' : b ? '是' : '否'),
    ioState: (s: string) => ({ Yes: '是', No: '否', Connecting: '连接中', Preparing: '准备中' })[s] ?? s,
    unreachable: (why: string) => `无法连接：${why}`,
    primary: (p: string | null) => (p ? `主库：${p}` : '主库：无（没有可写的服务器）'),
    splitBrain: '警告：多个服务器可写（脑裂），请人工确认主库',
    epoch: (e: number | null) => `拓扑版本：${e ?? '未发布'}`,
    switched: (from: string, to: string, ms: number, epoch: number) => `主从切换完成：${from} → ${to}，写入不可用 ${ms} ms，拓扑版本 ${epoch}`,
    step: (step: string, server: string, ms: number, ok: boolean, detail: string) => `  ${ok ? '✓' : '✗'} ${step} ${server} ${ms} ms ${detail}`.trimEnd(),
    warning: (w: string) => `  需处理：${w}`,
  },
  en: {
    header: ['server', 'configured', 'role', 'read-only', 'source', 'IO', 'SQL', 'lag (s)', 'GTIDs behind', 'errant GTIDs', 'semi-sync'],
    role: (r: string) => r,
    configured: (c: string) => c,
    yesNo: (b: boolean | undefined) => (b === undefined ? '-' : b ? 'yes' : 'no'),
    ioState: (s: string) => s,
    unreachable: (why: string) => `unreachable: ${why}`,
    primary: (p: string | null) => (p ? `primary: ${p}` : 'primary: none (no writable server)'),
    splitBrain: 'WARNING: several servers are writable (split brain); a person must decide the primary',
    epoch: (e: number | null) => `topology epoch: ${e ?? 'not published'}`,
    switched: (from: string, to: string, ms: number, epoch: number) => `switchover done: ${from} → ${to}, writes unavailable ${ms} ms, topology epoch ${epoch}`,
    step: (step: string, server: string, ms: number, ok: boolean, detail: string) => `  ${ok ? 'ok' : 'FAILED'} ${step} ${server} ${ms} ms ${detail}`.trimEnd(),
    warning: (w: string) => `  to do: ${w}`,
  },
} as const;

/** `ha status|ack|monitor` and `db failover` (issue 12 item 4). */
export const HA_CLI_TEXT = {
  'zh-CN': {
    monitor: (holder: string | null) => `HA 监控：${holder ? `运行中（租约持有者 ${holder}）` : '未运行（无租约持有者）'}`,
    primary: (p: string | null, epoch: number | null) => `已发布主库：${p ?? '未发布'}（拓扑版本 ${epoch ?? '-'}）`,
    blocked: (since: string | null) => (since ? `自动故障转移：已锁定（自 ${since}，故障转移后需执行 ha ack 确认）` : '自动故障转移：可用'),
    lastFailover: (f: { from: string; to: string; at: string } | null) => (f ? `上次故障转移：${f.from} → ${f.to}（${f.at}）` : '上次故障转移：无'),
    semiSync: (s: { enabled: boolean; active: boolean | null } | null) =>
      s === null
        ? '半同步复制：不支持或无法读取'
        : !s.enabled
          ? '半同步复制：未启用（异步）'
          : s.active === false
            ? '半同步复制：已启用，但已降级为异步'
            : '半同步复制：已启用，运行中',
    acked: (epoch: number | null) => (epoch === null ? '没有需要确认的故障转移' : `已确认拓扑版本 ${epoch} 的故障转移，自动故障转移已解除锁定`),
    failedOver: (from: string, to: string, epoch: number, fenced: boolean) =>
      `故障转移完成：${from} → ${to}，拓扑版本 ${epoch}${fenced ? '，原主库已设为只读从库' : '，原主库无法连接（HA 监控会在其恢复后将其设为只读从库）'}`,
    needConfirm: '故障转移会在没有原主库的情况下提升从库：请加 --confirm 确认',
    step: (step: string, server: string, ms: number, ok: boolean, detail: string) => `  ${ok ? '✓' : '✗'} ${step} ${server} ${ms} ms ${detail}`.trimEnd(),
    warning: (w: string) => `  需处理：${w}`,
  },
  en: {
    monitor: (holder: string | null) => `HA monitor: ${holder ? `running (lease held by ${holder})` : 'not running (nobody holds the lease)'}`,
    primary: (p: string | null, epoch: number | null) => `published primary: ${p ?? 'none'} (topology epoch ${epoch ?? '-'})`,
    blocked: (since: string | null) => (since ? `automatic failover: blocked since ${since} (acknowledge the last failover with ha ack)` : 'automatic failover: armed'),
    lastFailover: (f: { from: string; to: string; at: string } | null) => (f ? `last failover: ${f.from} → ${f.to} (${f.at})` : 'last failover: none'),
    semiSync: (s: { enabled: boolean; active: boolean | null } | null) =>
      s === null
        ? 'semi-sync replication: not supported or unreadable'
        : !s.enabled
          ? 'semi-sync replication: off (asynchronous)'
          : s.active === false
            ? 'semi-sync replication: on, but fell back to asynchronous'
            : 'semi-sync replication: on, active',
    acked: (epoch: number | null) => (epoch === null ? 'no failover to acknowledge' : `failover of topology epoch ${epoch} acknowledged; automatic failover armed again`),
    failedOver: (from: string, to: string, epoch: number, fenced: boolean) =>
      `failover done: ${from} → ${to}, topology epoch ${epoch}${fenced ? ', old primary read-only and a replica' : ', old primary unreachable (the HA monitor fences it when it returns)'}`,
    needConfirm: 'a failover promotes a replica without the old primary: add --confirm',
    step: (step: string, server: string, ms: number, ok: boolean, detail: string) => `  ${ok ? 'ok' : 'FAILED'} ${step} ${server} ${ms} ms ${detail}`.trimEnd(),
    warning: (w: string) => `  to do: ${w}`,
  },
} as const;

/** `drill failover` (issue 12 item 11; manual §6.7.2). */
export const DRILL_CLI_TEXT = {
  'zh-CN': {
    title: (from: string, to: string, ok: boolean) => `故障切换演练：${from} → ${to} → ${from}，${ok ? '通过' : '未通过'}`,
    leg: (from: string, to: string, ok: boolean, probeMs: number | null, switchMs: number | null, error: string) =>
      `  ${ok ? '✓' : '✗'} ${from} → ${to}：写入中断 ${probeMs ?? '-'} ms（切换本身 ${switchMs ?? '-'} ms）${error ? ` ${error}` : ''}`,
    probe: (acked: number, found: number, lost: number) => `探测写入：已确认 ${acked} 条，切换后找到 ${found} 条，丢失 ${lost} 条`,
    checklist: '演练检查清单（手册 §6.7.2 故障切换演练）：',
    check: (item: string, done: boolean, detail: string) => `  [${done ? 'x' : ' '}] ${item}${detail ? `：${detail}` : ''}`,
    file: (path: string) => `演练报告：${path}`,
  },
  en: {
    title: (from: string, to: string, ok: boolean) => `failover drill: ${from} → ${to} → ${from}, ${ok ? 'passed' : 'FAILED'}`,
    leg: (from: string, to: string, ok: boolean, probeMs: number | null, switchMs: number | null, error: string) =>
      `  ${ok ? 'ok' : 'FAILED'} ${from} → ${to}: writes unavailable ${probeMs ?? '-'} ms (switchover itself ${switchMs ?? '-'} ms)${error ? ` ${error}` : ''}`,
    probe: (acked: number, found: number, lost: number) => `probe writes: ${acked} acknowledged, ${found} found afterwards, ${lost} lost`,
    checklist: 'drill checklist (manual §6.7.2 failover drill):',
    check: (item: string, done: boolean, detail: string) => `  [${done ? 'x' : ' '}] ${item}${detail ? `: ${detail}` : ''}`,
    file: (path: string) => `drill report: ${path}`,
  },
} as const;

Object.assign(HELP_ZH, {
  drill: '演练（手册 §6.7）',
  'drill failover': '故障切换演练：在探测写入下切换到从库再切回，测量写入中断时间，按手册 §6.7.2 检查清单生成报告',
  'drill failover --to': '切换目标从库 HOST:PORT（默认第一个无错误事务的从库）',
});
