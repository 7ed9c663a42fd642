/**
 * Names of real providers' hosts (`BUCKET.us-east-1.linodeobjects.com`, `BUCKET.s3.us-east-1.amazonaws.com`)
 * and of the `.test` domain, resolved to 127.0.0.1 inside this test process only: `dns.lookup`,
 * which Node's sockets (and so the SDK and the lean path) ask for every host name, answers loopback
 * for them. Nothing is written to /etc/hosts and nothing for those names leaves the machine; other
 * names resolve as usual. `lookups` records every name asked for while installed.
 */
import dns from 'node:dns';
import * as path from 'node:path';

/** Host names that resolve to 127.0.0.1 while installed: `.test` (RFC 2606) and the provider domains the tests use. */
export const TEST_DOMAINS = ['test', 'linodeobjects.com', 'amazonaws.com'] as const;

export function isTestHost(name: string): boolean {
  const host = name.toLowerCase().replace(/\.$/, '');
  return TEST_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

export interface TestHosts {
  /** Every host name looked up since install, in order. */
  readonly lookups: string[];
  /** Puts the original `dns.lookup` back. */
  uninstall(): void;
}

let installed: TestHosts | undefined;

/** Installs the hook (once per process; a second call returns the first one). */
export function resolveTestHosts(): TestHosts {
  if (installed) return installed;
  const original = dns.lookup;
  const lookups: string[] = [];
  const hook = function (hostname: string, options: unknown, callback?: LookupCallback) {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = (typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : (options ?? {})) as dns.LookupOptions;
    lookups.push(hostname);
    if (!isTestHost(hostname)) return (original as (...a: unknown[]) => void).call(dns, hostname, options, callback);
    process.nextTick(() => (opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
  };
  (dns as { lookup: unknown }).lookup = hook;
  installed = {
    lookups,
    uninstall() {
      (dns as { lookup: unknown }).lookup = original;
      installed = undefined;
    },
  };
  return installed;
}

/** The preload that installs the same names in a child process (plain JavaScript, as Node loads it there). */
export const TEST_HOSTS_PRELOAD = path.join(__dirname, 'test-hosts-preload.js');

/**
 * The environment that gives a child process (an action's bundle) the test host names:
 * NODE_OPTIONS requiring the preload, which appends every name the child looks up to `logFile`.
 * Any name outside the test domains (but `localhost` and IP literals) fails to resolve there.
 */
export function testHostsEnv(logFile: string): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `--require ${JSON.stringify(TEST_HOSTS_PRELOAD)}`, CI_STORES_TEST_HOSTS_LOG: logFile };
}
