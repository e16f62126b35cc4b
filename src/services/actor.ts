/** Who performs an action, and from where: the audit log's subject. */
export interface Actor {
  actorId: number | null;
  actor: string;
  ip: string | null;
}

export const systemActor: Actor = { actorId: null, actor: 'system', ip: null };
