import type { RoleName } from '../../config/config.js';

/**
 * A process role (like Outline's services): one runnable part of the platform, started with
 * exactly the dependencies it uses. A process runs the roles of `MCP_ROLES` (see process.ts);
 * `backup stream` runs the stream role alone.
 */
export interface RunningRole {
  readonly name: RoleName;
  /** Stops the role gracefully; safe to call more than once. */
  stop(): Promise<void>;
  /** Settles when the role has ended (by `stop()`, or by itself). */
  readonly done: Promise<void>;
}
