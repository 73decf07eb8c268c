import { promises as fs } from 'node:fs';
import { protocol } from 'electron';
import { contentType, resolveStaticPath } from '../server/static-files';
import { APP_CSP, APP_HOST, APP_SCHEME } from './security';

/** Must run before app 'ready': app:// behaves like https (secure context, fetch, relative URLs). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer; any path that would leave `root`, or another host, is a 404. */
export async function serveAppRequest(root: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const file = url.host === APP_HOST ? resolveStaticPath(root, url.pathname) : null;
  if (!file || request.method !== 'GET') return new Response('not found', { status: 404 });
  try {
    const body = await fs.readFile(file);
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { 'content-type': contentType(file), 'content-security-policy': APP_CSP, 'x-content-type-options': 'nosniff' },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

export function registerAppProtocol(root: string): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(root, request));
}
