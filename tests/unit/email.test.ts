import { type HandoverNotice, composeEmail } from '../../activities/email';

const base: HandoverNotice = {
  kind: 'completed',
  token: 'tok-1',
  database: 'homo_sapiens_core_110_38',
  updateType: 'new_genebuild',
  databaseType: 'core',
  spec: {
    src_uri: 'mysql://ro@src:3306/homo_sapiens_core_110_38',
    tgt_uri: 'mysql://rw@staging:3306/homo_sapiens_core_110_38',
    contact: 'c@example.org',
    type: 'new_genebuild',
    comment: '<b>new</b> genebuild',
  },
  timeline: [
    {
      step: 'healthcheck',
      started_at: '2026-01-01T00:00:00Z',
      outcome: 'problems',
      jobs: [{ service: 'healthcheck', id: '7', url: 'http://hc/jobs/7' }],
    },
  ],
};
const links = { page: 'http://api/ui/handover.html?token=tok-1', temporal: 'http://ui/namespaces/default/workflows/tok-1' };

test('success: where the database now is', () => {
  const mail = composeEmail(base, links);
  expect(mail).toMatchObject({ to: 'c@example.org', subject: 'Handover of homo_sapiens_core_110_38 completed' });
  expect(mail.text).toContain('has been copied to mysql://rw@staging:3306/homo_sapiens_core_110_38');
  expect(mail.html).toContain('&#60;b&#62;new&#60;/b&#62; genebuild'); // submitted text is escaped
  // Links go to the handover's web page, not to the JSON.
  expect(mail.html).toContain('<a href="http://api/ui/handover.html?token=tok-1">');
  expect(mail.text).not.toContain('/handovers/tok-1');
  expect(mail.text).toContain('Update type: new_genebuild');
  expect(mail.text).toContain('Database type: core');
});

test('a handover recorded before the update type was asked for says so', () => {
  const old = composeEmail({ ...base, updateType: undefined, spec: { ...base.spec, type: 'core' } }, links);
  expect(old.text).toContain('Update type: not recorded');
  expect(old.text).toContain('Database type: core');
});

test('problems found vs checks that could not run: different subjects; failing checks listed with the report link', () => {
  const problems = composeEmail(
    {
      ...base,
      kind: 'failed',
      failure: {
        step: 'healthcheck',
        kind: 'problems',
        reason: '1 check(s) found problems: MetaKeys',
        checks: [{ check: 'MetaKeys', messages: ['missing schema_version'] }],
      },
    },
    links,
  );
  expect(problems.subject).toBe('Handover of homo_sapiens_core_110_38 failed: healthchecks found problems');
  expect(problems.text).toContain('MetaKeys: missing schema_version');
  expect(problems.text).toContain('Full report: http://hc/jobs/7');
  const crashed = composeEmail(
    { ...base, kind: 'failed', failure: { step: 'healthcheck', kind: 'could_not_run', reason: 'the healthchecks could not run: boom' } },
    links,
  );
  expect(crashed.subject).toBe('Handover of homo_sapiens_core_110_38 failed: healthchecks could not run');
});

test('cancelled: who and why when known, and says so when not', () => {
  expect(composeEmail({ ...base, kind: 'cancelled', cancelled: { by: 'alice', reason: 'wrong file' } }, links).text).toContain(
    'cancelled by alice',
  );
  expect(composeEmail({ ...base, kind: 'cancelled' }, links).text).toContain('No reason was given.');
});
