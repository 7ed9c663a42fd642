/**
 * A local stand-in for the GitHub REST API, for the calls the actions make: collaborator
 * permission, pull request head, commit statuses, and issue comments (list with paging, create,
 * update). It records every request, checks the token, and plays the answers a test sets up.
 * It listens under `/api/v3`, the way GitHub Enterprise Server does, so a client that ignored
 * GITHUB_API_URL (or dropped its path) would miss it.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path below the API base, decoded, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization?: string;
  readonly body?: unknown;
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: 'User' | 'Bot' };
  html_url: string;
}

export interface FakeGitHub {
  /** The API base URL to put in GITHUB_API_URL. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Login to the answer of the permission endpoint; a missing login answers 404. */
  readonly permissions: Map<string, { permission: string; role_name?: string }>;
  /** Pull request number to its head SHA. */
  readonly pulls: Map<number, string>;
  /** Issue number to its comments, oldest first. */
  readonly comments: Map<number, FakeComment[]>;
  readonly statuses: { sha: string; body: Record<string, unknown> }[];
  /** When true, every write (status, comment) answers 403 as for a token without the permission. */
  denyWrites: boolean;
  /** The token requests must carry. */
  token: string;
  /** Requests whose path starts with `prefix`, as `METHOD path` lines. */
  calls(prefix?: string): string[];
  close(): Promise<void>;
}

const BASE = '/api/v3';

export async function startFakeGitHub(token: string): Promise<FakeGitHub> {
  let nextId = 1000;
  const state = {
    requests: [] as RecordedRequest[],
    permissions: new Map<string, { permission: string; role_name?: string }>(),
    pulls: new Map<number, string>(),
    comments: new Map<number, FakeComment[]>(),
    statuses: [] as { sha: string; body: Record<string, unknown> }[],
    denyWrites: false,
    token,
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const rel = decodeURIComponent(u.pathname.startsWith(BASE) ? u.pathname.slice(BASE.length) : u.pathname);
      state.requests.push({ method: req.method ?? '', path: rel, query: Object.fromEntries(u.searchParams), authorization: req.headers.authorization, body });
      const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(data));
      };
      const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      const forbidden = () => send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });

      if (!u.pathname.startsWith(`${BASE}/`)) return notFound();
      if (req.headers.authorization !== `token ${state.token}`) return send(401, { message: 'Bad credentials' });
      const origin = `http://${req.headers.host}`;
      let m: RegExpExecArray | null;

      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(rel))) {
        const p = state.permissions.get(m[1]!);
        return p ? send(200, { permission: p.permission, role_name: p.role_name, user: { login: m[1] } }) : notFound();
      }
      if (req.method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(rel))) {
        const sha = state.pulls.get(Number(m[1]));
        return sha ? send(200, { number: Number(m[1]), head: { sha } }) : notFound();
      }
      if (req.method === 'POST' && (m = /^\/repos\/[^/]+\/[^/]+\/statuses\/([0-9a-f]+)$/.exec(rel))) {
        if (state.denyWrites) return forbidden();
        state.statuses.push({ sha: m[1]!, body: body as Record<string, unknown> });
        return send(201, { id: nextId++, state: (body as { state?: string }).state });
      }
      if ((m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(rel))) {
        const issue = Number(m[3]);
        const list = state.comments.get(issue) ?? [];
        if (req.method === 'GET') {
          const perPage = Math.min(Number(u.searchParams.get('per_page') ?? 30), 100);
          const page = Number(u.searchParams.get('page') ?? 1);
          const slice = list.slice((page - 1) * perPage, page * perPage);
          const headers: Record<string, string> = {};
          if (page * perPage < list.length) {
            const next = new URL(u.pathname, origin);
            next.searchParams.set('per_page', String(perPage));
            next.searchParams.set('page', String(page + 1));
            headers.link = `<${next.href}>; rel="next"`;
          }
          return send(200, slice, headers);
        }
        if (req.method === 'POST') {
          if (state.denyWrites) return forbidden();
          const id = nextId++;
          const c: FakeComment = { id, body: String((body as { body?: string }).body), user: { login: 'github-actions[bot]', type: 'Bot' }, html_url: `https://github.example/${m[1]}/${m[2]}/issues/${issue}#issuecomment-${id}` };
          state.comments.set(issue, [...list, c]);
          return send(201, c);
        }
      }
      if (req.method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(rel))) {
        if (state.denyWrites) return forbidden();
        const id = Number(m[1]);
        for (const list of state.comments.values()) {
          const c = list.find((x) => x.id === id);
          if (c) {
            c.body = String((body as { body?: string }).body);
            return send(200, c);
          }
        }
        return notFound();
      }
      return notFound();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}${BASE}`,
    calls: (prefix = '') => state.requests.filter((r) => r.path.startsWith(prefix)).map((r) => `${r.method} ${r.path}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** Adds `n` unrelated comments to an issue, so that the marked one is not on the first page. */
export function seedComments(gh: FakeGitHub, issue: number, n: number): void {
  const list = gh.comments.get(issue) ?? [];
  for (let i = 0; i < n; i++) {
    list.push({ id: 1 + i, body: i === 3 ? 'someone quoting <!-- ci-stores:upload-logs:x --> mid-text' : `comment ${i}`, user: { login: `user${i % 5}`, type: 'User' }, html_url: `https://github.example/c/${i}` });
  }
  gh.comments.set(issue, list);
}
