import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/appError.js';
import { checkResolve, checkTransition, isOpen, STATUSES, TRANSITIONS } from '../../../src/ops/incidents/lifecycle.js';

/** The §4.1 table: exactly the legal transitions pass, every other pair is a 409 naming the allowed next states. */
describe('incident lifecycle (manual §4.1)', () => {
  const legal = new Set([
    'detected>notified',
    'detected>confirmed',
    'notified>confirmed',
    'confirmed>classified',
    'classified>remediating',
    'remediating>verifying',
    'verifying>recovered',
    'verifying>remediating',
    'recovered>postmortem',
  ]);

  it('the table holds exactly the §4.1 steps', () => {
    const table = STATUSES.flatMap((from) => TRANSITIONS[from].map((to) => `${from}>${to}`));
    expect(new Set(table)).toEqual(legal);
  });

  for (const from of STATUSES)
    for (const to of STATUSES) {
      const ok = legal.has(`${from}>${to}`);
      it(`${from} → ${to} is ${ok ? 'allowed' : 'refused'}`, () => {
        if (ok) expect(() => checkTransition(from, to)).not.toThrow();
        else {
          let err: unknown;
          try {
            checkTransition(from, to);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).status).toBe(409);
          expect((err as AppError).details).toEqual({ from, to, allowed: [...TRANSITIONS[from]] });
        }
      });
    }

  it('resolve is allowed from every open state and refused once recovered', () => {
    const open = STATUSES.filter(isOpen);
    expect(open).toEqual(['detected', 'notified', 'confirmed', 'classified', 'remediating', 'verifying']);
    for (const s of open) expect(() => checkResolve(s)).not.toThrow();
    for (const s of ['recovered', 'postmortem'] as const) expect(() => checkResolve(s)).toThrow(/already resolved/);
  });
});
