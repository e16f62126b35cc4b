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
    expect(problem({ MCP_ROLES: 'web,webb' })).toBe('MCP_ROLES: unknown role "webb"; available: web, scheduler, stream, relay, watchdog');
    expect(problem({ MCP_ROLES: 'monitor' })).toBe('MCP_ROLES: role "monitor" is not available yet; available: web, scheduler, stream, relay, watchdog');
    expect(loadConfig({ MCP_ROLES: 'web,relay' }).roles).toEqual(['web', 'relay']);
    expect(loadConfig({ MCP_ROLES: 'watchdog' }).roles).toEqual(['watchdog']);
    expect(problem({ MCP_ROLES: ' , ' })).toBe('MCP_ROLES: names no role; available: web, scheduler, stream, relay, watchdog');
    expect(problem({ MCP_ROLES: 'scheduler', MCP_SCHEDULER: 'false' })).toBe('MCP_ROLES: names no role once MCP_SCHEDULER=false removes the scheduler');
  });

  it('schedule overrides keep their variable names: any MCP_SCHEDULE_<TASK>, a cron pattern or off', () => {
    const c = loadConfig({ MCP_SCHEDULE_BACKUP_FULL: '0 1 * * *', MCP_SCHEDULE_BACKUP_LOGS: 'off' });
    expect(c.schedules.overrides).toEqual({ MCP_SCHEDULE_BACKUP_FULL: '0 1 * * *', MCP_SCHEDULE_BACKUP_LOGS: null });
    expect(problem({ MCP_SCHEDULE_BACKUP_PRUNE: 'daily' })).toMatch(/^MCP_SCHEDULE_BACKUP_PRUNE: must be a cron pattern/);
    expect(loadConfig({ MCP_SCHEDULER: 'false' }).schedules.enabled).toBe(false);
  });
});
