/**
 * A fault-injecting HTTP proxy for tests: it stands between an action and an S3 server (RGW) and
 * breaks requests the ways object stores break them in production.
 *
 * The action is given the proxy as its store endpoint (`http://127.0.0.1:PORT/bucket/prefix`,
 * path-style). Requests are forwarded unchanged, Host header included: SigV4 signs the Host the
 * client sent (the proxy's), and the server checks the signature against the Host it receives, so
 * rewriting Host to the upstream's would turn every request into SignatureDoesNotMatch.
 *
 * Faults come from rules (first match wins; a rule can pick the nth matching request) and from a
 * rate. The rate's decision for a request is a hash of the seed, the request (method, path, query
 * without signature fields) and how many times that same request was seen before: it does not
 * depend on how concurrent requests interleave, so a seed replays the same faults, and a retry of a
 * request gets a fresh draw.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy can do to one request. */
export type FaultKind =
  /** 503 SlowDown with an S3 XML error body; not forwarded. */
  | 'slowdown'
  /** 500 InternalError with an S3 XML error body; not forwarded. */
  | 'internal'
  /** The connection is reset once the request was read; not forwarded. */
  | 'reset-before'
  /** Forwarded; the status line, headers and half the body are sent, then the connection is reset. */
  | 'reset-mid-body'
  /** Forwarded; the headers promise the whole body (Content-Length), half is sent, then the connection closes. */
  | 'truncate'
  /** Forwarded after a delay; the answer is passed on whole. */
  | 'delay'
  /** Forwarded and done by the server, then the answer is dropped (connection reset): an ambiguous outcome. */
  | 'drop-answer'
  /**
   * A hostile server: forwarded, and the answer's body is replaced by what the rule's `rewrite`
   * makes of it, sent well-framed (status and headers kept, Content-Length of the new body). Cut
   * XML, an `<Error>` after data, odd case: the HTTP message itself ends normally. Rules only.
   */
  | 'rewrite';

export const FAULT_KINDS: readonly FaultKind[] = ['slowdown', 'internal', 'reset-before', 'reset-mid-body', 'truncate', 'delay', 'drop-answer', 'rewrite'];
/** The kinds a rate draws from by default: every kind but `rewrite`, which needs a rule's function. */
const RATE_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'rewrite');

/** What a rule or a test sees of a request. */
export interface RequestInfo {
  readonly method: string;
  /** The path, decoded, without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The S3 operation, as far as method, path and query tell it (see {@link operationOf}). */
  readonly op: string;
  /** Whether the request carries a signature (an anonymous reader's requests do not). */
  readonly signed: boolean;
}

export interface FaultRule {
  readonly kind: FaultKind;
  readonly match: (r: RequestInfo) => boolean;
  /** Which matching requests (1-based) get the fault; default every one. */
  readonly nth?: readonly number[];
  /** Delay for `delay` (ms); default the proxy's `delayMs`. */
  readonly delayMs?: number;
  /** For `delay`: the answer's body is also passed on at no more than this many bytes a second. */
  readonly bodyBytesPerSecond?: number;
  /** For `rewrite`: the body to send instead of the server's (given as UTF-8 text). */
  readonly rewrite?: (body: string, r: RequestInfo) => string;
}

export interface FaultProxyOptions {
  /** Base URL of the server, such as `http://127.0.0.1:7480`. */
  readonly upstream: string;
  /** Probability that a request gets a fault from `kinds` (0 to 1); default 0. */
  readonly rate?: number;
  readonly seed?: number;
  /** Kinds the rate picks from, uniformly; default every kind but `rewrite`. */
  readonly kinds?: readonly FaultKind[];
  readonly rules?: readonly FaultRule[];
  /** Delay of a `delay` fault (ms); default 300. */
  readonly delayMs?: number;
  /** Requests the rate never touches (rules still apply). */
  readonly spare?: (r: RequestInfo) => boolean;
}

/** One fault as injected, for messages. */
export interface Injected {
  readonly kind: FaultKind;
  readonly op: string;
  readonly method: string;
  readonly path: string;
}

/** The S3 operation of a path-style request. Unknown shapes are `METHOD` plus `Bucket` or `Object`. */
export function operationOf(method: string, path: string, query: URLSearchParams): string {
  // The SDK addresses a bucket path-style as `/bucket/` (trailing slash): that is no object key.
  const isObject = /^[^/]+\/./.test(path.replace(/^\/+/, ''));
  const m = method.toUpperCase();
  if (isObject) {
    if (m === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
    if (m === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
    if (m === 'PUT' && query.has('partNumber')) return 'UploadPart';
    if (m === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
    if (m === 'GET' && query.has('uploadId')) return 'ListParts';
    if (query.has('acl')) return m === 'GET' ? 'GetObjectAcl' : 'PutObjectAcl';
    return { PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[m] ?? `${m}Object`;
  }
  if (m === 'GET' && query.has('uploads')) return 'ListMultipartUploads';
  if (m === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
  if (m === 'POST' && query.has('delete')) return 'DeleteObjects';
  if (query.has('policy')) return `${m === 'GET' ? 'Get' : m === 'PUT' ? 'Put' : 'Delete'}BucketPolicy`;
  if (query.has('ownershipControls')) return 'GetBucketOwnershipControls';
  if (m === 'HEAD') return 'HeadBucket';
  if (m === 'GET' && [...query.keys()].length === 0) return 'ListObjects';
  return `${m}Bucket`;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: use it where the server's endpoint would go. */
  readonly url: string;
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<Record<FaultKind, number>>;
  /** Every fault injected, in order. */
  readonly log: readonly Injected[];
  /** Requests received so far, by operation. */
  readonly seen: Readonly<Record<string, number>>;
  /** Total requests received. */
  readonly requests: number;
  /** Faults injected, all kinds together. */
  total(): number;
  /** Changes the rate from now on (for example 0 for a clean re-run). */
  setRate(rate: number): void;
  /** Resolves once `op` has been seen `n` times. */
  waitFor(op: string, n: number): Promise<void>;
  close(): Promise<void>;
}

const XML_ERROR = (code: string, message: string, resource: string, id: number) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource.replace(/[<>&]/g, '')}</Resource><RequestId>fault-${id}</RequestId></Error>`;

/** Query fields that change on every signing and say nothing about which request it is. */
const VOLATILE = /^x-amz-(date|signature|credential|security-token|expires|signedheaders|algorithm)$/i;

export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(o.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const kinds = o.kinds ?? RATE_KINDS;
  if (kinds.includes('rewrite')) throw new Error('rewrite faults come from rules, which say how to rewrite');
  const delayMs = o.delayMs ?? 300;
  let rate = o.rate ?? 0;
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const log: Injected[] = [];
  const seen: Record<string, number> = {};
  const occurrences = new Map<string, number>();
  const ruleHits = new Map<FaultRule, number>();
  const waiters: { op: string; n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  let requests = 0;

  /** A uniform draw in [0, 1) for the nth occurrence of a request. */
  const draw = (key: string, occurrence: number, salt: string) => {
    const h = createHash('sha256').update(`${o.seed ?? 0}|${salt}|${key}|${occurrence}`).digest();
    return h.readUInt32BE(0) / 2 ** 32;
  };

  type Chosen = { kind: FaultKind; delayMs: number; bodyBytesPerSecond?: number; rewrite?: FaultRule['rewrite'] };
  const choose = (info: RequestInfo, key: string, occurrence: number): Chosen | undefined => {
    for (const rule of o.rules ?? []) {
      if (!rule.match(info)) continue;
      const n = (ruleHits.get(rule) ?? 0) + 1;
      ruleHits.set(rule, n);
      if (rule.kind === 'rewrite' && rule.rewrite === undefined) throw new Error('a rewrite rule needs its rewrite function');
      if (rule.nth === undefined || rule.nth.includes(n)) return { kind: rule.kind, delayMs: rule.delayMs ?? delayMs, bodyBytesPerSecond: rule.bodyBytesPerSecond, rewrite: rule.rewrite };
      // A rule that matched but spares this occurrence stops the search: rules are exact.
      return undefined;
    }
    if (rate <= 0 || o.spare?.(info)) return undefined;
    if (draw(key, occurrence, 'rate') >= rate) return undefined;
    const kind = kinds[Math.floor(draw(key, occurrence, 'kind') * kinds.length)]!;
    return { kind, delayMs };
  };

  const server = http.createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://proxy');
    const path = decodeURIComponent(url.pathname);
    const info: RequestInfo = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      op: operationOf(req.method ?? 'GET', path, url.searchParams),
      signed: req.headers.authorization !== undefined || url.searchParams.has('X-Amz-Signature'),
    };
    seen[info.op] = (seen[info.op] ?? 0) + 1;
    for (const w of waiters.filter((w) => w.op === info.op && seen[info.op]! >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const stable = [...url.searchParams].filter(([k]) => !VOLATILE.test(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = `${info.method} ${path}?${new URLSearchParams(stable).toString()}`;
    const occurrence = (occurrences.get(key) ?? 0) + 1;
    occurrences.set(key, occurrence);
    const fault = choose(info, key, occurrence);
    const note = (kind: FaultKind) => {
      injected[kind]++;
      log.push({ kind, op: info.op, method: info.method, path });
    };

    const forward = (onAnswer: (up: http.IncomingMessage) => void) => {
      const up = http.request(
        { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
        onAnswer,
      );
      up.on('error', () => req.socket.destroy());
      req.pipe(up);
    };
    /** Reads the whole upstream answer, then calls `then` with it. */
    const buffered = (then: (up: http.IncomingMessage, body: Buffer) => void) =>
      forward((up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => then(up, Buffer.concat(chunks)));
        up.on('error', () => req.socket.destroy());
      });
    /** Writes a status line and headers (and maybe part of a body) straight to the socket. */
    const rawHead = (up: http.IncomingMessage, length: number) => {
      const lines = [`HTTP/1.1 ${up.statusCode} ${up.statusMessage ?? ''}`];
      for (let i = 0; i < up.rawHeaders.length; i += 2) {
        const name = up.rawHeaders[i]!;
        if (/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(name)) continue;
        lines.push(`${name}: ${up.rawHeaders[i + 1]}`);
      }
      lines.push(`Content-Length: ${length}`, 'Connection: keep-alive', '', '');
      return lines.join('\r\n');
    };
    const passOn = () =>
      forward((up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
        up.pipe(res);
      });

    /** Passes the answer on, its body paced to `bps` bytes a second. */
    const paced = (bps: number) =>
      forward((up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
        let sent = Promise.resolve();
        up.on('data', (c: Buffer) => {
          up.pause();
          sent = sent.then(() => new Promise<void>((resolve) => setTimeout(resolve, (c.length / bps) * 1000))).then(() => {
            res.write(c);
            up.resume();
          });
        });
        up.on('end', () => void sent.then(() => res.end()));
        up.on('error', () => req.socket.destroy());
      });

    if (fault === undefined) return passOn();
    switch (fault.kind) {
      case 'slowdown':
      case 'internal': {
        note(fault.kind);
        req.resume();
        req.on('end', () => {
          const [status, code, message] = fault.kind === 'slowdown' ? [503, 'SlowDown', 'Please reduce your request rate.'] : [500, 'InternalError', 'We encountered an internal error. Please try again.'];
          const body = info.method === 'HEAD' ? '' : XML_ERROR(code, message, path, requests);
          res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': `fault-${requests}` });
          res.end(info.method === 'HEAD' ? undefined : body);
        });
        return;
      }
      case 'reset-before':
        note('reset-before');
        req.resume();
        req.on('end', () => req.socket.resetAndDestroy());
        return;
      case 'delay':
        note('delay');
        req.pause();
        setTimeout(fault.bodyBytesPerSecond === undefined ? passOn : () => paced(fault.bodyBytesPerSecond!), fault.delayMs);
        return;
      case 'drop-answer':
        note('drop-answer');
        return buffered(() => req.socket.resetAndDestroy());
      case 'rewrite':
        return buffered((up, body) => {
          note('rewrite');
          const replaced = Buffer.from(fault.rewrite!(body.toString('utf8'), info), 'utf8');
          const headers = { ...up.headers, 'content-length': String(replaced.length) };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
          res.end(info.method === 'HEAD' ? undefined : replaced);
        });
      case 'reset-mid-body':
      case 'truncate':
        return buffered((up, body) => {
          // An answer without a body cannot be cut short: its loss is a dropped answer.
          if (body.length < 2 || info.method === 'HEAD') {
            note('drop-answer');
            req.socket.resetAndDestroy();
            return;
          }
          note(fault.kind);
          const half = body.subarray(0, Math.floor(body.length / 2));
          req.socket.write(Buffer.concat([Buffer.from(rawHead(up, body.length)), half]), () => {
            if (fault.kind === 'truncate') req.socket.end();
            // A reset discards what the peer has not read yet: give the half body time to arrive.
            else setTimeout(() => req.socket.resetAndDestroy(), 20);
          });
        });
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A client that resets while the proxy writes is a normal event here.
  server.on('clientError', (_e, s: Socket) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    log,
    seen,
    get requests() {
      return requests;
    },
    total: () => Object.values(injected).reduce((a, b) => a + b, 0),
    setRate: (r) => {
      rate = r;
    },
    waitFor: (op, n) =>
      (seen[op] ?? 0) >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ op, n, resolve })),
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The rules under which a listing fails after its first page, for good: the first page is made to
 * say more follow, and every request for the next one gets `fault` (the wire's retries included).
 * `first` narrows which first pages are rewritten (one bucket's, behind a proxy it shares).
 */
export function listingFailsAfterFirstPage(fault: 'internal' | 'reset-before' = 'internal', first: (r: RequestInfo) => boolean = () => true): FaultRule[] {
  return [
    {
      kind: 'rewrite',
      match: (r) => r.op === 'ListObjectsV2' && !r.query.has('continuation-token') && first(r),
      rewrite: (body) => body.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>true</IsTruncated><NextContinuationToken>more</NextContinuationToken>'),
    },
    { kind: fault, match: (r) => r.op === 'ListObjectsV2' && r.query.has('continuation-token') },
  ];
}

/** A one-line account of what a proxy injected, for test logs. */
export function describeInjected(p: FaultProxy): string {
  const parts = FAULT_KINDS.filter((k) => p.injected[k] > 0).map((k) => `${k} ${p.injected[k]}`);
  return `${p.total()} fault(s) in ${p.requests} request(s)${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
