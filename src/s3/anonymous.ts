/**
 * Effective visibility, seen the way a stranger sees it: an unsigned HEAD against the object's
 * public address. This covers ACLs, bucket policies and public access blocks together, on any
 * provider, which no reading of settings can.
 *
 * The request goes to the address's literal path: keys may hold `.`, `..` and empty segments,
 * which a URL parser would resolve, sending the probe to another object (or to the service root)
 * and its answer would then be about that object.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { isPrivateMarker, PRIVATE_MARKER } from './private-marker';
import type { PublicAddress } from './public-address';
import { ProviderId } from './providers';
import { createStoreAgents, type StoreAgents } from './agents';

/**
 * What an anonymous reader gets: `readable`, `denied`, `missing`, or `error` with the reason. A
 * readable answer says whether the object carries the private marker (it was written private).
 */
export type AnonymousAccess =
  | { readonly access: 'readable'; readonly status: number; readonly markedPrivate?: boolean }
  | { readonly access: 'denied' | 'missing'; readonly status: number }
  | { readonly access: 'error'; readonly status?: number; readonly reason: string };

// Made on the first probe, from the environment then (proxies included), and shared by every probe.
let shared: StoreAgents | undefined;
function agentFor(protocol: 'http:' | 'https:'): http.Agent {
  shared ??= createStoreAgents({ maxSockets: 64 });
  return protocol === 'https:' ? shared.https : shared.http;
}

/** Percent-encodes every byte of `text` but RFC 3986's unreserved characters: A-Z a-z 0-9 - _ . ~ */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Encodes a key for a URL path as the AWS SDK does: every byte but unreserved characters and '/'.
 * `.` is unreserved, so dot segments stay as they are: S3 takes the path literally, and so must
 * whatever sends it (`http.request` with a `path`, never `new URL()`).
 */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

// Bucket names the SDK addresses as a virtual host on AWS over TLS: one DNS label, lower case.
// Dotted names fail the wildcard certificate, so the SDK uses path style for them, and so does this.
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The public address of `key` in `bucket`, as the SDK addresses it (path-style off AWS). */
export function publicObjectAddress(provider: ProviderId, endpoint: string | undefined, region: string, bucket: string, key: string): PublicAddress {
  if (provider === 'aws' && endpoint === undefined) {
    const regional = `s3.${region}.amazonaws.com`;
    return VIRTUAL_HOSTABLE.test(bucket)
      ? { protocol: 'https:', hostname: `${bucket}.${regional}`, host: `${bucket}.${regional}`, path: `/${encodeKey(key)}` }
      : { protocol: 'https:', hostname: regional, host: regional, path: `/${bucket}/${encodeKey(key)}` };
  }
  if (endpoint === undefined) throw new Error(`no endpoint for a ${provider} store`);
  // The endpoint is the store's own configuration, checked when the store spec was read: parsing it
  // as a URL is safe. The key is added after, never parsed.
  const u = new URL(endpoint);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`endpoint scheme ${u.protocol} is not http: or https:`);
  return {
    protocol: u.protocol,
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port || undefined,
    host: u.host,
    path: `${u.pathname.replace(/\/+$/, '')}/${bucket}/${encodeKey(key)}`,
  };
}

/** Sends one unsigned HEAD to exactly `address.path`, retrying passing faults a few times. */
export async function probeAnonymous(address: PublicAddress, attempts = 4): Promise<AnonymousAccess> {
  let last: AnonymousAccess = { access: 'error', reason: 'not tried' };
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    last = await headOnce(address);
    if (last.access !== 'error') return last;
  }
  return last;
}

function headOnce(a: PublicAddress): Promise<AnonymousAccess> {
  return new Promise((resolve) => {
    const mod = a.protocol === 'https:' ? https : http;
    // Options, not a URL: `path` goes on the request line byte for byte.
    const options: http.RequestOptions = {
      protocol: a.protocol,
      hostname: a.hostname,
      port: a.port,
      path: a.path,
      method: 'HEAD',
      headers: { host: a.host },
      agent: agentFor(a.protocol),
      timeout: 30_000,
      // The agent keeps sockets made with other CAs apart.
      ...(a.ca !== undefined ? { ca: a.ca } : {}),
    };
    let req: http.ClientRequest;
    try {
      req = mod.request(options, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status === 200 || status === 206 || status === 304) resolve({ access: 'readable', status, markedPrivate: isPrivateMarker(res.headers[PRIVATE_MARKER.header]) });
        else if (status === 401 || status === 403) resolve({ access: 'denied', status });
        else if (status === 404) resolve({ access: 'missing', status });
        else resolve({ access: 'error', status, reason: `HTTP ${status}` });
      });
    } catch (e) {
      // A path Node refuses to send (it never is, for an encoded key) is a failed check, not a crash.
      resolve({ access: 'error', reason: (e as Error).message });
      return;
    }
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ access: 'error', reason: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end();
  });
}
