import { ConfigError, loadConfig, updateTypesFrom } from '../../common/config';
import { connectionSecurity } from '../../common/temporal';
import { callbackUrl, validCallback, withoutSignature } from '../../common/callbacks';
import { fieldIssues, handoverSpecSchema } from '../../common/spec';
import { HANDOVER_FLOW, searchAttributes } from '../../vocabulary';
import { registeredSearchAttributes } from '../helpers/search-attributes';

test('spec: one issue per field, unknown fields named', () => {
  const result = handoverSpecSchema().safeParse({ src_uri: 'mysql://h/db', contact: 'nope', extra: 1 });
  expect(result.success).toBe(false);
  expect(fieldIssues(result.error!.issues)).toEqual([
    { field: 'contact', message: 'must be an email address' },
    { field: 'type', message: 'is required' },
    { field: 'comment', message: 'is required' },
    { field: 'extra', message: 'is not a known field' },
  ]);
});

test('spec: type is the kind of update, case-insensitive, from the configured list', () => {
  const base = { src_uri: 'mysql://h/homo_sapiens_core_110_38', contact: 'a@example.org', comment: 'c' };
  for (const type of ['new_assembly', 'new_genebuild', 'patch', 'other'])
    expect(handoverSpecSchema().parse({ ...base, type }).type).toBe(type);
  expect(handoverSpecSchema().parse({ ...base, type: ' New_Genebuild ' }).type).toBe('new_genebuild');
  const refused = handoverSpecSchema().safeParse({ ...base, type: 'core' });
  expect(fieldIssues(refused.error!.issues)).toEqual([
    { field: 'type', message: 'must be one of new_assembly, new_genebuild, patch, other' },
  ]);
  expect(handoverSpecSchema(['rebuild']).parse({ ...base, type: 'REBUILD' }).type).toBe('rebuild');
  // A huge value is refused before anything else looks at it, with the same message.
  expect(fieldIssues(handoverSpecSchema().safeParse({ ...base, type: 'x'.repeat(100_000) }).error!.issues)[0].field).toBe('type');
});

test('config: HANDOVER_FLOW is the newest flow unless set lower (a rolling upgrade), never newer', () => {
  const key = { HANDOVER_SECRET_KEY: 'x'.repeat(16) };
  expect(loadConfig(key).HANDOVER_FLOW).toBe(HANDOVER_FLOW);
  expect(loadConfig({ ...key, HANDOVER_FLOW: '1' }).HANDOVER_FLOW).toBe(1);
  expect(() => loadConfig({ ...key, HANDOVER_FLOW: String(HANDOVER_FLOW + 1) })).toThrow(`HANDOVER_FLOW: must be at most ${HANDOVER_FLOW}`);
  expect(() => loadConfig({ ...key, HANDOVER_FLOW: '0' })).toThrow('HANDOVER_FLOW');
});

test('config: HANDOVER_UPDATE_TYPES is a list of words, lower-cased', () => {
  expect(updateTypesFrom(loadConfig({ HANDOVER_SECRET_KEY: 'x'.repeat(16) }))).toEqual(['new_assembly', 'new_genebuild', 'patch', 'other']);
  expect(updateTypesFrom(loadConfig({ HANDOVER_SECRET_KEY: 'x'.repeat(16), HANDOVER_UPDATE_TYPES: 'Rebuild, other' }))).toEqual([
    'rebuild',
    'other',
  ]);
  expect(() => loadConfig({ HANDOVER_SECRET_KEY: 'x'.repeat(16), HANDOVER_UPDATE_TYPES: ' , ' })).toThrow(
    'HANDOVER_UPDATE_TYPES: must be a comma-separated list',
  );
});

test('config: defaults, and errors that name the variable without echoing its value', () => {
  const config = loadConfig({ HANDOVER_SECRET_KEY: 'x'.repeat(16) });
  expect(config.TEMPORAL_ADDRESS).toBe('localhost:7233');
  expect(config.HANDOVER_CHECK_DEADLINE).toBe('24h');
  expect(config.HANDOVER_PUBLIC_URL).toBe('http://127.0.0.1:8080');
  let error: unknown;
  try {
    loadConfig({
      HANDOVER_SECRET_KEY: 'x'.repeat(16),
      HANDOVER_COPY_DEADLINE: 'soon',
      SMTP_URL: 'ftp://u:TopSecret@h',
      HANDOVER_STAGING_URI: 'mysql://u:pw@h/db',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message).toContain('HANDOVER_COPY_DEADLINE: must be a duration such as 30s, 10m or 24h');
  expect(message).toContain('SMTP_URL: must be smtp://');
  expect(message).toContain('HANDOVER_STAGING_URI: is a staging server URI and must not name a database');
  expect(message).not.toContain('TopSecret');
});

test('config: a Temporal API key is sent only over TLS; a bad shutdown grace names the variable', () => {
  const config = loadConfig({
    HANDOVER_SECRET_KEY: 'x'.repeat(16),
    TEMPORAL_ADDRESS: 'handover.a1b2c.tmprl.cloud:7233',
    TEMPORAL_API_KEY: 'key-0123456789',
  });
  expect(connectionSecurity(config)).toEqual({ tls: true, apiKey: 'key-0123456789' });
  expect(connectionSecurity(loadConfig({ HANDOVER_SECRET_KEY: 'x'.repeat(16) }))).toEqual({ tls: undefined });
  expect(config.HANDOVER_WORKER_SHUTDOWN_GRACE).toBe('10s');
  expect(() => loadConfig({ HANDOVER_SECRET_KEY: 'x'.repeat(16), HANDOVER_WORKER_SHUTDOWN_GRACE: 'never' })).toThrow(
    'HANDOVER_WORKER_SHUTDOWN_GRACE: must be a duration',
  );
});

test('callbacks: signed per handover and step, checked in constant time, never logged', () => {
  const url = callbackUrl('http://api.example.org/', 'k'.repeat(20), 'tok-1', 'copy');
  const sig = new URL(url).searchParams.get('sig')!;
  expect(url).toBe(`http://api.example.org/callbacks/tok-1/copy?sig=${sig}`);
  expect(validCallback('k'.repeat(20), 'tok-1', 'copy', sig)).toBe(true);
  expect(validCallback('k'.repeat(20), 'tok-1', 'metadata', sig)).toBe(false);
  expect(validCallback('k'.repeat(20), 'tok-2', 'copy', sig)).toBe(false);
  expect(validCallback('j'.repeat(20), 'tok-1', 'copy', sig)).toBe(false);
  expect(validCallback('k'.repeat(20), 'tok-1', 'copy', sig.slice(1))).toBe(false);
  expect(withoutSignature(new URL(url).pathname + new URL(url).search)).toBe('/callbacks/tok-1/copy?sig=***');
  expect(withoutSignature('/x?a=1&sig=abc&b=2')).toBe('/x?a=1&sig=***&b=2');
});

test('temporal-dev.sh registers exactly the search attributes the workflow uses', () => {
  expect(registeredSearchAttributes().sort()).toEqual(
    Object.values(searchAttributes)
      .map((k) => `${k.name}=Keyword`)
      .sort(),
  );
});

test('a staging rule needs its pattern and its staging URI (a rule without a pattern would match every database)', () => {
  const key = { HANDOVER_SECRET_KEY: 'x'.repeat(16) };
  const rules = (r: unknown) => loadConfig({ ...key, HANDOVER_STAGING_RULES: JSON.stringify(r) });
  expect(() => rules([{ staging_uri: 'mysql://u@staging:3306/' }])).toThrow(
    'HANDOVER_STAGING_RULES: must be JSON [{"pattern": "<regex>", "staging_uri": "<staging URI>"}]: rule 0.pattern needs a "pattern"',
  );
  expect(() => rules([{ pattern: '', staging_uri: 'mysql://u@staging:3306/' }])).toThrow('rule 0.pattern has an empty "pattern"');
  expect(() => rules([{ pattern: '(', staging_uri: 'mysql://u@staging:3306/' }])).toThrow(
    'rule 0.pattern has a "pattern" that is not a regular expression',
  );
  expect(() => rules([{ pattern: '^x', staging_uri: 'mysql://u@staging:3306/' }, { pattern: '^y' }])).toThrow(
    'rule 1.staging_uri needs a "staging_uri"',
  );
  expect(() => rules([{ pattern: '^x', staging_uri: 'mysql://u@staging:3306/db' }])).toThrow(
    'rule 0.staging_uri has a "staging_uri" that is a staging server URI',
  );
  expect(() => rules({ pattern: '^x' })).toThrow('the rules must be a list');
  expect(rules([{ pattern: '^homo_', staging_uri: 'mysql://u@staging:3306/' }]).HANDOVER_STAGING_RULES).toContain('homo_');
});
