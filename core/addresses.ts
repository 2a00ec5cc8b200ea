/**
 * Addresses: which hosts are this machine's loopback, one written form per address, and a host's
 * addresses resolved within a deadline. The handover (staging and source confinement, the API's
 * open mode, the local-stack shape of a configuration) and the stack (its Host check, its listening
 * address, its copy targets) decide these the same way here.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;
// The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
const IPV4_MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
const IPV6_LOOPBACK_LONG = /^(?:0{1,4}:){7}0{0,3}1$/;

/** The address without brackets, lower-cased, an IPv4-mapped IPv6 address as its IPv4 address, `::1` however written. */
export function plainAddress(address: string): string {
  let a = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  const mapped = IPV4_MAPPED.exec(a);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  const hex = IPV4_MAPPED_HEX.exec(a);
  if (hex) a = [parseInt(hex[1], 16) >> 8, parseInt(hex[1], 16) & 255, parseInt(hex[2], 16) >> 8, parseInt(hex[2], 16) & 255].join('.');
  return IPV6_LOOPBACK_LONG.test(a) ? '::1' : a;
}

/** Whether an IP address (any form plainAddress reads) is the loopback: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: string): boolean {
  const a = plainAddress(address);
  return isIP(a) === 4 ? a.startsWith('127.') : a === '::1';
}

/** Whether a host (a name, an address, an IPv6 address in brackets) is this machine's loopback: `localhost` or a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || isLoopbackAddress(h);
}

/** The host a Host header names (`name[:port]`, `[v6][:port]`), a trailing dot dropped; undefined when it is no such header. */
export function hostOfHeader(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::\d{1,5})?$/.exec(header.trim());
  if (!m) return undefined;
  if (m[1] !== undefined) return m[1].includes(':') ? `[${m[1].toLowerCase()}]` : undefined; // brackets hold an IPv6 address only
  return m[2].toLowerCase().replace(/\.$/, '');
}

/**
 * One written form per address, loopback as the single word `loopback`, to compare where two names
 * lead. `loopback: 'network'` takes all of 127.0.0.0/8 as one host (the handover: `127.0.0.2` is the
 * server on `127.0.0.1`); `'exact'` only 127.0.0.1 and ::1 (the stack's copy targets: another loopback
 * address is another listener).
 */
export function canonicalAddress(address: string, loopback: 'network' | 'exact'): string {
  const a = plainAddress(address);
  if (loopback === 'exact') return a === '127.0.0.1' || a === '::1' ? 'loopback' : a;
  return isLoopbackAddress(a) ? 'loopback' : a;
}

/**
 * The addresses `host` resolves to (an address is its own), as the resolver writes them; throws when it
 * does not resolve, resolves to nothing, or takes longer than `timeoutMs` (a slow resolver must not hold
 * a submission).
 */
export async function resolveHost(host: string, timeoutMs: number): Promise<string[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) return [bare];
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(bare, { all: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${bare} did not resolve within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (!found.length) throw new Error(`${bare} resolves to no address`);
    return found.map((f) => f.address);
  } finally {
    clearTimeout(timer);
  }
}
