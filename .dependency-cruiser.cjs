/**
 * Import boundaries (docs/ARCHITECTURE.md "Shape"): dependencies point down —
 * entries (src/cli, src/server, src/app/roles) → wiring (src/app) → ops → services/observability →
 * infra → config. Run: `npm run lint:imports`; test/architecture/boundaries.test.ts runs the same
 * rules in the test suite. Type-only imports count: a type from a layer above is an upward arrow too.
 */
/** The core: everything below the wiring and the entry points. */
const CORE = '^src/(infra|config|observability|services|ops|errors|i18n)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-entry-or-wiring',
      severity: 'error',
      comment: 'The core (infra, config, observability, services, ops, errors, i18n) never imports the HTTP layer, the CLI or the wiring: they are built on it.',
      from: { path: CORE },
      to: { path: '^src/(server|cli|app)/' },
    },
    {
      name: 'infra-imports-above',
      severity: 'error',
      comment:
        'Adapters know nothing above them: no observability (tracing wraps them in the wiring), services or ops.',
      from: { path: '^src/infra/' },
      to: { path: ['^src/(observability|services|ops)/', '@opentelemetry/'] },
    },
    {
      name: 'wiring-imports-entry',
      severity: 'error',
      comment: 'The wiring (src/app) sits below the entry points: it imports neither the HTTP server, the CLI nor the process roles.',
      from: { path: '^src/app/', pathNot: '^src/app/roles/' },
      to: { path: '^src/(server|cli|app/roles)/' },
    },
    {
      name: 'server-imports-cli',
      severity: 'error',
      comment: 'The HTTP server does not import the CLI.',
      from: { path: '^src/server/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
