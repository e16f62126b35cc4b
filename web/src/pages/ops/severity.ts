import type { Tone } from '../StateTag';

/** The tag tone of an alert or incident severity (AA-contrast colours). */
export const SEVERITY_TONE: Record<string, Tone> = { critical: 'bad', major: 'warn', minor: 'info' };
