/**
 * The host names of helpers/test-hosts.ts (`.test`, `linodeobjects.com`, `amazonaws.com`, and
 * their subdomains) resolved to 127.0.0.1 in a child process, such as an action's bundle:
 * `NODE_OPTIONS="--require <this file>"` (`testHostsEnv` in helpers/test-hosts.ts). Nothing is written to
 * /etc/hosts. Stricter than the in-process hook: `localhost` and IP literals resolve as usual and
 * any other name fails with ENOTFOUND, so a bundle run this way can reach nothing but loopback.
 * With CI_STORES_TEST_HOSTS_LOG set, every name looked up is appended to that file, a line each.
 */
'use strict';
const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');

const DOMAINS = ['test', 'linodeobjects.com', 'amazonaws.com'];
const log = process.env.CI_STORES_TEST_HOSTS_LOG;
const original = dns.lookup;

function isTestHost(name) {
  const host = String(name).toLowerCase().replace(/\.$/, '');
  return DOMAINS.some((d) => host === d || host.endsWith(`.${d}`));
}

dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'function' ? {} : typeof options === 'number' ? { family: options } : options || {};
  if (log) fs.appendFileSync(log, `${hostname}\n`);
  if (hostname === 'localhost' || net.isIP(hostname)) return original.call(dns, hostname, options, callback);
  process.nextTick(() => {
    if (!isTestHost(hostname)) {
      const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (only loopback names resolve in this test)`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
      return cb(e);
    }
    return opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  });
};
