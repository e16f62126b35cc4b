import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

/** MCP_ROLES: which process roles `serve` runs; validated at start like every variable. */
describe('MCP_ROLES', () => {
  const problem = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (e) {
      if (e instanceof ConfigError) return `${e.variable}: ${e.problem}`;
      throw e;
    }
    return undefined;
  };

  it('defaults to web, scheduler, relay and watchdog; takes a comma list; MCP_SCHEDULER=false takes the scheduler out', () => {
    expect(loadConfig({}).roles).toEqual(['web', 'scheduler', 'relay', 'watchdog']);
    expect(loadConfig({ MCP_ROLES: ' scheduler , stream,scheduler' }).roles).toEqual(['scheduler', 'stream']);
    expect(loadConfig({ MCP_ROLES: 'web' }).roles).toEqual(['web']);
    expect(loadConfig({ MCP_SCHEDULER: 'false' }).roles).toEqual(['web', 'relay', 'watchdog']);
  });

  it('a bad value is a configuration error naming the variable', () => {
    expect(problem({ MCP_ROLES: 'web,webb' })).toBe('MCP_ROLES: unknown role "webb"; available: web, scheduler, stream, relay, watchdog, monitor');
    expect(loadConfig({ MCP_ROLES: 'monitor' }).roles).toEqual(['monitor']);
    expect(loadConfig({}).roles).not.toContain('monitor'); // HA needs replicas: named explicitly
    expect(loadConfig({ MCP_ROLES: 'web,relay' }).roles).toEqual(['web', 'relay']);
    expect(loadConfig({ MCP_ROLES: 'watchdog' }).roles).toEqual(['watchdog']);
    expect(problem({ MCP_ROLES: ' , ' })).toBe('MCP_ROLES: names no role; available: web, scheduler, stream, relay, watchdog, monitor');
    expect(problem({ MCP_ROLES: 'scheduler', MCP_SCHEDULER: 'false' })).toBe('MCP_ROLES: names no role once MCP_SCHEDULER=false removes the scheduler');
  });

  it('schedule overrides keep their variable names: any MCP_SCHEDULE_<TASK>, a cron pattern or off', () => {
    const c = loadConfig({ MCP_SCHEDULE_BACKUP_FULL: '0 1 * * *', MCP_SCHEDULE_BACKUP_LOGS: 'off' });
    expect(c.schedules.overrides).toEqual({ MCP_SCHEDULE_BACKUP_FULL: '0 1 * * *', MCP_SCHEDULE_BACKUP_LOGS: null });
    expect(problem({ MCP_SCHEDULE_BACKUP_PRUNE: 'daily' })).toMatch(/^MCP_SCHEDULE_BACKUP_PRUNE: must be a cron pattern/);
    expect(loadConfig({ MCP_SCHEDULER: 'false' }).schedules.enabled).toBe(false);
  });

  it('the HA monitor settings: check interval (default 1 s) and consecutive failures (default 5)', () => {
    expect(loadConfig({})).toMatchObject({ haCheckIntervalMs: 1000, haFailures: 5 });
    expect(loadConfig({ MCP_HA_CHECK_INTERVAL_MS: '200', MCP_HA_FAILURES: '3' })).toMatchObject({ haCheckIntervalMs: 200, haFailures: 3 });
    expect(problem({ MCP_HA_FAILURES: '0' })).toMatch(/^MCP_HA_FAILURES: /);
    expect(problem({ MCP_HA_CHECK_INTERVAL_MS: 'soon' })).toMatch(/^MCP_HA_CHECK_INTERVAL_MS: /);
    expect(problem({ MCP_HA_CHECK_INTERVAL_MS: '3000', MCP_HA_FAILURES: '5' })).toMatch(/^MCP_HA_FAILURES: .*lease/);
  });
});
