// Runs every *.test.ts in this one process, so that the fixture synthesizes the stack once per
// variant; `node --test` would start a process, and synthesize again, for each file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const file of readdirSync(__dirname).filter((name) => name.endsWith('.test.ts')).sort()) {
  require(join(__dirname, file));
}
