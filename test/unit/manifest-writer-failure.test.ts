/**
 * A manifest file that cannot be written fails the run the ordinary way: the writer records the
 * error at once (never an unhandled rejection) and `add` throws it, and mirror-bucket opens the file
 * before the run, creating its folder, or refuses input `manifest` naming the file and the problem.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '../../src/config/configuration-error';
import { ManifestWriter, type ManifestEntry } from '../../src/sync/manifest';
import { openManifestWriter } from '../../src/steps/mirror-bucket/manifest-files';

const id = { source: 'https://old.example/bucket/', destination: 'https://new.example/bucket/' };
const entry = (key: string): ManifestEntry => ({ key, sourceEtag: `"${key}-s"`, size: key.length, destinationEtag: `"${key}-d"` });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-failure-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a folder that does not exist: the error is recorded at once, and add() and ready() throw it', async () => {
  const w = new ManifestWriter(path.join(dir, 'missing', 'm.gz'), id);
  // Give the file time to fail before anyone waits for it (an unhandled rejection would fail the test).
  await tick(50);
  await expect(w.add(entry('a'))).rejects.toThrow(/ENOENT/);
  await expect(w.ready()).rejects.toThrow(/ENOENT/);
  await w.discard();
});

test('a file that fails mid-run (a full disk): add() throws the error instead of hanging, and discard() leaves no temporary file', async () => {
  const file = path.join(dir, 'full.gz');
  fs.symlinkSync('/dev/full', `${file}.tmp`);
  const w = new ManifestWriter(file, id);
  await w.ready();
  let thrown: unknown;
  // Enough entries that gzip hands the file several chunks; keys that do not compress away.
  for (let i = 0; i < 200_000 && thrown === undefined; i++) {
    try {
      await w.add(entry(`k${String(i).padStart(7, '0')}-${((i * 2654435761) >>> 0).toString(36)}`));
    } catch (e) {
      thrown = e;
    }
  }
  expect(String(thrown)).toMatch(/ENOSPC/);
  await expect(w.add(entry('zzzz'))).rejects.toThrow(/ENOSPC/);
  await w.discard();
  expect(fs.existsSync(`${file}.tmp`)).toBe(false);
});

describe('mirror-bucket opens the manifest file before the run', () => {
  const place = (p: string) => ({ kind: 'file' as const, path: p });

  test('a folder that does not exist yet is created', async () => {
    const file = path.join(dir, 'new', 'deeper', 'd1.gz');
    const w = await openManifestWriter({ file }, place(file), id);
    await w.add(entry('a'));
    await w.close();
    expect(fs.existsSync(file)).toBe(true);
  });

  test('a folder that cannot be made is refused naming input "manifest", the file and the problem; nothing is left behind', async () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a folder');
    const file = path.join(blocker, 'd1.gz');
    const err = await openManifestWriter({ file }, place(file), id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('input "manifest"');
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/ENOTDIR|EEXIST/);
    expect((err as Error).message).toContain('allowed:');
  });

});
