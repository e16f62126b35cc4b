import { createContext, type ReactNode, useContext, useSyncExternalStore } from 'react';
import type { Api } from '../api/client';
import type { SessionState, SessionStore, SessionUser } from '../api/session';
import { can } from './permissions';

interface SessionValue {
  store: SessionStore;
  api: Api;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ store, api, children }: SessionValue & { children: ReactNode }) {
  return <SessionContext.Provider value={{ store, api }}>{children}</SessionContext.Provider>;
}

function useSessionValue(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

export function useSession(): { state: SessionState; store: SessionStore } {
  const { store } = useSessionValue();
  const state = useSyncExternalStore(store.subscribe, store.getState);
  return { state, store };
}

export function useApi(): Api {
  return useSessionValue().api;
}

export function useUser(): SessionUser | null {
  const { state } = useSession();
  return state.status === 'authenticated' ? state.user : null;
}

/** `can(permission)` for the signed-in user. */
export function useCan(): (permission: string | undefined) => boolean {
  const user = useUser();
  return (permission) => can(user, permission);
}

/** Renders its children only when the signed-in user holds `permission`. */
export function Can({ permission, children }: { permission: string; children: ReactNode }) {
  return useCan()(permission) ? children : null;
}
