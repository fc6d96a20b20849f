// `bun run docs:limits`: rewrites docs/limits.md from the seeded policies.
import { writeFileSync } from 'node:fs';
import { renderLimitsDoc } from '../src/limits/limits-doc.ts';

writeFileSync(new URL('../docs/limits.md', import.meta.url), await renderLimitsDoc());
console.log('docs/limits.md written');
