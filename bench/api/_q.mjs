import { readFileSync } from 'node:fs';
import { summarize } from './profile-summary.mjs';
const [file, from, to, reqs, ...pats] = process.argv.slice(2);
const s = summarize(JSON.parse(readFileSync(file, 'utf8')), { top: 100000, from: Number(from), to: Number(to) });
for (const kind of ['inclusive', 'self']) {
  console.log(`-- ${kind}`);
  for (const r of s[kind]) if (pats.some((p) => r.name.includes(p))) console.log(`${(r.ms * 1000 / reqs).toFixed(2).padStart(7)} µs/req  ${r.pct.toFixed(1).padStart(5)} %  ${r.name}`);
}
