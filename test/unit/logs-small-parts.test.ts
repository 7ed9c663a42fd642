import { ByteBudget } from '../../src/flow/byte-budget';
import { commentBody, commentMarker, sanitizeCommentId, statusDescription } from '../../src/logs/link-back';
import { TreeProgress } from '../../src/logs/tree-progress';

describe('byte budget', () => {
  test('holds memory under the total, first come first served; an oversized request runs alone', async () => {
    const b = new ByteBudget(100);
    const r1 = await b.take(60);
    const order: string[] = [];
    const p2 = b.take(50).then((r) => (order.push('50'), r));
    const p3 = b.take(10).then((r) => (order.push('10'), r));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    r1();
    const r2 = await p2;
    const r3 = await p3;
    expect(order).toEqual(['50', '10']);
    expect(b.held).toBe(60);
    r2();
    r2();
    r3();
    expect(b.held).toBe(0);
    const huge = await b.take(1e9);
    expect(b.held).toBe(100);
    huge();
  });
});

describe('progress of many files', () => {
  test('at most one line per interval, and always the last', () => {
    let now = 0;
    const lines: string[] = [];
    const p = new TreeProgress(1000, 4096 * 1000, (l) => lines.push(l), 5000, () => now);
    for (let i = 1; i <= 1000; i++) {
      now = i * 10;
      p.fileDone(4096);
    }
    expect(lines).toEqual(['500 of 1000 file(s) (50%), 2.0 MiB of 3.9 MiB, 100 files/s, 400.0 KiB/s', '1000 of 1000 file(s) (100%), 3.9 MiB of 3.9 MiB, 100 files/s, 400.0 KiB/s']);
  });
});

describe('link back texts', () => {
  test('comment ids are safe inside an HTML comment', () => {
    expect(sanitizeCommentId('tests-fedora 42')).toBe('tests-fedora-42');
    expect(sanitizeCommentId('a-->b<!--c')).toBe('a-b-c');
    expect(sanitizeCommentId('---')).toBeUndefined();
    expect(commentMarker('tests')).toBe('<!-- ci-stores:upload-logs:tests -->');
  });

  test('the comment starts with the marker and links the logs; markdown in names is escaped', () => {
    const body = commentBody({
      marker: commentMarker('tests'),
      title: 'tests (fedora_42)',
      url: 'https://h/b/run (1)/index.html',
      prefix: 'o-r/run_[1]/',
      counts: { files: 3, bytes: 2048, failed: 1, vanished: 1, redactions: 2 },
      runUrl: 'https://github.com/o/r/actions/runs/1',
      sha: 'a'.repeat(40),
    });
    expect(body.startsWith('<!-- ci-stores:upload-logs:tests -->\n')).toBe(true);
    expect(body).toContain('**Logs** for tests (fedora\\_42): [o-r/run\\_\\[1\\]/](https://h/b/run%20%281%29/index.html)');
    expect(body).toContain('3 file(s), 2.0 KiB, **1 failed**, 1 vanished during the upload, 2 secret occurrence(s) redacted; commit aaaaaaaaaaaa; [workflow run](https://github.com/o/r/actions/runs/1)');
  });

  test('status descriptions fit in 140 characters', () => {
    expect(statusDescription({ files: 5000, bytes: 20 * 1024 * 1024, failed: 0, vanished: 0, redactions: 0 })).toBe('logs: 5000 file(s), 20.0 MiB');
    expect(statusDescription({ files: 1e15, bytes: 1e15, failed: 1e15, vanished: 1e15, redactions: 0 }).length).toBeLessThanOrEqual(140);
  });
});
