/**
 * Addresses (core/addresses.ts): the loopback however written, one form per address, Host headers, and
 * resolution within a deadline; and the callers that add their own words (api/keys.ts takes `*.localhost`
 * as a listening address; the stack's Host check, services/jobs/service.ts).
 */
import { isLoopback } from '../../api/keys';
import { canonicalAddress, hostOfHeader, isLoopbackAddress, isLoopbackHost, plainAddress, resolveHost } from '../../core/addresses';
import { isLoopbackHostHeader } from '../../services/jobs/service';

test('the loopback: 127.0.0.0/8 and ::1 however written, and localhost', () => {
  for (const host of [
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    'localhost',
    'LOCALHOST',
    ' 127.0.0.2 ',
  ]) {
    expect([host, isLoopbackHost(host)]).toEqual([host, true]);
  }
  for (const host of [
    '0.0.0.0',
    '::',
    '10.0.0.5',
    '128.0.0.1',
    '127.256.0.1',
    '::2',
    '::ffff:10.0.0.1',
    'localhost.evil.example',
    'evil-localhost',
    '127.0.0.1.nip.io',
    '',
  ]) {
    expect([host, isLoopbackHost(host)]).toEqual([host, false]);
  }
  expect(isLoopbackAddress('localhost')).toBe(false); // a name, not an address
  expect(isLoopback('api.localhost')).toBe(true);
  expect(isLoopbackHost('api.localhost')).toBe(false);
});

test(
  'one form per address: brackets dropped, IPv4-mapped as IPv4, loopback as one word (all of 127/8, ' + 'or exactly 127.0.0.1 and ::1)',
  () => {
    expect(plainAddress('[::FFFF:10.0.0.1]')).toBe('10.0.0.1');
    expect(plainAddress('::ffff:0a00:0001')).toBe('10.0.0.1');
    expect(plainAddress('0000:0000:0000:0000:0000:0000:0000:0001')).toBe('::1');
    expect(plainAddress('2001:DB8::1')).toBe('2001:db8::1');
    for (const a of ['127.0.0.1', '::1', '::ffff:7f00:1'])
      expect([canonicalAddress(a, 'network'), canonicalAddress(a, 'exact')]).toEqual(['loopback', 'loopback']);
    expect([canonicalAddress('127.0.0.2', 'network'), canonicalAddress('127.0.0.2', 'exact')]).toEqual(['loopback', '127.0.0.2']);
    expect(canonicalAddress('192.0.2.7', 'network')).toBe('192.0.2.7');
  },
);

test('a Host header: its host, port dropped; brackets only around an IPv6 address', () => {
  expect(hostOfHeader('LOCALHOST:4002')).toBe('localhost');
  expect(hostOfHeader('localhost.')).toBe('localhost');
  expect(hostOfHeader('[::1]:4003')).toBe('[::1]');
  expect(hostOfHeader('[127.0.0.1]')).toBeUndefined();
  expect(hostOfHeader('127.0.0.1:4002@evil.example')).toBeUndefined();
  expect(hostOfHeader(undefined)).toBeUndefined();
  for (const h of ['localhost', '127.1.2.3:9', '[::1]', '[0:0:0:0:0:0:0:1]:1']) expect([h, isLoopbackHostHeader(h)]).toEqual([h, true]);
  for (const h of ['evil.example', '127.256.0.1', '[::2]', '[::ffff:10.0.0.1]', '', undefined])
    expect([h, isLoopbackHostHeader(h)]).toEqual([h, false]);
});

test('resolution: an address is its own; a name that does not resolve, or not in time, throws', async () => {
  await expect(resolveHost('[::1]', 1000)).resolves.toEqual(['::1']);
  await expect(resolveHost('192.0.2.7', 1000)).resolves.toEqual(['192.0.2.7']);
  await expect(resolveHost('localhost', 5000)).resolves.toEqual(expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]));
  await expect(resolveHost('no-such-host.invalid', 5000)).rejects.toThrow();
});
