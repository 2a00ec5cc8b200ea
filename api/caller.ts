/**
 * Who is asking: the API key's name and role (api/auth.ts sets it on every request). Without
 * configured keys the API is open (loopback only) and every caller is `anonymous` with every right.
 */
export const ROLES = ['read', 'submit', 'operate', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  name: string;
  role: Role;
  /** False in open mode: nobody was asked who they are. */
  authenticated: boolean;
}

export const ANONYMOUS: Caller = { name: 'anonymous', role: 'admin', authenticated: false };

/** Whether `role` includes the rights of `needed` (each role has the rights of those before it). */
export const hasRole = (role: Role, needed: Role) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}
