/**
 * Which proxy, if any, a request goes through: `HTTPS_PROXY` for https origins, `HTTP_PROXY` for
 * http ones, `NO_PROXY` for the hosts reached directly. Each variable is read in lower case first,
 * then upper case, as `@actions/http-client` (the GitHub API and the Actions cache) reads them, so
 * that every request of a run takes the same way.
 *
 * `NO_PROXY` is a comma list; blanks around entries and empty entries are ignored, case never
 * matters, a trailing dot of a name is ignored. An entry is
 * - `*`: every host;
 * - `example.com`: that host and every name under it (`a.example.com`);
 * - `.example.com` or `*.example.com`: the names under it only;
 * - any of these with `:PORT`: only on that port (the origin's port, 443 or 80 when the URL has none);
 * - an IP address (`10.0.0.7`, `[::1]`, `::1`), matched as written: no CIDR ranges.
 * Loopback (`localhost`, `127.x.x.x`, `::1`) is always reached directly.
 */
import { ConfigurationError } from '../config/configuration-error';

/** The proxies of one environment; `undefined` where none is set. */
export interface ProxySettings {
  readonly https?: URL;
  readonly http?: URL;
  readonly noProxy: string;
}

function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name.toLowerCase()] || env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * A proxy variable as a URL; a value without a scheme is taken as `http://`. Throws a
 * {@link ConfigurationError} naming the variable, never its value (it may hold a password).
 */
function proxyUrl(env: NodeJS.ProcessEnv, name: string): URL | undefined {
  const v = variable(env, name);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
  } catch {
    throw new ConfigurationError(`${name} is not a URL (its value is not shown: it may hold a password); expected http://HOST:PORT or https://HOST:PORT`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigurationError(`${name}: a proxy of scheme ${u.protocol} is not supported; allowed: http://, https://`);
  }
  if (u.hostname === '') throw new ConfigurationError(`${name} names no proxy host; expected http://HOST:PORT or https://HOST:PORT`);
  return u;
}

/** The proxy settings of `env` (default: the process environment); throws for a proxy variable that is not an http(s) URL. */
export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  return { https: proxyUrl(env, 'HTTPS_PROXY'), http: proxyUrl(env, 'HTTP_PROXY'), noProxy: variable(env, 'NO_PROXY') ?? '' };
}

/** `host` without brackets, trailing dot or case. */
function bare(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** An entry of NO_PROXY as its host and port (`undefined`: any port). */
function entry(text: string): { host: string; port?: number } {
  const t = text.toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(t);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
  const withPort = /^([^:]*):(\d+)$/.exec(t);
  if (withPort) return { host: withPort[1]!, port: Number(withPort[2]) };
  return { host: t };
}

/** Whether `NO_PROXY` (the text of the variable) sends a request to `hostname`:`port` directly. */
export function bypassesProxy(noProxy: string, hostname: string, port: number): boolean {
  const host = bare(hostname);
  if (isLoopback(host)) return true;
  for (const item of noProxy.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (item === '*') return true;
    const e = entry(item);
    if (e.port !== undefined && e.port !== port) continue;
    const name = e.host.replace(/^\*(?=\.)/, '').replace(/\.$/, '');
    if (name === '' || name === '.') continue;
    if (name.startsWith('.') ? host.endsWith(name) : host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy a request to `protocol//hostname:port` goes through under `settings`, or `undefined` for a direct one. */
export function proxyFor(settings: ProxySettings, protocol: string, hostname: string, port: number): URL | undefined {
  const proxy = protocol === 'https:' ? settings.https : settings.http;
  if (proxy === undefined || bypassesProxy(settings.noProxy, hostname, port)) return undefined;
  return proxy;
}

/** A proxy as a message may name it: scheme, host and port, never its user or password. */
export function proxyLabel(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * The passwords of the proxy variables in `env` (decoded, and as written when that differs), for
 * the caller to mask and redact; a variable that is not a URL gives none (reading it fails later).
 */
export function proxySecrets(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const name of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) {
    const v = env[name]?.trim();
    if (!v) continue;
    const written = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/@]*?:([^/@]*)@/i.exec(v)?.[1];
    if (written === undefined || written === '') continue;
    out.add(written);
    try {
      out.add(decodeURIComponent(written));
    } catch {
      // Not percent-encoded validly: the text as written is what a log would show.
    }
  }
  return [...out];
}
