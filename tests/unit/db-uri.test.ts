/**
 * Database URIs (core/db-uri.ts, re-exported by common/db-uri.ts): the one reading (readDbUri) as each side words it
 * (parseDbUri; the stack's locate and parseTargetRoots), the one formatter, key, withoutPassword, derive a target.
 */
import { DbUriError, databaseKey, deriveTargetUri, formatDbUri, parseDbUri, redactText, withoutPassword } from '../../common/db-uri';
import { engineOfScheme, readDbUri } from '../../core/db-uri';
import { parseTargetRoots } from '../../services/copy/targets';
import { locate } from '../../services/db/uri';

test('parses MySQL URIs, decoding user and password', () => {
  expect(parseDbUri('mysql://ens%40ro:p%2Fw@db.example.org:4525/homo_sapiens_core_110_38')).toEqual({
    engine: 'mysql',
    user: 'ens@ro',
    password: 'p/w',
    host: 'db.example.org',
    port: 4525,
    database: 'homo_sapiens_core_110_38',
  });
  expect(parseDbUri('mysql://ro@db/x').port).toBe(3306);
});

test('parses SQLite URIs as SQLAlchemy writes them: the name is the file name without extension', () => {
  expect(parseDbUri('sqlite:////srv/data/mus_musculus_core_110_39.sqlite')).toEqual({
    engine: 'sqlite',
    database: 'mus_musculus_core_110_39',
    file: '/srv/data/mus_musculus_core_110_39.sqlite',
  });
  expect(parseDbUri('sqlite:////srv/staging/', { staging: true })).toEqual({ engine: 'sqlite', database: '', file: '/srv/staging/' });
});

test.each([
  ['nonsense', 'is not a URI'],
  ['postgres://h/db', 'unsupported scheme "postgres"'],
  ['mysql://h:3306/', 'must name a database'],
  ['sqlite:///relative.sqlite', 'absolute sqlite path'],
  ['sqlite:////srv/folder/', 'names a folder'],
])('refuses %s, saying why', (uri, why) => {
  expect(() => parseDbUri(uri)).toThrow(DbUriError);
  expect(() => parseDbUri(uri)).toThrow(why);
});

test('a staging server URI must not name a database', () => {
  expect(() => parseDbUri('mysql://u:p@h:3306/db', { staging: true })).toThrow('must not name a database');
});

test('the target is the staging server plus the source database name, on either engine', () => {
  expect(deriveTargetUri('mysql://admin:pw@staging:3306/', 'mysql://ro@src:3306/danio_rerio_core_110_11')).toBe(
    'mysql://admin:pw@staging:3306/danio_rerio_core_110_11',
  );
  expect(deriveTargetUri('sqlite:////srv/staging/', 'mysql://ro@src:3306/danio_rerio_core_110_11')).toBe(
    'sqlite:////srv/staging/danio_rerio_core_110_11.sqlite',
  );
});

test('passwords come out of URIs and free text', () => {
  expect(withoutPassword('mysql://u:secret@h:3306/db')).toBe('mysql://u@h:3306/db');
  expect(redactText('failed on mysql://u:secret@h:3306/db and smtp://a:b@mail, token secret', ['secret'])).toBe(
    'failed on mysql://u:***@h:3306/db and smtp://a:***@mail, token ***',
  );
});

test('one key per database, whatever the credentials', () => {
  expect(databaseKey('mysql://a:1@h:3306/db')).toBe(databaseKey('mysql://b@h/db'));
  expect(databaseKey('mysql://a@h:3306/db')).not.toBe(databaseKey('mysql://a@h:3307/db'));
});

test('a URI carries no query or fragment: ?host= or ?unix_socket= would override the host checked at the door', () => {
  for (const uri of [
    'mysql://u:p@allowed:3306/homo_sapiens_core_110_38?host=10.0.0.9&port=7233',
    'mysql://u@h:3306/db?unix_socket=/run/x.sock',
    'mysql://u@h/db#x',
    'sqlite:////data/x.sqlite?mode=ro',
  ]) {
    expect(() => parseDbUri(uri)).toThrow('must not carry a query or a fragment');
  }
  expect(() => parseDbUri('mysql://u@h:3306/?x=1', { staging: true })).toThrow('must not carry a query or a fragment');
  expect(parseDbUri('mysql://u:p%3F%23@h:3306/db').password).toBe('p?#');
});

test('one key and one scheme table for both sides: a URI, or a database the stack has located', () => {
  expect(databaseKey({ engine: 'mysql', host: 'loopback', port: 3306, database: 'a_core_1_1' })).toBe('mysql:loopback:3306/a_core_1_1');
  expect(databaseKey({ engine: 'sqlite', file: '/srv/staging/a_core_1_1.sqlite' })).toBe(
    databaseKey('sqlite:////srv/staging/a_core_1_1.sqlite'),
  );
  expect(['mysql:', 'mysql+pymysql:', 'sqlite:', 'postgres:', 'constructor:', '__proto__:'].map(engineOfScheme)).toEqual([
    'mysql',
    'mysql',
    'sqlite',
    undefined,
    undefined,
    undefined,
  ]);
});

describe('one reading for both sides: core readDbUri, worded by parseDbUri (handover), locate and parseTargetRoots (stack)', () => {
  test('a problem is data: its code, the part it is in and the offending text, never the password', () => {
    expect(readDbUri('postgres://h/db')).toEqual({ ok: false, problem: { code: 'scheme', part: 'scheme', value: 'postgres:' } });
    expect(readDbUri('mysql://u:p%zz@h:3306/db')).toEqual({
      ok: false,
      problem: { code: 'malformed-escape', part: 'password', value: undefined },
    });
    expect(readDbUri('mysql://u:p@h:3306/', { staging: true, refusePassword: true })).toEqual({
      ok: false,
      problem: { code: 'password', part: 'password', value: undefined },
    });
    expect(readDbUri('mysql://u:p@h:3306/a_core_1_1')).toMatchObject({ ok: true, db: { host: 'h', database: 'a_core_1_1' } });
  });

  test.each([
    [
      'a bare ? (the stricter rule, now both sides)',
      'mysql://u@h:3306/a_core_1_1?',
      'must not carry a query or a fragment',
      /take no query or fragment/,
    ],
    ['a bare #', 'sqlite:////srv/a_core_1_1.sqlite#', 'must not carry a query or a fragment', /take no query or fragment/],
    [
      "a host that is an option (the stack's pattern, now both sides)",
      'mysql://u@-oProxyCommand=x:3306/a_core_1_1',
      'names the host "-oProxyCommand=x"',
      /is not a host name or address/,
    ],
    ['a NUL in a folder name', 'sqlite:////srv/a%00b/a_core_1_1.sqlite', 'must not hold a NUL character', /absolute and normal/],
    ['a trailing / written %2F', 'sqlite:////srv/a_core_1_1.sqlite%2F', 'must be a plain absolute path', /absolute and normal/],
    ['a // in the path', 'sqlite:////srv//a_core_1_1.sqlite', 'must be a plain absolute path', /absolute and normal/],
  ])('both sides refuse %s', (_name, uri, handover, stack) => {
    expect(() => parseDbUri(uri)).toThrow(handover);
    expect(() => locate(uri)).toThrow(stack);
  });

  test('a target root with a malformed escape is a configuration error, not a raw URIError', () => {
    for (const root of ['sqlite:////srv/a%zz/', 'mysql://u%zz@h:3306/']) {
      expect(() => parseTargetRoots(root)).toThrow(/^target root .*: a malformed %-escape in the (path|user name) \(expected/);
      expect(() => parseTargetRoots(root)).not.toThrow(URIError);
    }
    expect(() => parseTargetRoots('mysql://h:3306/a%zz')).toThrow(/names no database/);
    expect(parseTargetRoots('sqlite:////srv/a%20b/, mysql://ro@[::1]:3306/')).toEqual([
      { engine: 'sqlite', folder: '/srv/a b', text: 'sqlite:////srv/a%20b/' },
      { engine: 'mysql', host: '::1', port: 3306, user: 'ro', text: 'mysql://ro@[::1]:3306/' },
    ]);
  });
});

describe('one formatter: formatDbUri writes what readDbUri reads back', () => {
  test('an IPv6 host is bracketed, whether it comes bracketed (the handover) or bare (the stack)', () => {
    const bare = formatDbUri({ engine: 'mysql', user: 'u', password: 'p', host: '::1', port: 3306, database: 'a_core_1_1' });
    expect(bare).toBe('mysql://u:p@[::1]:3306/a_core_1_1');
    expect(parseDbUri(bare)).toEqual({ engine: 'mysql', user: 'u', password: 'p', host: '[::1]', port: 3306, database: 'a_core_1_1' });
    expect(formatDbUri(parseDbUri(bare))).toBe(bare);
    expect(locate(bare)).toMatchObject({ host: '::1', name: 'a_core_1_1' });
    expect(withoutPassword('mysql://u:p@[2001:db8::1]:3306/a_core_1_1')).toBe('mysql://u@[2001:db8::1]:3306/a_core_1_1');
  });

  test('a SQLite path with %, ?, # and spaces round-trips (it was written raw, and read back as an escape, a query or a fragment)', () => {
    const file = '/srv/50% off?/#1 a b/a_core_1_1.sqlite';
    const uri = formatDbUri({ engine: 'sqlite', database: 'a_core_1_1', file });
    expect(uri).toBe('sqlite:////srv/50%25%20off%3F/%231%20a%20b/a_core_1_1.sqlite');
    expect(parseDbUri(uri)).toEqual({ engine: 'sqlite', database: 'a_core_1_1', file });
    expect(locate(uri)).toEqual({ engine: 'sqlite', name: 'a_core_1_1', file });
    expect(withoutPassword(uri)).toBe(uri);
    expect(databaseKey(uri)).toBe(`sqlite:${file}`);
  });

  test('a target derived on a staging folder with such a name parses back', () => {
    const staging = formatDbUri({ engine: 'sqlite', database: '', file: '/srv/stag ing?/' });
    expect(staging).toBe('sqlite:////srv/stag%20ing%3F/');
    const target = deriveTargetUri(staging, 'mysql://ro@src:3306/a_core_1_1');
    expect(parseDbUri(target).file).toBe('/srv/stag ing?/a_core_1_1.sqlite');
  });
});
