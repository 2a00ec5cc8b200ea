/** Database URIs (core/db-uri.ts, re-exported by common/db-uri.ts): parse, format, key, withoutPassword, derive a target. */
import { DbUriError, databaseKey, deriveTargetUri, parseDbUri, redactText, withoutPassword } from '../../common/db-uri';
import { engineOfScheme } from '../../core/db-uri';

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
  expect(deriveTargetUri('mysql://admin:pw@staging:3306/', 'mysql://ro@src:3306/danio_rerio_core_110_11')).toBe('mysql://admin:pw@staging:3306/danio_rerio_core_110_11');
  expect(deriveTargetUri('sqlite:////srv/staging/', 'mysql://ro@src:3306/danio_rerio_core_110_11')).toBe('sqlite:////srv/staging/danio_rerio_core_110_11.sqlite');
});

test('passwords come out of URIs and free text', () => {
  expect(withoutPassword('mysql://u:secret@h:3306/db')).toBe('mysql://u@h:3306/db');
  expect(redactText('failed on mysql://u:secret@h:3306/db and smtp://a:b@mail, token secret', ['secret'])).toBe('failed on mysql://u:***@h:3306/db and smtp://a:***@mail, token ***');
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
  expect(databaseKey({ engine: 'sqlite', file: '/srv/staging/a_core_1_1.sqlite' })).toBe(databaseKey('sqlite:////srv/staging/a_core_1_1.sqlite'));
  expect(['mysql:', 'mysql+pymysql:', 'sqlite:', 'postgres:', 'constructor:', '__proto__:'].map(engineOfScheme)).toEqual(['mysql', 'mysql', 'sqlite', undefined, undefined, undefined]);
});
