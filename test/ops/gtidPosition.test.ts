import { describe, expect, it } from 'vitest';
import { covers, formatGtidPosition, goesBeyond, mergePositions, missingRange, parseGtidPosition } from '../../src/ops/backup/gtidPosition.js';

/**
 * GTID positions as the backup chain joins servers' binlogs by them: a Gtid_list as MariaDB prints
 * it (one GTID per domain and server), reduced to the newest GTID per domain.
 */
describe('GTID positions', () => {
  it('a Gtid_list with two servers in one domain is the newest GTID of the domain', () => {
    expect(formatGtidPosition(parseGtidPosition('[0-101-9,\n 0-102-12]'))).toBe('0-102-12');
    expect(formatGtidPosition(parseGtidPosition('1-3-4, 0-1-5'))).toBe('0-1-5,1-3-4');
    expect(formatGtidPosition(parseGtidPosition(''))).toBe('');
  });

  it('a file follows on without a hole only when its Gtid_list is already reached', () => {
    const applied = parseGtidPosition('0-101-108');
    expect(covers(applied, parseGtidPosition(''))).toBe(true);
    expect(covers(applied, parseGtidPosition('0-102-108'))).toBe(true); // same sequence, another server (after a switchover)
    expect(covers(applied, parseGtidPosition('0-102-109'))).toBe(false);
    expect(covers(applied, parseGtidPosition('0-101-100,1-5-1'))).toBe(false); // a domain never applied
    expect(goesBeyond(parseGtidPosition('0-102-123'), applied)).toBe(true);
    expect(goesBeyond(parseGtidPosition('0-101-108'), applied)).toBe(false);
    expect(formatGtidPosition(mergePositions(applied, parseGtidPosition('0-102-123,1-5-2')))).toBe('0-102-123,1-5-2');
  });

  it('names the missing range for the error message', () => {
    expect(missingRange(parseGtidPosition('0-101-7'), parseGtidPosition('0-102-11'))).toBe('0-*-8..0-102-11');
    expect(missingRange(parseGtidPosition('0-101-7'), parseGtidPosition('0-102-8'))).toBe('0-102-8');
    expect(missingRange(parseGtidPosition('0-101-7'), parseGtidPosition('0-101-5,1-3-2'))).toBe('1-*-1..1-3-2');
  });
});
