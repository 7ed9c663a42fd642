/**
 * An AWS environment with nothing in it, for tests of what the SDK's default chain finds: every
 * AWS_ variable removed, HOME and the shared files pointed at an empty folder of the test's own,
 * and no instance role to wait for. Restored after each test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Installs the empty environment around each test of the enclosing block; returns the folder of the current test. */
export function useEmptyAwsEnvironment(stem: string): () => string {
  const saved = { ...process.env };
  let home = '';
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), `${stem}-`));
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    Object.assign(process.env, {
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
      // No instance or container role here; without this the chain waits for the metadata service.
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });
  return () => home;
}
