import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { resolveStaticPath } from '../../src/main/server/static-files';
import { tokenMatches } from '../../src/main/server/token';
import { fakeServices } from '../contract/fake-services';
import type { WireMessage } from '../../src/shared/api/wire';

/** Raw HTTP so the test controls Host/Origin exactly (fetch forbids setting them). */
function get(port: number, p: string, headers: Record<string, string> = {}, method = 'GET', body?: string, host = '127.0.0.1') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host, port, path: p, method, headers }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function openWs(url: string, origin?: string) {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('browser-mode server security', () => {
  const services = fakeServices();
  let srv: RunningServer;
  let root: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lth-srv-'));
    root = path.join(dir, 'renderer');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>LTH</title>');
    writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'SECRET');
    srv = await startServer(services, { staticDir: root, port: 0 });
  });
  afterAll(() => srv.close());

  it('binds to 127.0.0.1 by default and prints a URL with a long random token', async () => {
    // The socket's own address: the URL alone reads 127.0.0.1 for a 0.0.0.0 bind too.
    expect(srv.address).toBe('127.0.0.1');
    // And what the kernel does with it: 127.0.0.2 is loopback too, but not the address bound.
    if (process.platform === 'linux') await expect(get(srv.port, '/', {}, 'GET', undefined, '127.0.0.2')).rejects.toThrow(/ECONNREFUSED/);
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/);
  });

  it('serves the page only with the token, with a strict CSP', async () => {
    const h = { host: `127.0.0.1:${srv.port}` };
    expect((await get(srv.port, '/', h)).status).toBe(403);
    expect((await get(srv.port, '/?token=wrong', h)).status).toBe(403);
    const ok = await get(srv.port, `/?token=${srv.token}`, h);
    expect(ok.status).toBe(200);
    const csp = String(ok.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('unsafe-inline');
    expect(ok.headers['referrer-policy']).toBe('no-referrer');
    expect((await get(srv.port, '/assets/app.js', h)).status).toBe(200);
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/assets/%00.js', '/assets'])(
    'refuses path %s',
    async (p) => {
      const r = await get(srv.port, p, { host: `127.0.0.1:${srv.port}` });
      expect(r.status).toBe(404);
      expect(r.body).not.toContain('SECRET');
    },
  );

  it('resolves static paths inside the root only', () => {
    expect(resolveStaticPath('/srv/app', '/')).toBe(path.resolve('/srv/app/index.html'));
    expect(resolveStaticPath('/srv/app', '/a/../b.js')).toBe(path.resolve('/srv/app/b.js'));
    expect(resolveStaticPath('/srv/app', '/../app2/x')).toBeNull();
    expect(resolveStaticPath('/srv/app', '/%E0%A4%A')).toBeNull();
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    expect((await get(srv.port, `/?token=${srv.token}`, { host: `evil.example:${srv.port}` })).status).toBe(421);
    const cross = await get(srv.port, '/api/call/system', { host: `127.0.0.1:${srv.port}`, origin: 'http://evil.example', authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' }, 'POST', '{}');
    expect(cross.status).toBe(403);
  });

  it('answers the HTTP API only with the token', async () => {
    const h = { host: `127.0.0.1:${srv.port}`, 'content-type': 'application/json' };
    expect((await get(srv.port, '/api/call/system', h, 'POST', '{}')).status).toBe(401);
    expect((await get(srv.port, '/api/call/system', { ...h, authorization: 'Bearer nope' }, 'POST', '{}')).status).toBe(401);
    const ok = await get(srv.port, '/api/call/system', { ...h, authorization: `Bearer ${srv.token}` }, 'POST', '{}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, data: { backend: 'wasm' } });
    const bad = await get(srv.port, '/api/call/datasets.get', { ...h, authorization: `Bearer ${srv.token}` }, 'POST', '{"id": 5}');
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid', field: 'id' } });
  });

  it('opens the WebSocket only with the token and same Origin, then streams calls and events', async () => {
    const base = `ws://127.0.0.1:${srv.port}/api/ws`;
    await expect(openWs(base)).rejects.toThrow(/401/);
    await expect(openWs(`${base}?token=x${srv.token}`)).rejects.toThrow(/401/);
    await expect(openWs(`${base}?token=${srv.token}`, 'http://evil.example')).rejects.toThrow(/403/);
    const ws = await openWs(`${base}?token=${srv.token}`, `http://127.0.0.1:${srv.port}`);
    const messages: WireMessage[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(m.toString()) as WireMessage));
    ws.send(JSON.stringify({ id: 1, channel: 'datasets.list', payload: {} }));
    services.emit({ type: 'status', experimentId: 'e1', status: 'running', error: null });
    await expect.poll(() => messages.length).toBeGreaterThanOrEqual(2);
    expect(messages).toContainEqual({ kind: 'event', event: { type: 'status', experimentId: 'e1', status: 'running', error: null } });
    expect(messages.find((m) => m.kind === 'result')).toMatchObject({ id: 1, result: { ok: true } });
    ws.close();
  });

  it('compares tokens by value only', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abd')).toBe(false);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
  });
});
