import { userInfo } from 'node:os';

/** Who performs an action, and from where: the audit log's subject. */
export interface Actor {
  actorId: number | null;
  actor: string;
  ip: string | null;
}

export const systemActor: Actor = { actorId: null, actor: 'system', ip: null };

/** The scheduler face: operations it starts are audited under this actor. */
export const schedulerActor: Actor = { actorId: null, actor: 'scheduler', ip: null };

/** The CLI face: the operating-system account that ran the command (the shell is trusted with the database). */
export function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return { actorId: null, actor: `cli:${name}`.slice(0, 64), ip: null };
}
