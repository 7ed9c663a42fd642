'use strict';
/**
 * HTTP and HTTPS rows. Every bench cluster has a plain endpoint and an HTTPS one whose certificate
 * comes from the cluster's own throwaway CA (scripts/rgw start --tls). A suite measures each tool
 * over the transports `--transport` names (http, https, or both, the default), each tool trusting
 * the cluster's CA its own way: ours through the store option `ca=`, the AWS CLI through
 * `--ca-bundle`, rclone through `--ca-cert`, curl through `--cacert`. No tool is told to skip
 * certificate checks.
 */

const fs = require('node:fs');
const path = require('node:path');

const TRANSPORTS = ['http', 'https'];

const TRANSPORT_OPTION = { transport: 'http, https or both (default both): the endpoints every tool is measured over, side by side' };

/** The transports `--transport` asks for, in table order. */
function transportsOf(options) {
  const v = options.transport ?? 'both';
  if (v === 'both') return TRANSPORTS;
  if (TRANSPORTS.includes(v)) return [v];
  throw new Error(`--transport must be http, https or both, got ${JSON.stringify(v)}`);
}

/** A cluster as a tool sees it over `transport`: the same keys, the endpoint of that transport, and the CA to trust for https. */
function over(cluster, transport) {
  if (transport === 'http') return { ...cluster, transport };
  if (!cluster.tlsEndpoint || !cluster.caFile) throw new Error(`${cluster.name} has no HTTPS endpoint (started without --tls)`);
  return { ...cluster, endpoint: cluster.tlsEndpoint, transport };
}

const https = (store) => store.transport === 'https';
/** ` ca=FILE` for a store line of ours over https; nothing over http. */
const storeCaOption = (store) => (https(store) ? ` ca=${store.caFile}` : '');
const awsCaArgs = (store) => (https(store) ? ['--ca-bundle', store.caFile] : []);
/**
 * rclone's `--ca-cert` for the stores of one command (rclone 1.60 takes one file): their CAs in one
 * bundle written to `dir` when there are two.
 */
function rcloneCaArgs(stores, dir) {
  const list = [stores].flat().filter(https);
  if (list.length === 0) return [];
  const files = [...new Set(list.map((s) => s.caFile))];
  if (files.length === 1) return ['--ca-cert', files[0]];
  const bundle = path.join(dir, 'rclone-cas.pem');
  fs.writeFileSync(bundle, files.map((f) => fs.readFileSync(f, 'utf8')).join('\n'));
  return ['--ca-cert', bundle];
}
const curlCaArgs = (store) => (https(store) ? ['--cacert', store.caFile] : []);

/**
 * The client CPU TLS added: on each https row, `cpu s` over the http row of the same case (`_case`
 * without its transport, `_tool`) and stores, as seconds and per cent; empty on http rows.
 */
function addTlsCost(rows, column = 'TLS cpu +') {
  for (const r of rows) {
    r[column] = '';
    if (r.transport !== 'https') continue;
    const plain = rows.find((p) => p.transport === 'http' && p._tool === r._tool && p.stores === r.stores);
    if (!plain) continue;
    const added = r['cpu s'] - plain['cpu s'];
    r[column] = `${added >= 0 ? '+' : ''}${added.toFixed(2)} s (${added >= 0 ? '+' : ''}${((100 * added) / plain['cpu s']).toFixed(0)} %)`;
  }
  return rows;
}

module.exports = { TRANSPORTS, TRANSPORT_OPTION, transportsOf, over, storeCaOption, awsCaArgs, rcloneCaArgs, curlCaArgs, addTlsCost };
