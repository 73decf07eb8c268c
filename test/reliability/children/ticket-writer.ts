/*
 * A process that does nothing but save and import tickets into one store, as fast as it can, until it is killed.
 * argv: dataDir experimentId rounds exportedFolder. After each committed ticket it writes "ticket <id> <kind> <round>"
 * on stdout (synchronously, so the parent knows what was committed before the kill).
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../src/main/store';

const [dataDir, experimentId, roundsText, exported] = process.argv.slice(2) as [string, string, string, string];
const rounds = Number(roundsText);
const store = openStore({ dataDir, dbPath: join(dataDir, 'lth.sqlite') });
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  if (i % 3 === 2) {
    const t = store.importTicket(exported);
    writeSync(1, `ticket ${t.id} imported -1\n`);
  } else {
    const round = i % rounds;
    const t = store.tickets.save(experimentId, 0, round, `writer ${i}`);
    writeSync(1, `ticket ${t.id} saved ${round}\n`);
  }
}
