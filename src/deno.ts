// Deno entry point: the same runtime and app as server.ts, served by `Deno.serve` (never
// `app.listen()`, which is Bun's adapter). Run: `deno run -A src/deno.ts`.
import process from 'node:process';
import { releaseHeldPolls } from './magic-link/pending-routes.ts';
import { announceListening, runtimeFromEnv } from './runtime.ts';

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

const runtime = await runtimeFromEnv(process.env, (code) => Deno.exit(code));
const { app, deps } = runtime;

// Deno.serve has no request-body cap like Bun's `maxRequestBodySize`: here the routes' streaming
// reader (src/http/body.ts) is the only bound, and bodies no route reads are left unread.
const server = Deno.serve(
  { port: deps.config.port, onListen: ({ port }) => announceListening(deps, port, 'deno') },
  // The socket peer feeds the trusted-proxy and loopback checks, exactly as under Bun.
  (request, info) => app.fetch(request, info.remoteAddr.hostname),
);
runtime.startWorkers();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info('shutting down', { signal });
  releaseHeldPolls(deps);
  await server.shutdown(); // stops accepting; resolves when in-flight requests are done
  await runtime.close();
  Deno.exit(0);
}
Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'));
Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'));
