/**
 * `npm run demo`: hands the demo database over through the API started by `npm start`, and follows
 * it step by step until it ends. Exits 0 when it completes.
 */
import type { HandoverProgress } from '../api/types';
import { loadConfig } from '../common/config';
import { ensureDemoDatabase } from './demo-database';

async function main(): Promise<void> {
  const config = loadConfig();
  const api = config.HANDOVER_PUBLIC_URL;
  const src_uri = await ensureDemoDatabase();
  const body = {
    src_uri,
    contact: process.env.DEMO_CONTACT ?? 'you@example.org',
    type: 'new_assembly',
    comment: 'demo handover',
    source: 'npm run demo',
  };
  const res = await fetch(`${api}/handovers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer: unknown = await res.json();
  if (res.status !== 201) throw new Error(`the API answered ${res.status}: ${JSON.stringify(answer)}`);
  // 201: the submission's answer (POST /handovers in api/routes/handovers.ts).
  const submitted = answer as { token: string; status_url: string };
  console.log(`handover ${submitted.token} submitted (${submitted.status_url})`);
  let seen = '';
  for (;;) {
    const progress = (await (await fetch(submitted.status_url.replace(config.HANDOVER_PUBLIC_URL, api))).json()) as HandoverProgress;
    for (const entry of progress.timeline) {
      const line =
        `  ${entry.step.padEnd(12)} ${entry.outcome ?? 'running'}` +
        `${entry.jobs.length ? `  ${entry.jobs.map((j) => j.url).join(' ')}` : ''}`;
      if (!seen.includes(line)) {
        console.log(line);
        seen += line + '\n';
      }
    }
    if (progress.status !== 'running') {
      console.log(`handover ${progress.status}${progress.failure ? `: ${progress.failure.reason}` : ''}`);
      console.log(`Temporal Web UI: ${config.TEMPORAL_WEB_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${submitted.token}`);
      process.exit(progress.status === 'completed' ? 0 : 1);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message ?? err);
  process.exit(1);
});
