import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createLabServices } from '../../services';
import { startServer } from '../../server/server';

/**
 * `lth serve`: the lab in a browser, e.g. on a headless GPU workstation reached through an SSH tunnel.
 * Stdout carries exactly one line, the URL with its token, so scripts can read it.
 */
function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer in 0..65535 (0 = any free port)');
  return n;
}

export interface ServeDeps {
  createLabServices: typeof createLabServices;
  startServer: typeof startServer;
  /** Where bundled files sit: dist/ for the CLI (dist/worker.js beside it, the renderer in out/renderer). */
  baseDir: string;
  onSignal: (signal: NodeJS.Signals, handler: () => void) => void;
  /** Ends the process once closed: a stray handle (a worker's pipe) must not keep `lth serve` alive. */
  exit: (code: number) => void;
}

const defaults = (): ServeDeps => ({
  createLabServices,
  startServer,
  baseDir: __dirname,
  onSignal: (s, h) => void process.once(s, h),
  exit: (code) => process.exit(code),
});

export function serveCommand(deps: Partial<ServeDeps> = {}): Command {
  const d = { ...defaults(), ...deps };
  return new Command('serve')
    .description('serve the lab to a browser: the built UI over HTTP and the API over a WebSocket, behind a random token')
    .option('--port <n>', 'TCP port (0 = any free port)', portNumber, 0)
    .option('--host <host>', 'interface to bind; anything but loopback exposes the lab to your network', '127.0.0.1')
    .option('--renderer <dir>', 'built renderer folder (default: out/renderer next to the CLI bundle)')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ port: number; host: string; renderer?: string; db?: string; home?: string; backend?: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' }>();
      const staticDir = g.renderer ?? path.join(d.baseDir, '..', 'out', 'renderer');
      const services = await d.createLabServices({
        dbPath: g.db,
        home: g.home,
        backend: g.backend,
        runner: 'child',
        workerEntry: path.join(d.baseDir, 'worker.js'),
      });
      const sys = services.system();
      process.stderr.write(`lth serve: backend ${sys.backend}: ${sys.backendDetail}\n`);
      if (sys.backendNote) process.stderr.write(`lth serve: warning: ${sys.backendNote}\n`);
      const server = await d.startServer(services, { host: g.host, port: g.port, staticDir });
      if (g.host !== '127.0.0.1' && g.host !== 'localhost' && g.host !== '::1') {
        process.stderr.write(`warning: listening on ${g.host}; anyone who can reach it and learns the token controls the lab\n`);
      }
      process.stdout.write(`${server.url}\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void server
          .close()
          .then(() => services.close())
          .then(
            () => d.exit(0),
            (err: unknown) => {
              process.stderr.write(`lth serve: error while stopping: ${String(err)}\n`);
              d.exit(1);
            },
          );
      };
      d.onSignal('SIGINT', stop);
      d.onSignal('SIGTERM', stop);
    });
}
