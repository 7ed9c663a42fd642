/**
 * `toStoreError` looks for a refused certificate and a refused proxy CONNECT along the cause chain
 * in one walk: each link is read once, whichever is found (or neither), up to five links deep.
 */
import { StoreError } from '../../src/errors';
import { toStoreError } from '../../src/s3/errors';

/** A chain of `n` errors, the last with `code`, counting the reads of every `cause`. */
function countedChain(n: number, code?: string): { head: unknown; reads: () => number } {
  let reads = 0;
  let next: unknown = Object.assign(new Error('deepest'), code === undefined ? {} : { code, message: code === 'ProxyRefused' ? 'proxy 127.0.0.1:3128 refused CONNECT example.test:443 with HTTP 403' : 'refused' });
  for (let i = 1; i < n; i++) {
    const inner = next;
    const link = new Error(`link ${n - i}`);
    Object.defineProperty(link, 'cause', {
      get: () => {
        reads++;
        return inner;
      },
    });
    next = link;
  }
  return { head: next, reads: () => reads };
}

test.each([
  ['nothing to find', undefined, 'unknown'],
  ['a refused certificate at the end', 'CERT_HAS_EXPIRED', 'certificate'],
  ['a refused CONNECT at the end', 'ProxyRefused', 'proxy'],
])('%s: each cause read once', (_name, code, kind) => {
  const { head, reads } = countedChain(4, code);
  const e = toStoreError(head, 'PUT s3://b/k');
  expect(e).toBeInstanceOf(StoreError);
  expect(e.kind).toBe(kind);
  expect(reads()).toBe(3);
});

test('only five links are looked at', () => {
  expect(toStoreError(countedChain(5, 'CERT_HAS_EXPIRED').head, 'GET').kind).toBe('certificate');
  expect(toStoreError(countedChain(6, 'CERT_HAS_EXPIRED').head, 'GET').kind).toBe('unknown');
});
