import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../../src/storage/local-store';
import { describeStoreContract } from '../helpers/store-contract';

describeStoreContract('local folder', async () => new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'store-'))));

test('a folder that does not exist fails preflight as no-such-bucket', async () => {
  await expect(new LocalStore('/nonexistent/ci-stores').preflight()).rejects.toMatchObject({ kind: 'no-such-bucket' });
});

test('keys that would leave the folder are refused', async () => {
  const s = new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'store-')));
  await expect(s.put('../x', Buffer.from(''), Buffer.alloc(16), { visibility: 'private' })).rejects.toMatchObject({ kind: 'invalid-request' });
});
