/**
 * Effective visibility, seen the way a stranger sees it: an unsigned HEAD against the object's
 * public address. This covers ACLs, bucket policies and public access blocks together, on any
 * provider, which no reading of settings can.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ProviderId } from './providers';

/** What an anonymous reader gets: `readable`, `denied`, `missing`, or `error` with the reason. */
export type AnonymousAccess =
  | { readonly access: 'readable' | 'denied' | 'missing'; readonly status: number }
  | { readonly access: 'error'; readonly status?: number; readonly reason: string };

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** Encodes a key for a URL path: every byte but unreserved characters and '/'. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** The public address of `key` in `bucket`, as a browser would use it. */
export function publicObjectUrl(provider: ProviderId, endpoint: string | undefined, region: string, bucket: string, key: string): string {
  if (provider === 'aws' && endpoint === undefined) {
    // Dotted bucket names do not match the wildcard certificate: use the path-style host for them.
    return bucket.includes('.')
      ? `https://s3.${region}.amazonaws.com/${bucket}/${encodeKey(key)}`
      : `https://${bucket}.s3.${region}.amazonaws.com/${encodeKey(key)}`;
  }
  return `${(endpoint ?? '').replace(/\/+$/, '')}/${bucket}/${encodeKey(key)}`;
}

/** Sends one unsigned HEAD, retrying passing faults a few times. */
export async function probeAnonymous(url: string, attempts = 4): Promise<AnonymousAccess> {
  let last: AnonymousAccess = { access: 'error', reason: 'not tried' };
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    last = await headOnce(url);
    if (last.access !== 'error') return last;
  }
  return last;
}

function headOnce(url: string): Promise<AnonymousAccess> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method: 'HEAD', agent: agents[u.protocol as 'http:' | 'https:'], timeout: 30_000 }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206 || status === 304) resolve({ access: 'readable', status });
      else if (status === 401 || status === 403) resolve({ access: 'denied', status });
      else if (status === 404) resolve({ access: 'missing', status });
      else resolve({ access: 'error', status, reason: `HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ access: 'error', reason: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end();
  });
}
