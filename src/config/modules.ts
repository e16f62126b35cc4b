/**
 * The platform's modules (manual §6.5.1: one port each when run alone, all on 8000 together). A
 * module is available once its routes exist; `business` comes with later work.
 */
export const MODULES = ['auth', 'user', 'permission', 'system', 'support', 'business'] as const;
export type ModuleName = (typeof MODULES)[number];

export const MODULE_PORTS: Record<ModuleName, number> = { auth: 8001, user: 8002, permission: 8003, system: 8004, support: 8005, business: 8006 };

export const AVAILABLE_MODULES: readonly ModuleName[] = ['auth', 'user', 'permission', 'system', 'support'];
