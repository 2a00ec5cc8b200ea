/**
 * Hostile requests to the Handover API: each must get a 4xx with a message, never a 500, and start
 * nothing. Grouped by what they attack; `staging` and `state` are the harness's staging folder and
 * a folder that stands for the project's own state.
 */
export interface HostileRequest {
  kind: string;
  name: string;
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string | object;
}

const good = { src_uri: 'sqlite:////data/homo_sapiens_core_110_38.sqlite', contact: 'a@example.org', type: 'patch', comment: 'c' };
const big = (n: number) => 'a'.repeat(n);

export function hostileCorpus(places: { staging: string; project: string }): HostileRequest[] {
  const out: HostileRequest[] = [];
  const submit = (kind: string, name: string, payload: unknown) =>
    out.push({ kind, name, method: 'POST', url: '/handovers', payload: payload as object });
  const field = (kind: string, key: string, values: Array<[string, unknown]>) => {
    for (const [name, value] of values) submit(kind, `${key}: ${name}`, { ...good, [key]: value });
  };

  // Names that close a quote, end an option list, escape a folder, or only look like letters.
  const names: Array<[string, string]> = [
    ['single quote', "homo'; DROP DATABASE x; --"],
    ['double quote', 'homo"core'],
    ['backtick', 'homo`core'],
    ['semicolon', 'a;b'],
    ['option', '--all-databases'],
    ['short option', '-e'],
    ['dot dot', '..'],
    ['three dots', '...'],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['space', 'a b'],
    ['newline', 'a\nb'],
    ['tab', 'a\tb'],
    ['nul', 'a\u0000b'],
    ['cyrillic o', 'homo_sapiens_cоre_110_38'],
    ['greek a', 'homo_sαpiens_core_110_38'],
    ['fullwidth', 'ｈｏｍｏ_core_1_1'],
    ['zero width', 'homo\u200b_core_1_1'],
    ['right-to-left mark', 'homo\u202e_core_1_1'],
    ['65 characters', big(65)],
    ['80 KB', big(80_000)],
    ['dollar', '$(rm -rf /)'],
    ['percent', '%s%n'],
    ['star', '*'],
  ];
  for (const [name, db] of names) {
    submit('hostile database name', `mysql source: ${name}`, { ...good, src_uri: `mysql://ro@127.0.0.1:3306/${encodeURIComponent(db)}` });
    submit('hostile database name', `sqlite source: ${name}`, { ...good, src_uri: `sqlite:////data/${encodeURIComponent(db)}.sqlite` });
  }

  // Targets anywhere but a staging place, or named otherwise than their source.
  const targets: Array<[string, string]> = [
    ["Temporal's history", `sqlite:///${places.project}/.temporal/homo_sapiens_core_110_38.sqlite`],
    ['the job stores', `sqlite:///${places.project}/.handover/services/jobs/homo_sapiens_core_110_38.sqlite`],
    ['the project folder', `sqlite:///${places.project}/homo_sapiens_core_110_38.sqlite`],
    ['/etc', 'sqlite:////etc/homo_sapiens_core_110_38.sqlite'],
    ['/tmp', 'sqlite:////tmp/homo_sapiens_core_110_38.sqlite'],
    ['a sub-folder of staging', `sqlite:///${places.staging}/sub/homo_sapiens_core_110_38.sqlite`],
    ['staging through ..', `sqlite:///${places.staging}/../homo_sapiens_core_110_38.sqlite`],
    ['staging through %2e%2e', `sqlite:///${places.staging}/%2e%2e/homo_sapiens_core_110_38.sqlite`],
    ['another name', `sqlite:///${places.staging}/mus_musculus_core_110_39.sqlite`],
    ['the secret key', `sqlite:///${places.project}/.handover/secret.key`],
    ['a .db file in staging', `sqlite:///${places.staging}/homo_sapiens_core_110_38.db`],
    ['a folder', `sqlite:///${places.staging}/`],
    ['the source itself', good.src_uri],
    ['another MySQL server', 'mysql://rw@127.0.0.9:3306/homo_sapiens_core_110_38'],
    ['another port', 'mysql://rw@127.0.0.1:1/homo_sapiens_core_110_38'],
    ['a private address', 'mysql://rw@10.0.0.1:3306/homo_sapiens_core_110_38'],
    ['mysql system schema', 'mysql://rw@127.0.0.1:3306/mysql'],
    ['information_schema', 'mysql://rw@127.0.0.1:3306/information_schema'],
    ['a file URI', 'file:///etc/passwd'],
    ['http', 'http://127.0.0.1:7233/'],
    ['a relative path', 'sqlite:///relative/homo_sapiens_core_110_38.sqlite'],
    ['a host for sqlite', 'sqlite://evil/homo_sapiens_core_110_38.sqlite'],
    ['3 KB URI', `mysql://rw@127.0.0.1:3306/${big(3000)}`],
    ['credentials trick', 'mysql://rw@127.0.0.1:3306@10.0.0.1:3306/homo_sapiens_core_110_38'],
    ['not a string', 42 as unknown as string],
  ];
  for (const [name, tgt] of targets) submit('target outside staging', `tgt_uri: ${name}`, { ...good, tgt_uri: tgt });

  field('hostile source URI', 'src_uri', [
    ['empty', ''],
    ['not a URI', 'nonsense'],
    ['postgres', 'postgres://h/db'],
    ['javascript', 'javascript:alert(1)'],
    ['malformed escape', 'mysql://h:3306/a%zz'],
    ['huge port', 'mysql://h:99999999/homo_sapiens_core_110_38'],
    ['number', 7],
    ['null', null],
    ['array', ['mysql://h/x']],
    ['object', { toString: 'x' }],
    ['80 KB URI', `mysql://h:3306/${big(80_000)}`],
  ]);
  field('hostile contact', 'contact', [
    ['header injection', 'a@example.org\r\nBcc: everyone@example.org'],
    ['two addresses', 'a@example.org, b@example.org'],
    ['no domain', 'a@'],
    ['no at', 'example.org'],
    ['unicode look-alike', 'а@example.org'],
    ['80 KB', `${big(80_000)}@example.org`],
    ['quoted', '"a"@example.org<script>'],
    ['number', 1],
    ['null', null],
    ['empty', ''],
  ]);
  field('hostile type', 'type', [
    ['database type', 'core'],
    ['SQL', "patch' OR '1'='1"],
    ['80 KB', big(80_000)],
    ['unicode', 'pаtch'],
    ['control', 'pat\nch'],
    ['nul', 'patch\u0000'],
    ['number', 3],
    ['array', ['patch']],
    ['null', null],
    ['empty', ''],
  ]);
  field('hostile comment', 'comment', [
    ['over 2000', big(2001)],
    ['80 KB', big(80_000)],
    ['blank', '   '],
    ['number', 5],
    ['object', { a: 1 }],
  ]);
  field('hostile source', 'source', [
    ['over 200', big(201)],
    ['array', ['x']],
  ]);

  // Whole bodies: unknown fields, prototype tricks, shapes that are not a specification.
  const raw = (name: string, payload: string, contentType = 'application/json') =>
    out.push({ kind: 'hostile body', name, method: 'POST', url: '/handovers', headers: { 'content-type': contentType }, payload });
  submit('hostile body', 'unknown field', { ...good, priority: 'high' });
  raw('__proto__', JSON.stringify({ ...good, __proto__: { admin: true } }).replace('"src_uri"', '"__proto__":{"admin":true},"src_uri"'));
  raw('constructor.prototype', `{"constructor":{"prototype":{"admin":true}},${JSON.stringify(good).slice(1)}`);
  raw('array body', JSON.stringify([good]));
  raw('string body', '"hello"');
  raw('number body', '42');
  raw('null body', 'null');
  raw('empty object', '{}');
  raw('invalid JSON', '{"src_uri": ');
  raw('trailing garbage', `${JSON.stringify(good)} x`);
  raw('deeply nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  raw('deeply nested objects', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`);
  raw('2 MB body', JSON.stringify({ ...good, comment: big(2_000_000) }));
  raw('text/plain', JSON.stringify(good), 'text/plain');
  raw('form', 'src_uri=x&contact=y', 'application/x-www-form-urlencoded');
  raw('xml', '<handover><src_uri>x</src_uri></handover>', 'application/xml');
  raw('multipart', '--b\r\ncontent-disposition: form-data; name="x"\r\n\r\ny\r\n--b--', 'multipart/form-data; boundary=b');
  raw('utf-16 bytes', Buffer.from(JSON.stringify(good), 'utf16le').toString('binary'));
  raw('duplicate keys, the last hostile', `${JSON.stringify(good).slice(0, -1)},"src_uri":"mysql://h:3306/a';DROP"}`);

  // Tokens, filters and the other routes.
  const get = (kind: string, name: string, url: string) => out.push({ kind, name, method: 'GET', url });
  for (const [name, token] of [
    ['quote', "a'b"],
    ['double quote', 'a"b'],
    ['backslash', 'a\\b'],
    ['path escape', '../../etc/passwd'],
    ['encoded path escape', '..%2f..%2fetc'],
    ['80 KB', big(80_000)],
    ['space', 'a b'],
    ['a lock id', 'handover-lock:sqlite:/tmp/x.sqlite'],
    ['a refusals log id', 'handover-refusals:handover'],
    ['unicode', 'tökén'],
  ] as const) {
    get('hostile token', `GET ${name}`, `/handovers/${encodeURIComponent(token)}`);
    out.push({
      kind: 'hostile token',
      name: `cancel ${name}`,
      method: 'POST',
      url: `/handovers/${encodeURIComponent(token)}/cancel`,
      payload: {},
    });
  }
  for (const [name, query] of [
    ['status not known', 'status=lost'],
    ['quote in database', "database=a'%20OR%20'1'='1"],
    ['backslash in contact', 'contact=a%5C'],
    ['double quote in type', 'type=a%22'],
    ['quote in update_type', "update_type=x'"],
    ['80 KB database', `database=${big(80_000)}`],
    ['negative limit', 'limit=-1'],
    ['huge limit', 'limit=1000000000'],
    ['limit not a number', 'limit=abc'],
    ['unknown filter', 'owner=me'],
    ['repeated status', 'status=running&status=failed'],
  ] as const) {
    get('hostile filter', name, `/handovers?${query}`);
  }
  for (const [name, body] of [
    ['from a step that does not exist', { from: 'drop' }],
    ['from as a number', { from: 1 }],
    ['unknown field', { from: 'copy', force: true }],
  ] as const) {
    out.push({ kind: 'hostile restart', name, method: 'POST', url: '/handovers/no-such-token/restart', payload: body });
  }
  for (const [name, body] of [
    ['by 80 KB', { by: big(80_000) }],
    ['reason 80 KB', { reason: big(80_000) }],
    ['by as an object', { by: { $ne: 1 } }],
    ['unknown field', { force: true }],
  ] as const) {
    out.push({ kind: 'hostile cancel', name, method: 'POST', url: '/handovers/no-such-token/cancel', payload: body });
  }
  const batch = (name: string, payload: unknown) =>
    out.push({ kind: 'hostile batch', name, method: 'POST', url: '/batches', payload: payload as object });
  batch('empty list', { contact: 'a@example.org', handovers: [] });
  batch('501 items', { contact: 'a@example.org', handovers: Array.from({ length: 501 }, () => good) });
  batch('a hostile item among good ones', { contact: 'a@example.org', handovers: [good, { ...good, src_uri: "mysql://h:3306/a';DROP" }] });
  batch('a target outside staging', {
    contact: 'a@example.org',
    handovers: [{ ...good, tgt_uri: 'sqlite:////etc/homo_sapiens_core_110_38.sqlite' }],
  });
  batch('items not a list', { contact: 'a@example.org', handovers: { 0: good } });
  batch('no contact', { handovers: [good] });
  out.push({
    kind: 'hostile Ensembl submission',
    name: 'quote in name',
    method: 'POST',
    url: '/jobs',
    payload: { ...good, type: undefined, src_uri: "mysql://h:3306/a'b" },
  });
  out.push({
    kind: 'hostile Ensembl submission',
    name: 'target outside staging',
    method: 'POST',
    url: '/jobs',
    payload: { ...good, type: undefined, tgt_uri: 'sqlite:////etc/homo_sapiens_core_110_38.sqlite' },
  });
  out.push({ kind: 'hostile Ensembl submission', name: 'release not a number', method: 'GET', url: '/jobs?release=abc' });
  out.push({ kind: 'hostile Ensembl submission', name: 'token path escape', method: 'GET', url: '/jobs/..%2f..%2fetc' });
  return out;
}
