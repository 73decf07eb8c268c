import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshHome, ROOT } from './lth';

describe('lth writing into a pipe that is closed (`lth … | head`)', () => {
  it.each([['presets --json'], ['presets'], ['datasets list --json']])('lth %s stops quietly with the SIGPIPE status, no stack trace', async (command) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lth.js'), ...command.split(' ')], {
      env: { ...process.env, LTH_HOME: freshHome(), LTH_DB: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader goes away before lth has started: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(141);
  });
});
