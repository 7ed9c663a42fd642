import { Progress } from '../../src/runtime/progress';
import { Summary } from '../../src/runtime/summary';

describe('progress lines', () => {
  test('at most one per interval, always the last, with a rate per piece of work', () => {
    let now = 0;
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l), 5000, () => now);
    p.bytes('a.qcow2', 0, 100 * 1048576);
    now = 1000;
    p.bytes('a.qcow2', 10 * 1048576, 100 * 1048576);
    now = 6000;
    p.bytes('a.qcow2', 60 * 1048576, 100 * 1048576);
    now = 7000;
    p.bytes('a.qcow2', 70 * 1048576, 100 * 1048576);
    now = 10000;
    p.bytes('a.qcow2', 100 * 1048576, 100 * 1048576);
    expect(lines).toEqual(['a.qcow2: 60.0 of 100.0 MiB (60%), 10.0 MiB/s', 'a.qcow2: 100.0 of 100.0 MiB (100%), 10.0 MiB/s']);
  });
});

describe('job summary', () => {
  test('tables escape cells and cut long lists; a failure is shown first', () => {
    const s = new Summary('upload-image');
    s.table(['a', 'b'], [['x|y', '<script>'], ['2', '3'], ['4', '5']], 2);
    s.failure('input "stores": bad');
    const md = s.render();
    expect(md).toMatch(/^## upload-image\n\n> \[!CAUTION\]\n> input "stores": bad/);
    expect(md).toContain('| x\\|y | &lt;script> |');
    expect(md).toContain('1 more row(s) left out');
    expect(md).not.toContain('| 4 | 5 |');
  });

  test('stays under the 1 MiB cap', () => {
    const s = new Summary('big');
    s.table(['k'], Array.from({ length: 20000 }, (_, i) => [`${'x'.repeat(80)}${i}`]), 20000);
    expect(Buffer.byteLength(s.render())).toBeLessThan(1024 * 1024);
  });
});
