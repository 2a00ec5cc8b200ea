/** Where the demo database lives, and making it once. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_STATE_DIR } from '../common/project-paths';
import { createDemoDatabase } from '../services/demo';

export const DEMO_DATABASE = 'homo_sapiens_core_110_38';
export const demoUri = () => `sqlite:///${path.join(LOCAL_STATE_DIR, 'demo', `${DEMO_DATABASE}.sqlite`)}`;

export async function ensureDemoDatabase(): Promise<string> {
  const uri = demoUri();
  if (!existsSync(uri.replace('sqlite://', ''))) await createDemoDatabase(uri, { genes: 5000 });
  return uri;
}
