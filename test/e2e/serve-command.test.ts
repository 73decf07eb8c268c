import { describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import { Command } from 'commander';
import { serveCommand } from '../../src/main/cli/commands/serve';
import { startServer, type RunningServer } from '../../src/main/server/server';
import { fakeServices } from '../contract/fake-services';

/** `lth serve` wiring: options, the services it asks for, one stdout line, clean stop on signals. */
describe('lth serve', () => {
  /** `real`: the real server on fake services, so the socket it binds can be checked. */
  function setup(real = false) {
    const services = Object.assign(fakeServices(), { close: vi.fn(async () => undefined) });
    const created: unknown[] = [];
    const started: unknown[] = [];
    const servers: RunningServer[] = [];
    const close = vi.fn(async () => undefined);
    const signals = new Map<string, () => void>();
    const exit = vi.fn();
    const fake = (async (_s: unknown, o: unknown) => (started.push(o), { url: 'http://127.0.0.1:4321/?token=abc', token: 'abc', port: 4321, address: '127.0.0.1', close })) as never;
    const cmd = serveCommand({
      createLabServices: (async (o: unknown) => (created.push(o), services)) as never,
      startServer: real ? async (s, o) => (started.push(o), servers[servers.push(await startServer(s, o)) - 1]!) : fake,
      baseDir: '/opt/lth/dist',
      onSignal: (s, h) => void signals.set(s, h),
      exit,
    });
    const program = new Command('lth').option('--db <file>').option('--home <dir>').option('--backend <b>').addCommand(cmd).exitOverride();
    return { program, services, created, started, servers, close, signals, exit };
  }

  it('binds the real socket to 127.0.0.1 when no --host is given', async () => {
    const t = setup(true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await t.program.parseAsync(['node', 'lth', 'serve']);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(t.servers.map((s) => s.address)).toEqual(['127.0.0.1']);
    t.signals.get('SIGTERM')!();
    await vi.waitFor(() => expect(t.exit).toHaveBeenCalledWith(0));
  });

  it('prints exactly one line, the URL with its token, and binds 127.0.0.1 by default', async () => {
    const t = setup();
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await t.program.parseAsync(['node', 'lth', '--home', '/data/lth', '--backend', 'wasm', 'serve', '--port', '0']);
    const lines = out.mock.calls.map((c) => String(c[0]));
    out.mockRestore();
    expect(lines).toEqual(['http://127.0.0.1:4321/?token=abc\n']);
    expect(t.created).toEqual([{ dbPath: undefined, home: '/data/lth', backend: 'wasm', runner: 'child', workerEntry: path.join('/opt/lth/dist', 'worker.js') }]);
    expect(t.started).toEqual([{ host: '127.0.0.1', port: 0, staticDir: path.join('/opt/lth/dist', '..', 'out', 'renderer') }]);
  });

  it('stops the server and the services on SIGTERM, once', async () => {
    const t = setup();
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await t.program.parseAsync(['node', 'lth', 'serve', '--port', '8080', '--host', '127.0.0.1']);
    out.mockRestore();
    t.signals.get('SIGTERM')!();
    t.signals.get('SIGINT')!();
    await vi.waitFor(() => expect(t.exit).toHaveBeenCalledWith(0));
    expect(t.close).toHaveBeenCalledTimes(1);
    expect(t.services.close).toHaveBeenCalledTimes(1);
  });

  it('rejects a port outside 0..65535', async () => {
    const t = setup();
    t.program.commands[0]!.exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(t.program.parseAsync(['node', 'lth', 'serve', '--port', '70000'])).rejects.toThrow(/port/);
  });
});
