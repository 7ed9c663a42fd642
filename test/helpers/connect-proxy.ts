/**
 * A local forward proxy for the proxy suites: a plain HTTP server on 127.0.0.1 (or an HTTPS one,
 * with `tls`) that carries CONNECT tunnels and absolute-URI requests, and records each
 * `host:port` it carried.
 *
 * It resolves the test names itself (`.test`, the provider domains of helpers/test-hosts.ts: to
 * 127.0.0.1) without touching `dns.lookup`; a test that does not install the resolver hook can then
 * reach those names only through this proxy, so a request that bypassed it fails.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { isTestHost } from './test-hosts';

export interface ConnectProxyOptions {
  /** Answer every CONNECT with this status instead of opening the tunnel (e.g. 403). */
  readonly refuse?: number;
  /** Serve the proxy itself over TLS with this certificate (an `https://` proxy). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`) */
  readonly url: string;
  readonly port: number;
  /** Each `host:port` carried (a CONNECT's target, an absolute URI's host), in order. */
  readonly carried: string[];
  /** The `Proxy-Authorization` header of each request, or `undefined`. */
  readonly authorizations: (string | undefined)[];
  /** Every byte the client sent the proxy: request heads, and the contents of tunnels. */
  received(): Buffer;
  close(): Promise<void>;
}

const target = (host: string) => (isTestHost(host) ? '127.0.0.1' : host);

/** Splits `host:port` (IPv6 bracketed). */
function hostPort(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: text, port: 443 };
}

export async function startConnectProxy(o: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const carried: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const note = (c: Buffer) => chunks.push(Buffer.from(c));

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // An absolute-URI request: forward the target as written after the authority (never normalized).
    const raw = req.url ?? '';
    const m = /^http:\/\/([^/]+)(\/.*)?$/i.exec(raw);
    authorizations.push(req.headers['proxy-authorization']);
    note(Buffer.from(`${req.method} ${raw}\r\n${JSON.stringify(req.headers)}\r\n`));
    if (!m) {
      res.writeHead(400).end();
      return;
    }
    const { host, port } = hostPort(m[1]!.includes(':') ? m[1]! : `${m[1]}:80`);
    carried.push(`${host}:${port}`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request({ host: target(host), port, method: req.method, path: m[2] ?? '/', headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.on('data', note);
    req.pipe(up);
  };
  const server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : http.createServer(handler);

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    authorizations.push(req.headers['proxy-authorization']);
    note(Buffer.from(`CONNECT ${req.url}\r\n${JSON.stringify(req.headers)}\r\n`));
    const { host, port } = hostPort(req.url ?? '');
    carried.push(`${host}:${port}`);
    client.on('error', () => undefined);
    if (o.refuse !== undefined) {
      client.end(`HTTP/1.1 ${o.refuse} ${http.STATUS_CODES[o.refuse] ?? 'Refused'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const up = net.connect(port, target(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) {
        note(head);
        up.write(head);
      }
      client.on('data', note);
      client.pipe(up);
      up.pipe(client);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    carried,
    authorizations,
    received: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
