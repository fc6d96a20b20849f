// Deno entry point: the same runtime and app as server.ts, served by `Deno.serve` (never
// `app.listen()`, which is Bun's adapter). Run: `deno run -A src/deno.ts`.
import process from 'node:process';
import { ConfigError, loadConfig } from './config.ts';
import { DataDirBusyError } from './db/open.ts';
import { createRuntime } from './runtime.ts';

// Only the few Deno APIs used here. tsc is configured for Bun and knows no `Deno` global; this
// module-scoped declaration keeps `bun run typecheck` honest without pulling in Deno's types.
type DenoNetAddr = { transport: 'tcp' | 'udp'; hostname: string; port: number };
type DenoHttpServer = { finished: Promise<void>; shutdown(): Promise<void> };
declare const Deno: {
  serve(
    options: { port: number; onListen?: (addr: DenoNetAddr) => void },
    handler: (request: Request, info: { remoteAddr: DenoNetAddr }) => Response | Promise<Response>,
  ): DenoHttpServer;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code?: number): never;
};

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    Deno.exit(1);
  }
  throw error;
}

let runtime;
try {
  runtime = await createRuntime(config);
} catch (error) {
  console.error(error instanceof DataDirBusyError ? error.message : `start-up failed: ${(error as Error).message}`);
  Deno.exit(1);
}
const { app, deps } = runtime;

const server = Deno.serve(
  {
    port: config.port,
    onListen: ({ port }) => {
      deps.logger.info('listening', { url: `http://localhost:${port}`, database: deps.db.kind, nodeEnv: config.nodeEnv, runtime: 'deno' });
      if (config.nodeEnv === 'development') {
        console.log(`\nVisitor Access (Deno) is running on http://localhost:${port} (demo storefront "gharart").
Try:  curl -s -X POST http://localhost:${port}/v2/visitor/auth/magic-link -H 'content-type: application/json' -d '{"email":"demo@example.com"}'
Then: curl -s 'http://localhost:${port}/_dev/mailbox?to=demo@example.com'\n`);
      }
    },
  },
  // The socket peer feeds the trusted-proxy and loopback checks, exactly as under Bun.
  (request, info) => app.fetch(request, info.remoteAddr.hostname),
);
deps.outbox.start();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info('shutting down', { signal });
  await server.shutdown(); // stops accepting; resolves when in-flight requests are done
  await runtime!.close();
  Deno.exit(0);
}
Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'));
Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'));
