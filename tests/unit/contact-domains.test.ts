/** HANDOVER_CONTACT_DOMAINS: whom Handover mails (common/spec.ts contactDomainProblem, common/config.ts). */
import { contactDomainsFrom, loadConfig } from '../../common/config';
import { contactDomainProblem, handoverSpecSchema } from '../../common/spec';

const env = { HANDOVER_SECRET_KEY: 'unit-test-secret-key-0123' };

test('the setting: unset is any address; a list is trimmed, lower-cased, "@" dropped; anything else is refused naming the variable', () => {
  expect(contactDomainsFrom(loadConfig(env))).toBeUndefined();
  expect(contactDomainsFrom(loadConfig({ ...env, HANDOVER_CONTACT_DOMAINS: ' EBI.ac.uk, @sanger.ac.uk,ebi.ac.uk' }))).toEqual([
    'ebi.ac.uk',
    'sanger.ac.uk',
  ]);
  for (const bad of ['', 'ebi', 'ebi.ac.uk;sanger.ac.uk', '*.ebi.ac.uk', 'ebi.ac.uk,', 'a@b.org'])
    expect(() => loadConfig({ ...env, HANDOVER_CONTACT_DOMAINS: bad })).toThrow(
      /HANDOVER_CONTACT_DOMAINS: must be a comma-separated list of email domains/,
    );
});

test('the domain after the last @, case-insensitive, subdomains allowed, look-alikes not', () => {
  const domains = ['ebi.ac.uk', 'sanger.ac.uk'];
  for (const ok of ['curator@ebi.ac.uk', 'Curator@EBI.AC.UK', 'x@mail.ebi.ac.uk', 'y@sanger.ac.uk', '"a@evil.org"@ebi.ac.uk'])
    expect([ok, contactDomainProblem(ok, domains)]).toEqual([ok, undefined]);
  for (const bad of ['x@evilebi.ac.uk', 'x@ebi.ac.uk.evil.org', 'x@gmail.com', 'x@ac.uk', 'ebi.ac.uk@evil.org'])
    expect([bad, contactDomainProblem(bad, domains)]).toEqual([
      bad,
      'must be an address at ebi.ac.uk, sanger.ac.uk (or a subdomain): Handover mails only these domains (HANDOVER_CONTACT_DOMAINS)',
    ]);
  expect(contactDomainProblem('x@gmail.com', undefined)).toBeUndefined();
});

test('the specification names contact and the allowed domains', () => {
  const schema = handoverSpecSchema(undefined, { contactDomains: ['ebi.ac.uk'] });
  const base = { src_uri: 'sqlite:////tmp/homo_sapiens_core_110_38.sqlite', type: 'patch', comment: 'x' };
  expect(schema.safeParse({ ...base, contact: 'a@x.ebi.ac.uk' }).success).toBe(true);
  const refused = schema.safeParse({ ...base, contact: 'a@gmail.com' });
  expect(refused.error?.issues).toEqual([
    expect.objectContaining({ path: ['contact'], message: expect.stringContaining('must be an address at ebi.ac.uk') }),
  ]);
  // Not an email at all: that is said, not the domain.
  expect(schema.safeParse({ ...base, contact: 'nope' }).error?.issues).toEqual([
    expect.objectContaining({ path: ['contact'], message: 'must be an email address' }),
  ]);
  expect(handoverSpecSchema().safeParse({ ...base, contact: 'a@gmail.com' }).success).toBe(true);
});
