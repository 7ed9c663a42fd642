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
import { proxyFor, proxyLabel, proxySettings, type ProxySettings } from './proxy-env';

export interface StoreAgentOptions {
  /** Sockets per origin, in use and kept idle. */
  readonly maxSockets: number;
  /** PEM CAs that alone decide which server certificates the https agent accepts (for the origin, not the proxy). */
  readonly ca?: string;
  /** Where the proxy variables are read (default: the process environment, when the agents are made). */
  readonly env?: NodeJS.ProcessEnv;
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

/** Makes the agents of one store (or of the anonymous probe): keep-alive, sized, proxied as the environment says. */
export function createStoreAgents(o: StoreAgentOptions): StoreAgents {
  const base = { keepAlive: true, maxSockets: o.maxSockets, maxFreeSockets: o.maxSockets };
  const direct = { http: new http.Agent(base), https: new https.Agent(o.ca === undefined ? base : { ...base, ca: o.ca }) };
  const settings = proxySettings(o.env ?? process.env);
  return {
    http: settings.http === undefined ? direct.http : (new RoutingAgent(settings, direct.http, {}, base) as unknown as http.Agent),
    https: settings.https === undefined ? direct.https : (new RoutingAgent(settings, direct.https, o.ca === undefined ? {} : { ca: o.ca }, base) as unknown as https.Agent),
  };
}

/**
 * Decides per connection: to a host `NO_PROXY` names, the request goes to the direct agent (its
 * own pool); to any other, through a tunnel of the proxy, with the origin's TLS options.
 */
class RoutingAgent extends RoutingBase {
  private readonly tunnels = new Map<string, HttpsProxyAgent<string>>();

  constructor(
    private readonly settings: ProxySettings,
    private readonly direct: http.Agent,
    private readonly originTls: { ca?: string },
    options: http.AgentOptions,
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
    const socket: net.Socket = await this.tunnel(proxy).connect(req, { ...opts, ...this.originTls } as AgentConnectOpts);
    if (refused !== undefined) {
      socket.destroy();
      throw new ProxyRefusedError(label, `${host}:${port}`, refused.statusCode, refused.statusText);
    }
    return socket;
  }

  private tunnel(proxy: URL): HttpsProxyAgent<string> {
    const key = proxy.href;
    let agent = this.tunnels.get(key);
    if (agent === undefined) {
      // keepAlive here only sets `Proxy-Connection`; the pooling is this agent's.
      agent = new HttpsProxyAgent(proxy, { keepAlive: true });
      this.tunnels.set(key, agent);
    }
    return agent;
  }

  override destroy(): void {
    super.destroy();
    this.direct.destroy();
    for (const t of this.tunnels.values()) t.destroy();
  }
}
