/**
 * Failures during an upload on a real S3 server: whatever happens, no half-written object and no
 * open multipart upload is left behind.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeAnonymous } from '../../src/s3/anonymous';
import { StoreError } from '../../src/errors';
import type { MultipartWrite, ObjectStore } from '../../src/storage/object-store';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { expandFiles } from '../../src/upload/files';
import { MIB } from '../../src/config/size';
import { uploadImages } from '../../src/upload/upload-images';
import { runBundle } from '../helpers/bundle';
import { uploadImagesOptions } from '../helpers/upload-options';
import { credentialEnv, listKeys, openUploads, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const makeBucket = useBuckets();

function s3Store(id: ClusterId, bucket: string): S3Store {
  const e = rgw(id);
  const spec = parseStoreSpec(`${e.endpoint}/${bucket}`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  return new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 8 });
}

/** A real S3 store whose part `n` fails, as a connection lost for good would. */
function failingPart(store: S3Store, n: number): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'startMultipart') {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return async (key: string, o: Parameters<ObjectStore['startMultipart']>[1]): Promise<MultipartWrite> => {
        const w = await target.startMultipart(key, o);
        return {
          writePart: async (p, body, digest) => {
            if (p === n) throw new StoreError('unavailable', `injected: part ${p} lost`);
            return w.writePart(p, body, digest);
          },
          complete: () => w.complete(),
          abort: () => w.abort(),
        };
      };
    },
  });
}

test('a store that fails mid-upload is aborted on the server; the other store completes', async () => {
  const { old: oldBucket, new: newBucketName } = await makeBucket.pair('fault');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-'));
  fs.writeFileSync(path.join(dir, 'fedora.qcow2'), randomBytes(30 * MIB));
  const good = s3Store('old', oldBucket);
  const bad = s3Store('new', newBucketName);
  try {
    const targets = [
      { name: 'old', store: good },
      { name: 'new', store: failingPart(bad, 4) },
    ];
    const report = await uploadImages(uploadImagesOptions(await expandFiles(['fedora.qcow2'], dir), targets, { probe: probeAnonymous }));
    expect(report.ok).toBe(false);
    expect(report.files[0]!.stores.map((s) => [s.store, s.outcome])).toEqual([
      ['old', 'uploaded'],
      ['new', 'failed'],
    ]);
    expect(await listKeys('old', oldBucket)).toEqual(['fedora.qcow2']);
    expect(await listKeys('new', newBucketName)).toEqual([]);
    expect(await openUploads('new', newBucketName)).toEqual([]);
    expect(await openUploads('old', oldBucket)).toEqual([]);
  } finally {
    good.close();
    bad.close();
  }
});

test('SIGTERM in the middle of an upload (a cancelled workflow) aborts the open uploads before exiting', async () => {
  const bucket = await makeBucket('old', 'sigterm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigterm-'));
  fs.writeFileSync(path.join(dir, 'big.qcow2'), randomBytes(200 * MIB));
  let sawUpload = false;
  const run = await runBundle(
    'upload-image',
    { files: 'big.qcow2', stores: `${rgw('old').endpoint}/${bucket} credentials=env:OLD`, 'part-size': '5MiB', concurrency: '1' },
    {
      cwd: dir,
      env: credentialEnv(['old']),
      onSpawn: (child) => {
        // Polls overlap when the server answers slowly: only the first to see an upload signals. A
        // second SIGTERM, once the action's handler (process.once) has run, would kill it outright.
        const poll = setInterval(async () => {
          if ((await openUploads('old', bucket)).length > 0 && !sawUpload) {
            clearInterval(poll);
            sawUpload = true;
            child.kill('SIGTERM');
          }
        }, 100);
        child.on('exit', () => clearInterval(poll));
      },
    },
  );
  expect(sawUpload).toBe(true);
  expect(run.code).toBe(143);
  expect(run.stdout).toMatch(/SIGTERM received: aborting open uploads/);
  expect(await openUploads('old', bucket)).toEqual([]);
  expect(await listKeys('old', bucket)).toEqual([]);
});
