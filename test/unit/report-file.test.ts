/**
 * The report file of mirror-bucket and prune (`runtime/report-file.ts`): every line, in order, in a
 * few large writes rather than one write a key (each a queued object when the file lags behind).
 * prune is run in process over a folder store to show its report goes through it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pruneAction } from '../../src/actions/prune/main';
import { reportWriter } from '../../src/runtime/report-file';
import { Summary } from '../../src/runtime/summary';
import { quietHost } from '../helpers/quiet-host';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'report-file-'));

/** Counts the writes made to file streams while `run` runs. */
async function countingWrites(run: () => Promise<void>): Promise<number> {
  const spy = jest.spyOn(fs.WriteStream.prototype, 'write');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

test('every line in order, in chunks of 64 KiB, the rest on end', async () => {
  const file = path.join(tmp(), 'r.txt');
  const lines = Array.from({ length: 20_000 }, (_, i) => `+ key-${i}\n`);
  const writes = await countingWrites(async () => {
    const w = reportWriter(file);
    for (const l of lines) w.add(l);
    await w.end();
  });
  expect(fs.readFileSync(file, 'utf8')).toBe(lines.join(''));
  expect(writes).toBeLessThanOrEqual(Math.ceil(lines.join('').length / 65_536) + 1);
  const empty = path.join(tmp(), 'e.txt');
  await reportWriter(empty).end();
  expect(fs.readFileSync(empty, 'utf8')).toBe('');
});

test("prune's report: its header and one line a key, in a few writes", async () => {
  const dir = tmp();
  const store = path.join(dir, 'images');
  fs.mkdirSync(store);
  for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(store, `img-${String(i).padStart(4, '0')}.qcow2`), 'x');
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'img-0000.qcow2\n');
  const host = quietHost({ stores: `file://${store}`, match: '[^/]+\\.qcow2', 'keep-list': 'keep.txt', 'max-delete': 'none', 'report-path': 'prune-report.txt' }, { cwd: dir, env: {} });
  const writes = await countingWrites(() => pruneAction({ host, summary: new Summary('prune'), onInterrupt: () => () => undefined }));
  const report = fs.readFileSync(path.join(dir, 'prune-report.txt'), 'utf8').split('\n');
  expect(report[0]).toMatch(/^# prune \(dry run: nothing deleted\): MARK STORE KEY; /);
  expect(report.filter((l) => l.startsWith('- '))).toHaveLength(1999);
  expect(writes).toBeLessThan(20);
});
