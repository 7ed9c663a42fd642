import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingCredentials } from '../../src/storage/credentials';
import { parseStoreSpec } from '../../src/storage/store-spec';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';

// if-no-credentials: warn|ignore skips the run only when no credential is configured at all. A
// profile in the shared files that is there but broken is configured: the run must fail on it, not
// skip with a notice (the README: "A credential that is set but wrong or incomplete always fails").
describe('credentials=default with a broken profile in the shared files', () => {
  const homeOf = useEmptyAwsEnvironment('broken-aws');
  const store = () => parseStoreSpec('http://127.0.0.1:1/logs', { credentials: { type: 'default' }, visibility: 'auto', cwd: homeOf() });

  test('a key without its secret in the credentials file is not "no credential"', async () => {
    fs.writeFileSync(path.join(homeOf(), 'credentials'), '[default]\naws_access_key_id = AKIDFILEONLY\n');
    expect(await missingCredentials(store(), {})).toBeUndefined();
  });

  test('a role whose source profile does not exist in the config file is not "no credential"', async () => {
    fs.writeFileSync(path.join(homeOf(), 'config'), '[default]\nrole_arn = arn:aws:iam::123456789012:role/ci\nsource_profile = missing\n');
    expect(await missingCredentials(store(), {})).toBeUndefined();
  });
});
