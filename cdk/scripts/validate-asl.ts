// Validates every statemachines/*.asl.json with asl-validator. The files are templates: the
// stack fills their ${Name} placeholders through definitionSubstitutions at deploy time, and
// `"Seconds": ${WaitSeconds}` is not JSON until then. So substitute sample values first and
// validate what a deployment would see; a placeholder without a sample value is an error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import validator from 'asl-validator';

const dir = join(__dirname, '..', '..', 'statemachines');
const samples: Record<string, string> = {
  QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/wsflow-jobs.fifo',
  WaitSeconds: '3',
};

let failures = 0;
const files = readdirSync(dir).filter((name) => name.endsWith('.asl.json'));
for (const name of files) {
  const text = readFileSync(join(dir, name), 'utf8').replace(/\$\{(\w+)\}/g, (placeholder, key: string) => {
    if (!(key in samples)) throw new Error(`${name}: no sample value for ${placeholder}`);
    return samples[key];
  });
  const result = validator(JSON.parse(text));
  if (result.isValid) {
    console.log(`ok: ${name}`);
  } else {
    failures += 1;
    console.error(`invalid: ${name}\n${result.errorsText('\n')}`);
  }
}
if (files.length === 0) failures += 1;
console.log(`asl-validator: ${files.length - failures} valid, ${failures} invalid`);
process.exit(failures === 0 ? 0 : 1);
