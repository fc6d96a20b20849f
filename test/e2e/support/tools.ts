// The programs the browser and nginx suites drive, and one rule for when one is missing: in CI
// (`.ci/run` installs both) that is a failing test, never a silent skip; on a developer's machine
// the suite's tests are skipped with a warning that says what to install.
import { it } from 'bun:test';
import { findChromium } from './browser.ts';
import { findNginx } from './nginx.ts';

type Tool = 'nginx' | 'chromium';

const NAME: Record<Tool, string> = { chromium: 'Chromium', nginx: 'nginx' };
const INSTALL: Record<Tool, string> = {
  chromium: 'apt-get install -y chromium, or set CHROMIUM_BIN',
  nginx: 'apt-get install -y nginx-light, or set NGINX_BIN',
};

export interface E2eTools {
  nginx: string | null;
  chromium: string | null;
  missing: Tool[];
  skip: boolean;
}

/** Finds the programs a suite needs (call at module load). */
export function e2eTools(needs: Tool[]): E2eTools {
  const found: Record<Tool, string | null> = { nginx: findNginx(), chromium: findChromium() };
  const missing = needs.filter((tool) => !found[tool]);
  return { ...found, missing, skip: missing.length > 0 };
}

/**
 * Call first inside the suite's describe(). True when the suite must declare nothing more: in CI a
 * missing program fails one test naming it. Locally it warns, and the suite's `it.skipIf(skip)` skip.
 */
export function stopWithoutTools(suite: string, tools: E2eTools): boolean {
  if (!tools.skip) return false;
  const names = tools.missing.map((tool) => NAME[tool]).join(' and ');
  const install = tools.missing.map((tool) => `${NAME[tool]}: ${INSTALL[tool]}`).join('; ');
  if (process.env.CI === 'true') {
    it(`has ${names} installed`, () => {
      throw new Error(`missing ${names}: CI must run the ${suite} (.ci/run installs them; ${install})`);
    });
    return true;
  }
  console.warn(`${suite}: missing ${names} (${install}): skipping`);
  return false;
}
