/**
 * A local stand-in for the GitHub Actions cache service (v2, the one runners use today), for the
 * real `@actions/cache` inside a bundle: the twirp JSON service at
 * `/twirp/github.actions.results.api.v1.CacheService/` (GetCacheEntryDownloadURL, CreateCacheEntry,
 * FinalizeCacheEntryUpload) and the signed blob URLs it hands out, served by the same server on
 * 127.0.0.1: uploads as the Azure blob client sends them (Put Blob, or Put Block then Put Block
 * List), downloads as a GET, a `Range` or `x-ms-range` honoured. It records every request and every
 * entry (key, version, bytes), so a test can say what was saved and restored.
 *
 * Matching follows the service: only finalized entries of the same version; the primary key
 * exactly, then each key of `[key, ...restore_keys]` as a prefix, the newest entry first. An entry
 * whose key and version exist already cannot be created again (409 `already_exists`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export const CACHE_SERVICE = 'github.actions.results.api.v1.CacheService';

export interface CacheEntry {
  readonly id: number;
  readonly key: string;
  readonly version: string;
  /** What was uploaded: a Put Blob's body, or the blocks a Put Block List named, in its order. */
  bytes?: Buffer;
  finalized: boolean;
  /** Blocks staged by Put Block, by block id. */
  readonly blocks: Map<string, Buffer>;
}

export interface CacheRequest {
  /** A twirp method name, or `PutBlob`, `PutBlock`, `PutBlockList`, `GetBlob`, `Unknown`. */
  readonly op: string;
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The Host header the client sent. */
  readonly host?: string;
  readonly status: number;
  readonly authorization?: string;
  /** A twirp request's JSON body. */
  readonly body?: Record<string, unknown>;
  /** The entry a blob request was for. */
  readonly entry?: number;
  /** Bytes received (uploads) or sent (downloads). */
  readonly bytes?: number;
  readonly range?: string;
}

export interface ActionsCacheService {
  /** ACTIONS_RESULTS_URL. */
  readonly url: string;
  readonly token: string;
  /** The variables a runner sets for the v2 service. */
  env(): Record<string, string>;
  readonly requests: CacheRequest[];
  readonly entries: CacheEntry[];
  /** The finalized entries, oldest first. */
  saved(): CacheEntry[];
  /** Twirp methods answered with a twirp error instead (status and message), as the service refuses a token without the scope. */
  readonly refuse: Map<string, { status: number; msg: string }>;
  close(): Promise<void>;
}

const BLOB_PREFIX = '/devstoreaccount1/actions-cache/';

/** Starts the service on 127.0.0.1 (`port` 0: any free port). */
export async function startActionsCacheService(port = 0): Promise<ActionsCacheService> {
  const token = `runtime-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(32);
  const requests: CacheRequest[] = [];
  const entries: CacheEntry[] = [];
  const refuse = new Map<string, { status: number; msg: string }>();
  let base = '';

  const sign = (id: number, permission: 'r' | 'w') => createHmac('sha256', secret).update(`${id}:${permission}`).digest('base64url');
  const signedUrl = (id: number, permission: 'r' | 'w') => `${base}${BLOB_PREFIX}${id}?sv=2024-08-04&sp=${permission}&sig=${sign(id, permission)}`;
  const signatureOk = (id: number, q: URLSearchParams, permission: 'r' | 'w') => {
    const sig = Buffer.from(q.get('sig') ?? '');
    const want = Buffer.from(sign(id, permission));
    return q.get('sp') === permission && sig.length === want.length && timingSafeEqual(sig, want);
  };
  const newest = (match: (e: CacheEntry) => boolean) => [...entries].reverse().find((e) => e.finalized && match(e));

  const twirp = (method: string, body: Record<string, unknown>): { status: number; answer: Record<string, unknown> } => {
    const key = typeof body.key === 'string' ? body.key : '';
    const version = typeof body.version === 'string' ? body.version : '';
    if (!key || !/^[0-9a-f]{64}$/.test(version)) return { status: 400, answer: { code: 'invalid_argument', msg: 'key and version (sha256 hex) are required' } };
    switch (method) {
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.filter((k): k is string => typeof k === 'string') : [];
        let hit = newest((e) => e.key === key && e.version === version);
        for (const prefix of [key, ...restoreKeys]) hit ??= newest((e) => e.key.startsWith(prefix) && e.version === version);
        return { status: 200, answer: hit ? { ok: true, signed_download_url: signedUrl(hit.id, 'r'), matched_key: hit.key } : { ok: false } };
      }
      case 'CreateCacheEntry': {
        if (entries.some((e) => e.key === key && e.version === version)) return { status: 409, answer: { code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' } };
        const entry: CacheEntry = { id: entries.length + 1, key, version, finalized: false, blocks: new Map() };
        entries.push(entry);
        return { status: 200, answer: { ok: true, signed_upload_url: signedUrl(entry.id, 'w') } };
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized);
        if (!entry) return { status: 404, answer: { code: 'not_found', msg: 'no cache entry is being uploaded under this key and version' } };
        if (entry.bytes === undefined || String(entry.bytes.length) !== String(body.size_bytes)) {
          return { status: 200, answer: { ok: false, message: `uploaded ${entry.bytes?.length ?? 0} bytes, finalize says ${String(body.size_bytes)}` } };
        }
        entry.finalized = true;
        return { status: 200, answer: { ok: true, entry_id: String(entry.id) } };
      }
      default:
        return { status: 404, answer: { code: 'bad_route', msg: `no handler for ${method}` } };
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', base);
      const body = Buffer.concat(chunks);
      const record = (r: Omit<CacheRequest, 'method' | 'path' | 'host' | 'authorization'>) =>
        requests.push({ method: req.method ?? '', path: u.pathname, host: req.headers.host, authorization: req.headers.authorization, ...r });
      const twirpPath = `/twirp/${CACHE_SERVICE}/`;
      if (u.pathname.startsWith(twirpPath) && req.method === 'POST') {
        const method = u.pathname.slice(twirpPath.length);
        let parsed: Record<string, unknown> = {};
        let status: number;
        let answer: Record<string, unknown>;
        try {
          parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          if (req.headers.authorization !== `Bearer ${token}`) ({ status, answer } = { status: 401, answer: { code: 'unauthenticated', msg: 'no valid runtime token' } });
          else if (!String(req.headers['content-type']).startsWith('application/json')) ({ status, answer } = { status: 415, answer: { code: 'bad_route', msg: 'only application/json is served here' } });
          else if (refuse.has(method)) ({ status, answer } = { status: refuse.get(method)!.status, answer: { code: 'permission_denied', msg: refuse.get(method)!.msg } });
          else ({ status, answer } = twirp(method, parsed));
        } catch {
          ({ status, answer } = { status: 400, answer: { code: 'malformed', msg: 'the body is not JSON' } });
        }
        record({ op: method, status, body: parsed });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      const id = u.pathname.startsWith(BLOB_PREFIX) ? Number(u.pathname.slice(BLOB_PREFIX.length)) : NaN;
      const entry = entries.find((e) => e.id === id);
      const blobError = (op: string, status: number, code: string) => {
        record({ op, status, entry: entry?.id });
        res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code }).end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
      };
      const comp = u.searchParams.get('comp');
      if (req.method === 'PUT') {
        const op = comp === 'block' ? 'PutBlock' : comp === 'blocklist' ? 'PutBlockList' : comp === null ? 'PutBlob' : 'Unknown';
        if (!entry || op === 'Unknown') return blobError(op, 404, 'ResourceNotFound');
        if (!signatureOk(entry.id, u.searchParams, 'w')) return blobError(op, 403, 'AuthenticationFailed');
        if (entry.finalized) return blobError(op, 409, 'BlobImmutable');
        if (op === 'PutBlob') {
          if (req.headers['x-ms-blob-type'] !== 'BlockBlob') return blobError(op, 400, 'InvalidHeaderValue');
          entry.bytes = body;
          entry.blocks.clear();
        } else if (op === 'PutBlock') {
          const blockId = u.searchParams.get('blockid');
          if (!blockId) return blobError(op, 400, 'InvalidQueryParameterValue');
          entry.blocks.set(blockId, body);
        } else {
          const ids = [...body.toString('utf8').matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) => m[2]!);
          if (ids.length === 0 || ids.some((b) => !entry.blocks.has(b))) return blobError(op, 400, 'InvalidBlockList');
          entry.bytes = Buffer.concat(ids.map((b) => entry.blocks.get(b)!));
        }
        record({ op, status: 201, entry: entry.id, bytes: body.length });
        res.writeHead(201, { etag: `"0x${entry.id.toString(16)}${Date.now().toString(16)}"`, 'last-modified': new Date().toUTCString(), 'x-ms-request-id': randomBytes(8).toString('hex'), 'x-ms-version': '2024-08-04', 'x-ms-request-server-encrypted': 'true', 'content-length': '0' }).end();
        return;
      }
      if (req.method === 'GET') {
        if (!entry || !entry.finalized || entry.bytes === undefined) return blobError('GetBlob', 404, 'BlobNotFound');
        if (!signatureOk(entry.id, u.searchParams, 'r')) return blobError('GetBlob', 403, 'AuthenticationFailed');
        const all = entry.bytes;
        const range = (req.headers['x-ms-range'] ?? req.headers.range) as string | undefined;
        const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
        if (range && (!m || Number(m[1]) >= all.length)) {
          record({ op: 'GetBlob', status: 416, entry: entry.id, range });
          res.writeHead(416, { 'content-range': `bytes */${all.length}` }).end();
          return;
        }
        const from = m ? Number(m[1]) : 0;
        const to = m && m[2] ? Math.min(Number(m[2]), all.length - 1) : all.length - 1;
        const part = all.subarray(from, to + 1);
        record({ op: 'GetBlob', status: m ? 206 : 200, entry: entry.id, bytes: part.length, range });
        res.writeHead(m ? 206 : 200, { 'content-type': 'application/octet-stream', 'content-length': String(part.length), 'accept-ranges': 'bytes', ...(m ? { 'content-range': `bytes ${from}-${to}/${all.length}` } : {}) }).end(part);
        return;
      }
      blobError('Unknown', 404, 'ResourceNotFound');
    });
  });
  // Idle connections kept a minute, as the service's front ends keep them: with Node's 5 s a
  // client reusing an idle connection races its close on a loaded machine (ECONNRESET).
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/`,
    token,
    env: () => ({ ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${base}/`, ACTIONS_RUNTIME_TOKEN: token }),
    requests,
    entries,
    saved: () => entries.filter((e) => e.finalized),
    refuse,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
