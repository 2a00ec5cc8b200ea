/**
 * Database URIs for the local stack (a separate system from the handover: it does not share its code).
 *   mysql://user:pass@host:port/name    sqlite:////absolute/path/name.sqlite
 */
import path from 'node:path';

export type DbLocation =
  | { engine: 'sqlite'; name: string; file: string }
  | { engine: 'mysql'; name: string; host: string; port: number; user?: string; password?: string };

export function locate(uri: string): DbLocation {
  const url = new URL(uri);
  if (url.protocol === 'sqlite:') {
    if (!url.pathname.startsWith('//')) throw new Error(`${safe(uri)}: sqlite URIs need an absolute path (sqlite:////path)`);
    const file = decodeURIComponent(url.pathname.slice(1));
    return { engine: 'sqlite', name: path.basename(file).replace(/\.[^.]*$/, ''), file };
  }
  if (url.protocol === 'mysql:' || url.protocol === 'mysql+pymysql:') {
    const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!name) throw new Error(`${safe(uri)}: names no database`);
    return {
      engine: 'mysql',
      name,
      host: url.hostname,
      port: Number(url.port || 3306),
      user: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
    };
  }
  throw new Error(`${safe(uri)}: unsupported database scheme ${url.protocol}`);
}

/** The URI with its password replaced, for messages and logs. */
export function safe(uri: string): string {
  return uri.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

/** What is wrong with a required URI field of a submission, or undefined. */
export function uriFieldProblem(input: Record<string, unknown>, field: string): string | undefined {
  if (typeof input[field] !== 'string') return `${field} is required`;
  try {
    locate(input[field] as string);
    return undefined;
  } catch (err) {
    return `${field}: ${(err as Error).message}`;
  }
}
