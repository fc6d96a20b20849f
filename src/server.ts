// Bun entry point: read env, open + migrate the database, start the outbox worker, listen, and
// shut down gracefully (finish in-flight requests, stop the worker, close the pool).
import { announceListening, runtimeFromEnv } from './runtime.ts';

const runtime = await runtimeFromEnv(process.env, (code) => process.exit(code));
const { app, deps } = runtime;

const server = Bun.serve({
  port: deps.config.port,
  // The socket peer feeds the trusted-proxy and loopback checks.
  fetch: (request, srv) => app.fetch(request, () => srv.requestIP(request)?.address),
});
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info('shutting down', { signal });
  await server.stop(); // stops accepting; resolves when in-flight requests are done
  await runtime.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// A library's stray rejection (e.g. a driver losing a connection) must not take every shopper down.
process.on('unhandledRejection', (reason) => {
  deps.logger.error('unhandled rejection', { error: String((reason as Error)?.message ?? reason) });
});
// Announce only once signals are handled: whoever waits for this line may stop us right away.
runtime.startWorkers();
announceListening(deps, server.port!, 'bun');
