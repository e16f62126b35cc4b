import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The package's root: the directory holding package.json, two levels above this file both in
 * src/server (tsx, tests) and in dist/server (the build). The console (web/dist) and the version
 * are found from here, wherever the process was started.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
