import { Command } from 'commander';
import { diagnoseBackends, DESKTOP_WEBGPU_HINT } from '../../engine/backends/diagnose';
import { TFJS_VERSION } from '../../engine/backend';
import { storeLocations } from '../../store';
import { LTH_LAB_VERSION } from '../../services/version';
import { printJson } from '../context';

/** `lth doctor`: every backend, whether it loads here and why not, what auto picks, and where the data lives. */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check every training backend (loads or not, why not, the device it would use), what auto picks, and where the data is')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ db?: string }>();
      const where = storeLocations({ dbPath: g.db });
      const d = await diagnoseBackends();
      const report = {
        version: LTH_LAB_VERSION,
        tfjs: TFJS_VERSION,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        backends: d.backends,
        auto: d.auto,
        dataDir: where.dataDir,
        databasePath: where.dbPath,
        desktop: DESKTOP_WEBGPU_HINT || null,
      };
      if (opts.json) return printJson(report);
      const lines = [`LTH Lab ${report.version} · tfjs ${report.tfjs} · Node ${report.node} · ${report.platform}`, ''];
      for (const b of d.backends) {
        const check = b.checkVsCpu !== undefined ? ` [64x64 matMul within ${b.checkVsCpu.toExponential(1)} of cpu]` : '';
        lines.push(`${b.name.padEnd(15)} ${(b.loads ? 'ok' : 'no').padEnd(3)} ${b.detail}${check}`);
        for (const n of b.notes) lines.push(`${' '.repeat(19)}${n}`);
      }
      lines.push('', `auto picks:      ${d.auto.backend} (${d.auto.why})`, `data directory:  ${where.dataDir}`, `database:        ${where.dbPath}`);
      if (DESKTOP_WEBGPU_HINT) lines.push(DESKTOP_WEBGPU_HINT);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
