/**
 * The one factory of the HTTP agents every request to a store goes out on (the SDK's, the lean
 * client's, the anonymous probe's), so that all of them honour `HTTPS_PROXY`, `HTTP_PROXY` and
 * `NO_PROXY` alike (see `proxy-env.ts` for what is accepted).
 *
 * Through a proxy, every origin is reached by a CONNECT tunnel (`https-proxy-agent`): for an https
 * origin the TLS runs end to end inside it, so the proxy never sees the request, its signature or
 * its credentials, and the store's own CAs (`ca=`) decide which certificate the origin may show.
 * A plain http origin is tunnelled too (as `@actions/http-client` does), so no key is ever
 * rewritten into an absolute URL on the way. The proxy itself may be http:// or https:// (its
 * certificate is checked against Node's CAs and `NODE_EXTRA_CA_CERTS`, never the store's).
 * Without a proxy variable the agents are Node's own, as before.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent as RoutingBase, type AgentConnectOpts } from 'agent-base';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { certificateProblem } from './errors';
import { proxyFor, proxyLabel, proxySettings, type ProxySettings } from './proxy-env';

export interface StoreAgentOptions {
  /** Sockets per origin, in use and kept idle. */
  readonly maxSockets: number;
  /** PEM CAs that alone decide which server certificates the https agent accepts (for the origin, not the proxy). */
  readonly ca?: string;
  /** Where the proxy variables are read (default: the process environment, when the agents are made). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Through a proxy, how long the tunnel (the proxy's connection, its answer to CONNECT and the
   * origin's TLS) may take before the request fails as a timeout (retried). Neither wire's own
   * connect timer covers it: a request gets its socket only once the tunnel stands. Default 10 s.
   */
  readonly connectTimeoutMs?: number;
}

/** A pair of agents, one per scheme. */
export interface StoreAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

/**
 * A proxy that answered CONNECT with anything but 200: a configuration problem, never retried.
 * The message names the proxy by scheme, host and port only (never its userinfo) and the origin.
 */
export class ProxyRefusedError extends Error {
  override readonly name = 'ProxyRefusedError';
  readonly code = 'ProxyRefused';
  constructor(
    readonly proxy: string,
    readonly origin: string,
    readonly status: number,
    statusText: string,
  ) {
    super(`the proxy ${proxy} refused the tunnel to ${origin}: HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  }
}

/**
 * An https:// proxy whose own certificate TLS refused: a configuration problem, never retried, and
 * not the store's (whose `ca=` does not apply to the proxy). The original TLS error is not kept as
 * the cause, so that nothing reads it as the store's certificate.
 */
export class ProxyCertificateError extends Error {
  override readonly name = 'ProxyCertificateError';
  readonly code = 'ProxyCertificate';
  constructor(
    readonly proxy: string,
    readonly origin: string,
    problem: string,
  ) {
    super(`the TLS certificate of the proxy ${proxy} (on the way to ${origin}) was refused: ${problem}; a proxy's certificate is checked with Node's CAs and NODE_EXTRA_CA_CERTS, never a store's ca=`);
  }
}

/** Makes the agents of one store (or of the anonymous probe): keep-alive, sized, proxied as the environment says. */
export function createStoreAgents(o: StoreAgentOptions): StoreAgents {
  const base = { keepAlive: true, maxSockets: o.maxSockets, maxFreeSockets: o.maxSockets };
  const direct = { http: new http.Agent(base), https: new https.Agent(o.ca === undefined ? base : { ...base, ca: o.ca }) };
  const settings = proxySettings(o.env ?? process.env);
  const deadline = o.connectTimeoutMs ?? 10_000;
  return {
    http: settings.http === undefined ? direct.http : (new RoutingAgent(settings, direct.http, {}, base, deadline) as unknown as http.Agent),
    https: settings.https === undefined ? direct.https : (new RoutingAgent(settings, direct.https, o.ca === undefined ? {} : { ca: o.ca }, base, deadline) as unknown as https.Agent),
  };
}

/**
 * Decides per connection: to a host `NO_PROXY` names, the request goes to the direct agent (its
 * own pool); to any other, through a tunnel of the proxy, with the origin's TLS options.
 */
class RoutingAgent extends RoutingBase {
  constructor(
    private readonly settings: ProxySettings,
    private readonly direct: http.Agent,
    private readonly originTls: { ca?: string },
    options: http.AgentOptions,
    private readonly deadlineMs: number,
  ) {
    super(options);
  }

  override async connect(req: http.ClientRequest, opts: AgentConnectOpts): Promise<Duplex | http.Agent> {
    const protocol = opts.secureEndpoint ? 'https:' : 'http:';
    const host = opts.host ?? 'localhost';
    const port = Number(opts.port ?? (opts.secureEndpoint ? 443 : 80));
    const proxy = proxyFor(this.settings, protocol, host, port);
    if (proxy === undefined) return this.direct;
    const label = proxyLabel(proxy);
    let refused: { statusCode: number; statusText: string } | undefined;
    req.once('proxyConnect', (answer: { statusCode: number; statusText: string }) => {
      if (answer.statusCode !== 200) refused = answer;
    });
    // One tunnel agent per connection, so that its socket to the proxy can be closed at the deadline
    // (the agent keeps no socket: the pooling is this agent's).
    const abort = new AbortController();
    const tunnel = new HttpsProxyAgent(proxy, { keepAlive: true, signal: abort.signal } as ConstructorParameters<typeof HttpsProxyAgent>[1]);
    const connecting = tunnel.connect(req, { ...opts, ...this.originTls } as AgentConnectOpts);
    let socket: net.Socket;
    try {
      socket = await beforeDeadline(connecting, this.deadlineMs, abort, `no tunnel through the proxy ${label} to ${host}:${port} within ${this.deadlineMs} ms`);
    } catch (e) {
      // The tunnel agent hands over the origin's TLS socket before its handshake: a certificate
      // refused while the tunnel is made is the proxy's own.
      const problem = certificateProblem(e);
      throw problem === undefined ? e : new ProxyCertificateError(label, `${host}:${port}`, problem);
    }
    if (refused !== undefined) {
      socket.destroy();
      throw new ProxyRefusedError(label, `${host}:${port}`, refused.statusCode, refused.statusText);
    }
    return socket;
  }

  override destroy(): void {
    super.destroy();
    this.direct.destroy();
  }
}

/**
 * `tunnel`'s socket, or a timeout error (`TimeoutError`, `ETIMEDOUT`: what both wires retry) once
 * `ms` pass first; then the connection to the proxy is aborted, and a socket the tunnel hands over
 * after that is closed.
 */
function beforeDeadline(tunnel: Promise<net.Socket>, ms: number, abort: AbortController, message: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      abort.abort();
      reject(Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
    }, ms);
    tunnel.then(
      (socket) => {
        clearTimeout(timer);
        if (late) socket.destroy();
        else resolve(socket);
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (!late) reject(e as Error);
      },
    );
  });
}
