import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { missingCredentials } from '../../src/storage/credentials';
import { parseStoreSpec } from '../../src/storage/store-spec';

// if-no-credentials: warn|ignore skips the run only when no credential is configured at all. A
// profile in the shared files that is there but broken is configured: the run must fail on it, not
// skip with a notice (the README: "A credential that is set but wrong or incomplete always fails").
describe('credentials=default with a broken profile in the shared files', () => {
  const saved = { ...process.env };
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-aws-'));
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    Object.assign(process.env, {
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });
  const store = () => parseStoreSpec('http://127.0.0.1:1/logs', { credentials: { type: 'default' }, visibility: 'auto', cwd: home });

  test('a key without its secret in the credentials file is not "no credential"', async () => {
    fs.writeFileSync(path.join(home, 'credentials'), '[default]\naws_access_key_id = AKIDFILEONLY\n');
    expect(await missingCredentials(store(), {})).toBeUndefined();
  });

  test('a role whose source profile does not exist in the config file is not "no credential"', async () => {
    fs.writeFileSync(path.join(home, 'config'), '[default]\nrole_arn = arn:aws:iam::123456789012:role/ci\nsource_profile = missing\n');
    expect(await missingCredentials(store(), {})).toBeUndefined();
  });
});
