/**
 * Sealing (core/secrets.ts) and the two formats on top of it, which stay as they are on the wire: the
 * handover's bound `sealed:v2:` (common/secrets.ts) and the stack's unbound `v1:` (services/jobs/secrets.ts).
 */
import { createSealer } from '../../common/secrets';
import { SEALED_OVERHEAD, openBytes, scryptKey, sealBytes, sha256Key } from '../../core/secrets';
import { createSealer as createStackSealer } from '../../services/jobs/secrets';

test('core: a round trip, a fresh IV each time, and neither another key nor other associated data opens it', () => {
  const key = sha256Key('a-key-of-sixteen-chars');
  const aad = Buffer.from('bound');
  const raw = sealBytes(key, 'Secret99', aad);
  expect(raw.length).toBe(SEALED_OVERHEAD + 'Secret99'.length);
  expect(sealBytes(key, 'Secret99', aad).equals(raw)).toBe(false);
  expect(openBytes(key, raw, aad)).toBe('Secret99');
  expect(() => openBytes(sha256Key('another-key-of-16-chars'), raw, aad)).toThrow();
  expect(() => openBytes(key, raw, Buffer.from('other'))).toThrow();
  expect(() => openBytes(key, raw)).toThrow();
  expect(openBytes(key, sealBytes(key, 'unbound'))).toBe('unbound');
});

test('sealing: round trip, no plain text inside, a wrong key says what to fix', () => {
  const sealer = createSealer('a-key-of-sixteen-chars');
  const binding = { token: 'tok-1', uri: 'mysql://u@h:3306/db' };
  const sealed = sealer.seal('mysql://u:Secret99@h/db', binding);
  expect(sealed).not.toContain('Secret99');
  expect(Buffer.from(sealed.replace('sealed:v2:', ''), 'base64url').toString('latin1')).not.toContain('Secret99');
  expect(sealer.unseal(sealed, binding)).toBe('mysql://u:Secret99@h/db');
  expect(() => createSealer('another-key-of-16-chars').unseal(sealed, binding)).toThrow('API and worker must share it');
});

test('sealing: a sealed URI opens only for its own handover and URI; unbound (v1) seals are refused', () => {
  const sealer = createSealer('a-key-of-sixteen-chars');
  const sealed = sealer.seal('mysql://u:Secret99@h:3306/db', { token: 'tok-1', uri: 'mysql://u@h:3306/db' });
  expect(() => sealer.unseal(sealed, { token: 'tok-2', uri: 'mysql://u@h:3306/db' })).toThrow(
    'sealed credentials do not open for handover tok-2',
  );
  expect(() => sealer.unseal(sealed, { token: 'tok-1', uri: 'mysql://u@h:3306/other' })).toThrow('do not open');
  expect(() => sealer.unseal('sealed:v1:AAAA', { token: 'tok-1', uri: 'x' })).toThrow('restart the handover');
  expect(() => sealer.unseal('sealed:v2:AA', { token: 'tok-1', uri: 'x' })).toThrow('not a sealed value');
});

test('the stack: v1 and base64, unbound; a 32-byte key; another key or an altered value does not open', () => {
  const sealer = createStackSealer(scryptKey('a-stack-key-of-16+', 'handover-local-stack'));
  const sealed = sealer.seal('mysql://u:Secret99@h/db');
  expect(sealed.startsWith('v1:')).toBe(true);
  expect(Buffer.from(sealed.slice(3), 'base64').toString('latin1')).not.toContain('Secret99');
  expect(sealer.open(sealed)).toBe('mysql://u:Secret99@h/db');
  expect(() => createStackSealer(scryptKey('another-stack-key!', 'handover-local-stack')).open(sealed)).toThrow();
  expect(() => sealer.open('sealed:v2:AAAA')).toThrow('not a sealed value');
  expect(() => createStackSealer(Buffer.alloc(16))).toThrow('the stack key must be 32 bytes');
});
