// Out-of-process helpers: the real service (`bun src/server.ts`), the CLI, a stand-in storefront
// back end that echoes what it received, a free port, and a hand-carried cookie jar.
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..', '..', '..');

export type CliRun = { code: number; stdout: string; stderr: string; json: Record<string, unknown> | null };

/** `bun src/cli.ts … --json` with the given environment. */
export async function cli(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const child = Bun.spawn([process.execPath, 'src/cli.ts', ...args, '--json'], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    // not JSON: the caller reports stdout/stderr
  }
  return { code, stdout, stderr, json };
}

export type Service = { port: number; output(): string; stop(): Promise<void> };

/** Starts the service and resolves once it logged its listening line. */
export async function startService(env: Record<string, string>): Promise<Service> {
  const child = Bun.spawn([process.execPath, 'src/server.ts'], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' });
  let output = '';
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      output += decoder.decode(value);
    }
  };
  void drain(child.stdout as ReadableStream<Uint8Array>);
  void drain(child.stderr as ReadableStream<Uint8Array>);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listening = /"msg":"listening","url":"http:\/\/localhost:(\d+)"/.exec(output);
    if (listening) {
      return {
        port: Number(listening[1]),
        output: () => output,
        async stop() {
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
          if (!exited) {
            child.kill('SIGKILL');
            await child.exited;
          }
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not start:\n${output}`);
    }
    await Bun.sleep(25);
  }
}

export type Echo = {
  method: string;
  path: string;
  visitorId: string | null;
  cookie: string | null;
  requestId: string | null;
  forwardedFor: string | null;
};

/** The storefront's own back end: answers every request with JSON of what it received. */
/** `routes`: the test's own storefront pages (e.g. a checkout); null lets the echo answer. */
export type StorefrontRoutes = (request: Request) => Response | Promise<Response> | null;

export function startStorefront(routes?: StorefrontRoutes) {
  const received: Echo[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const own = routes?.(request);
      if (own) return own;
      const url = new URL(request.url);
      const echo: Echo = {
        method: request.method,
        path: url.pathname + url.search,
        visitorId: request.headers.get('x-visitor-id'),
        cookie: request.headers.get('cookie'),
        requestId: request.headers.get('x-request-id'),
        forwardedFor: request.headers.get('x-forwarded-for'),
      };
      received.push(echo);
      return Response.json(echo, { headers: { 'x-served-by': 'storefront' } });
    },
  });
  return { port: server.port!, received, stop: () => server.stop(true) };
}

/**
 * A port that is free now. The listener is kept until `release()`, so nothing started in between
 * (the service, the storefront, the SMTP capture) can take it before nginx binds it.
 */
export function reservePort(): { port: number; release(): void } {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  return { port: listener.port, release: () => listener.stop(true) };
}

/** Cookies carried by hand, as a browser would for one host. */
export class Jar {
  readonly values = new Map<string, string>();

  store(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (value === '' || expired) this.values.delete(name);
      else this.values.set(name, value);
    }
    return response;
  }

  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
