// What the service loads at start-up. Every module loaded stays resident for the life of the
// process (its source, bytecode and objects), so libraries that only a rare route needs are
// imported by that route on first use (docs/performance.md, "RSS"). Checked in a fresh process:
// this one has loaded everything already.
import { describe, expect, it } from 'bun:test';

/** Packages a rare route loads on first use, never at start-up. */
const LOADED_ON_FIRST_USE = [
  '@simplewebauthn/server', // passkey ceremonies (~300 modules with its ASN.1 and X.509 dependencies)
  '@elysiajs/openapi', // GET /openapi.json and /docs
  'jose', // the first storefront JWT (46 modules)
];

/** Our own modules a rare route loads on first use: the console's HTML pages (src/console/pages.ts). */
const OWN_LOADED_ON_FIRST_USE = [
  '/src/console/layout.ts',
  '/src/console/explanations.ts',
  '/src/console/sign-in-pages.ts',
  '/src/console/tenant-pages.ts',
  '/src/console/shopper-page.ts',
  '/src/console/request-page.ts',
  '/src/console/confirm-page.ts',
  '/src/console/webhook-pages.ts',
];

/** The modules of src/server.ts's import graph (the entry point itself would start listening). */
const SERVER_IMPORTS = [
  './src/runtime.ts',
  './src/access/edge.ts',
  './src/http/body.ts',
  './src/magic-link/pending-routes.ts',
  './src/ops/metrics-routes.ts',
];

describe('start-up imports', () => {
  it('leave the libraries of rare routes unloaded', async () => {
    const script = `for (const m of ${JSON.stringify(SERVER_IMPORTS)}) await import(m);
console.log(JSON.stringify(Object.keys(require.cache)));`;
    const child = Bun.spawn([process.execPath, '-e', script], { cwd: `${import.meta.dir}/..`, stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const loaded = JSON.parse(out) as string[];
    expect(loaded.some((path) => path.endsWith('/src/runtime.ts'))).toBe(true); // the probe sees our modules
    for (const name of LOADED_ON_FIRST_USE) expect(loaded.filter((path) => path.includes(`/node_modules/${name}/`))).toEqual([]);
    expect(loaded.filter((path) => OWN_LOADED_ON_FIRST_USE.some((own) => path.endsWith(own)))).toEqual([]);
  });
});
