/** What a username looks like, in one place for the user module, authentication and the route schemas. */

/**
 * One spelling per username, the same on every backend (issue 9 D9): Unicode NFKC, then lower
 * case; compared byte for byte (the column is binary-collated on MySQL, SQLite compares exactly).
 * Full-width `ｖｉｅｗｅｒ１` therefore IS `viewer1`; `viéwer1` is a different name, and surrounding
 * whitespace is not trimmed: no username can contain it, so `viewer1 ` is simply unknown.
 */
export const normalizeUsername = (s: string) => s.normalize('NFKC').toLowerCase();
/** What a stored (normalised) username looks like; anything else cannot name an account. */
export const USERNAME_RE = /^[a-z0-9][a-z0-9_.-]{2,63}$/;
export const normalizeEmail = (s: string) => s.trim().toLowerCase();
/** What a new username may look like in a request (before normalisation). */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$';
