import { sql, type RawBuilder } from 'kysely';

/**
 * LIKE patterns that match user text literally on both dialects: `%` and `_` in the text are
 * escaped with `!` (MySQL and SQLite disagree about backslash, so it is not used).
 */
const escapeLike = (text: string) => text.replace(/[!%_]/g, '!$&');

export const containsPattern = (text: string): RawBuilder<string> => sql<string>`${`%${escapeLike(text)}%`} escape '!'`;
export const prefixPattern = (text: string): RawBuilder<string> => sql<string>`${`${escapeLike(text)}%`} escape '!'`;
