import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LabServices } from '../services/types';
import type { WireMessage, WireRequest } from '../../shared/api/wire';
import { HTTP_API_PREFIX, WS_PATH } from '../../shared/api/wire';
import { createDispatcher } from './dispatch';
import { contentSecurityPolicy, contentType, resolveStaticPath } from './static-files';
import { newToken, tokenMatches } from './token';

/**
 * Browser mode: the built renderer over HTTP and the API over a WebSocket (plus a plain HTTP
 * POST endpoint for scripts), guarded by a random token and an Origin/Host check.
 */
export interface ServerOptions {
  host?: string;
  port?: number;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** Fixed token (tests); random by default. */
  token?: string;
}

export interface RunningServer {
  /** The page to open, token included. */
  url: string;
  token: string;
  port: number;
  /** The address the socket is bound to, as the kernel reports it (the URL shows 127.0.0.1 for a 0.0.0.0 bind). */
  address: string;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startServer(services: LabServices, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const dispatch = createDispatcher(services);
  let port = opts.port ?? 0;

  /** Loopback binds also check Host, so a DNS-rebound name cannot reach us even with a leaked page. */
  const hostAllowed = (req: IncomingMessage): boolean => {
    const h = req.headers.host;
    if (!h) return false;
    if (!LOOPBACK.has(host)) return true;
    const name = h.replace(/:\d+$/, '');
    return LOOPBACK.has(name) && h.endsWith(`:${port}`);
  };
  /** Browsers always send Origin on WebSocket and cross-site POSTs; absent means a non-browser client. */
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host}`;
  };
  const queryToken = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;

  const securityHeaders = (res: ServerResponse) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy([`ws://${hostForUrl(host)}:${port}`]));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    // The page URL carries the token: never send it onwards.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };
  const fail = (res: ServerResponse, status: number, message: string) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(message);
  };

  const server = createServer((req, res) => {
    securityHeaders(res);
    handle(req, res).catch((err) => {
      if (!res.headersSent) fail(res, 500, 'internal error');
      else res.destroy();
      void err;
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) return fail(res, 421, 'unexpected Host');
    if (!originAllowed(req)) return fail(res, 403, 'cross-origin request refused');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith(HTTP_API_PREFIX)) return handleApi(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'method not allowed');
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (isPage && !tokenMatches(token, url.searchParams.get('token'))) {
      return fail(res, 403, 'open the URL printed by `lth serve`: it carries the access token');
    }
    const file = resolveStaticPath(opts.staticDir, url.pathname);
    if (!file) return fail(res, 404, 'not found');
    let body: Buffer;
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) return fail(res, 404, 'not found');
      body = await fs.readFile(file);
    } catch {
      return fail(res, 404, 'not found');
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType(file));
    res.setHeader('Cache-Control', isPage ? 'no-store' : 'no-cache');
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!tokenMatches(token, bearer(req) ?? url.searchParams.get('token'))) return fail(res, 401, 'token required');
    if (req.method !== 'POST') return fail(res, 405, 'POST only');
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return fail(res, 415, 'send application/json');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) return fail(res, 413, 'request too large');
      chunks.push(c as Buffer);
    }
    let payload: unknown;
    try {
      payload = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return fail(res, 400, 'body is not JSON');
    }
    const result = await dispatch(decodeURIComponent(url.pathname.slice(HTTP_API_PREFIX.length)), payload);
    res.statusCode = result.ok ? 200 : result.error.code === 'not_found' ? 404 : result.error.code === 'internal' ? 500 : 400;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify(result));
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WS_PATH) return refuse('404 Not Found');
    if (!hostAllowed(req)) return refuse('421 Misdirected Request');
    if (!originAllowed(req)) return refuse('403 Forbidden');
    if (!tokenMatches(token, queryToken(req))) return refuse('401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const send = (m: WireMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const unsubscribe = services.subscribe((event) => send({ kind: 'event', event }));
    ws.on('close', unsubscribe);
    // A frame over maxPayload (or a protocol violation) emits 'error' before ws closes the socket (1009/1002):
    // without a listener that 'error' would be thrown and end the whole server process.
    ws.on('error', () => {});
    ws.on('message', async (raw) => {
      let req: WireRequest;
      try {
        req = JSON.parse(raw.toString()) as WireRequest;
      } catch {
        return ws.close(1003, 'not JSON');
      }
      if (typeof req?.id !== 'number') return ws.close(1003, 'request id missing');
      send({ kind: 'result', id: req.id, result: await dispatch(req.channel, req.payload) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  port = bound.port;

  return {
    url: `http://${hostForUrl(host)}:${port}/?token=${token}`,
    token,
    port,
    address: bound.address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
