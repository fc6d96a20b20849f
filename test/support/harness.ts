// The black-box harness: the real app (in-process fetch), a real database (PGlite or PostgreSQL),
// a real SMTP server capturing mail, an injectable clock, and captured log lines.
import { loadConfig } from '../../src/config.ts';
import type { Tenant } from '../../src/tenants/tenants.ts';
import { createLogger } from '../../src/log.ts';
import { buildDocument } from '../../src/openapi/document.ts';
import { OUTSIDE_ROUTER, PENDING_ROUTES } from '../../src/openapi/pending-routes.ts';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/runtime.ts';
import { bunFetchTransport } from '../../src/webhooks/bun-fetch-transport.ts';
import { TestClock } from './clock.ts';
import { ContractChecker, type OpenApiDoc } from './contract.ts';
import { countingDb, freshDatabase, type TestDatabase } from './database.ts';
import { MailCapture } from './mail-capture.ts';
import { insertTestTenant } from './tenants.ts';

export const SECRET_A = 'test-secret-A-0123456789abcdefghijklmnopqrstuvwxyz';
export const SECRET_B = 'test-secret-B-0123456789abcdefghijklmnopqrstuvwxyz';

/** Host of the service itself (no tenant owns it). */
export const SERVICE_HOST = 'service.test';

/** `contract: false` turns off the check of every answer against the app's OpenAPI document. */
export type HarnessOptions = {
  env?: Record<string, string>;
  /** Runtime settings a test needs (a webhook host resolver, a short webhook timeout). */
  runtime?: Pick<RuntimeOverrides, 'resolveHost' | 'webhooks'>;
  contract?: boolean;
};

const SUPPLEMENTED = new Set(
  [...PENDING_ROUTES, ...OUTSIDE_ROUTER].map((r) => `${r.method === 'ALL' ? 'GET' : r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
);

export class CookieJar {
  readonly values = new Map<string, string>();
  store(response: Response): this {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      const maxAge = attributes.find((a) => a.trim().toLowerCase().startsWith('max-age='));
      if (value === '' || maxAge?.trim().toLowerCase() === 'max-age=0') this.values.delete(name!.trim());
      else this.values.set(name!.trim(), value);
    }
    return this;
  }
  header(): string {
    return [...this.values].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export class Harness {
  readonly clock = new TestClock();
  readonly mail = new MailCapture();
  readonly logs: string[] = [];
  readonly counter = { queries: 0 };
  runtime!: Runtime;
  /** Checks every answer of a route its module describes against GET /openapi.json's document. */
  contract: ContractChecker | null = null;
  gharart!: Tenant;
  other!: Tenant;
  private database!: TestDatabase;

  constructor(private readonly options: HarnessOptions = {}) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const harness = new Harness(options);
    await harness.mail.start();
    harness.database = await freshDatabase();
    await harness.boot({});
    harness.gharart = await insertTestTenant(harness.database.db, 'gharart', { gatedPrefixes: ['/content/', '/orders/'] });
    harness.other = await insertTestTenant(harness.database.db, 'other', { mailFrom: 'Other Shop Team <hello@other.test>' });
    return harness;
  }

  /** (Re)creates the service on the same database, e.g. with rotated secrets. */
  async boot(env: Record<string, string>): Promise<void> {
    await this.runtime?.close();
    const config = loadConfig({
      NODE_ENV: 'test',
      TOKEN_SECRET: SECRET_A,
      SMTP_URL: this.mail.url,
      PUBLIC_URL: 'http://localhost',
      ...this.options.env,
      ...env,
    });
    this.runtime = await createRuntime(config, {
      db: countingDb(this.database.db, this.counter),
      clock: this.clock,
      logger: createLogger('debug', (line) => this.logs.push(line)),
      seedDemo: false,
      webhookTransport: bunFetchTransport(), // as the Bun entry (src/server.ts) delivers
      ...this.options.runtime,
    });
    this.contract =
      this.options.contract === false
        ? null
        : new ContractChecker(
            buildDocument(this.runtime.app.elysia, config) as unknown as OpenApiDoc,
            (method, path) => !SUPPLEMENTED.has(`${method} ${path}`),
          );
  }

  get db() {
    return this.database.db;
  }

  /** The test database's URL on the real PostgreSQL (null on PGlite). */
  get databaseUrl(): string | null {
    return this.database.url;
  }

  get deps() {
    return this.runtime.deps;
  }

  /** One request through the real app, from 127.0.0.1 unless told otherwise. */
  fetch(path: string, init: RequestInit & { host?: string; ip?: string; jar?: CookieJar } = {}): Promise<Response> {
    const { host = 'localhost', ip = '127.0.0.1', jar, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (jar?.values.size) headers.set('cookie', jar.header());
    const request = new Request(`http://${host}${path}`, { ...rest, headers });
    return Promise.resolve(this.runtime.app.fetch(request, ip)).then(async (response) => {
      jar?.store(response);
      const problems = await this.contract?.check(request.method, new URL(request.url).pathname, response);
      if (problems?.length) throw new Error(`answer breaks the OpenAPI contract:\n${problems.join('\n')}`);
      return response;
    });
  }

  json(path: string, body: unknown, init: RequestInit & { host?: string; ip?: string; jar?: CookieJar } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('content-type', 'application/json');
    return this.fetch(path, { method: 'POST', ...init, headers, body: JSON.stringify(body) });
  }

  form(
    path: string,
    fields: Record<string, string>,
    init: RequestInit & { host?: string; ip?: string; jar?: CookieJar } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('content-type', 'application/x-www-form-urlencoded');
    if (!headers.has('origin')) headers.set('origin', 'http://localhost');
    return this.fetch(path, { method: 'POST', ...init, headers, body: new URLSearchParams(fields).toString() });
  }

  /** Runs the outbox once (what the worker does on its own in production). */
  deliver(): Promise<number> {
    return this.runtime.deps.outbox.tick();
  }

  /** Requests a link for `email` and delivers it; returns the captured mail. */
  async requestLink(email: string, body: Record<string, unknown> = {}) {
    const before = this.mail.messages.length;
    const response = await this.json('/v2/visitor/auth/magic-link', { email, ...body });
    if (response.status !== 202) throw new Error(`magic-link answered ${response.status}: ${await response.text()}`);
    await this.deliver();
    const mail = this.mail.messages.at(-1);
    if (this.mail.messages.length !== before + 1 || !mail) throw new Error(`expected exactly one new mail for ${email}`);
    return mail;
  }

  /** The path of a link from a captured mail. */
  static pathOf(link: string): string {
    return new URL(link).pathname;
  }

  /** Full browser-like sign-in: open the link (test cookie), press Continue; returns the jar. */
  async signIn(email: string, body: Record<string, unknown> = {}): Promise<{ jar: CookieJar; response: Response }> {
    const mail = await this.requestLink(email, body);
    const jar = new CookieJar();
    const path = Harness.pathOf(mail.link!);
    await this.fetch(path, { jar });
    const response = await this.form(path, {}, { jar });
    return { jar, response };
  }

  async close(): Promise<void> {
    await this.runtime?.close();
    await this.database.drop();
    await this.mail.close();
  }
}
