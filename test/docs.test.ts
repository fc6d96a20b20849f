// The docs point at tests by name; if a test is renamed or removed, the pointer must not rot.
import { describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';

describe('docs/security.md', () => {
  it('names only tests that exist', () => {
    const doc = readFileSync(new URL('../docs/security.md', import.meta.url), 'utf8');
    const cells = doc.split('\n').filter((line) => line.startsWith('|'));
    let checked = 0;
    for (const cell of cells) {
      for (const ref of cell.matchAll(/`(test\/[\w/.-]+\.test\.ts)`((?:\s*"[^"]+",?)*)/g)) {
        const file = new URL(`../${ref[1]}`, import.meta.url);
        expect([ref[1], existsSync(file)]).toEqual([ref[1], true]);
        const source = readFileSync(file, 'utf8');
        for (const quoted of ref[2]!.matchAll(/"([^"]+)"/g)) {
          const name = quoted[1]!.replace(/^…\s*|\s*…$/g, '');
          expect([ref[1], name, source.includes(name)]).toEqual([ref[1], name, true]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
