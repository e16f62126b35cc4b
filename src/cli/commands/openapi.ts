import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../support.js';

/** `openapi [--out FILE]`: the API contract (OpenAPI 3.1) as served at /api/openapi.json, without a server or a database. */
export function registerOpenApi(program: Command, _cli: Cli): void {
  program
    .command('openapi')
    .description('print the API contract (OpenAPI 3.1, as served at /api/openapi.json) without starting a server')
    .option('--out <file>', 'write it to FILE instead of standard output')
    .action(async (o: { out?: string }) => {
      const { buildOpenApiDocument } = await import('../../server/openapiDocument.js');
      const text = `${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`;
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}
