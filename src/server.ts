// Bun entry point: read env, open + migrate the database, start the outbox worker, listen, and
// shut down gracefully (finish in-flight requests, stop the worker, close the pool).
import type { Server } from 'bun';
import { EDGE_PATH } from './access/edge.ts';
import { SERVER_BODY_BACKSTOP } from './http/body.ts';
import { PENDING_POLL_IDLE_SECONDS, PENDING_POLL_PATH, releaseHeldPolls } from './magic-link/pending-routes.ts';
import { metricsResponse } from './ops/metrics-routes.ts';
import { announceListening, runtimeFromEnv } from './runtime.ts';
import { bunFetchTransport } from './webhooks/bun-fetch-transport.ts';

// Everything this process creates (DATA_DIR: embedded database, dev secret, dev PATs) is for this
// user only, whatever umask the shell or container handed over.
process.umask(0o077);
const runtime = await runtimeFromEnv(process.env, (code) => process.exit(code), { webhookTransport: bunFetchTransport() });
const { app, deps } = runtime;

// The CDN's edge check is matched by Bun's native router: it then never builds `request.url`,
// which costs more than the check itself (docs/performance.md). Everything else goes to `fetch`.
const edgeCheck = (request: Request, srv: Server<undefined>) => app.edgeCheck(request, () => srv.requestIP(request)?.address);

const server = Bun.serve({
  port: deps.config.port,
  // Bun's default is 128 MB. Routes refuse a body at their own limit while it streams in
  // (src/http/body.ts); this backstop covers bodies no route reads (404s, body-less routes).
  maxRequestBodySize: SERVER_BODY_BACKSTOP,
  routes: { [EDGE_PATH]: { GET: edgeCheck, HEAD: edgeCheck } },
  // The socket peer feeds the trusted-proxy and loopback checks; asked for only when needed.
  fetch: (request, srv) => {
    // A pending sign-in's poll is held up to PENDING_HOLD_SECONDS (≤ 25 s) with nothing sent:
    // past Bun's idle timeout (10 s) the connection would be cut, so this request gets longer.
    if (request.url.includes(PENDING_POLL_PATH)) srv.timeout(request, PENDING_POLL_IDLE_SECONDS);
    return app.fetch(request, () => srv.requestIP(request)?.address);
  },
});
// METRICS_PORT: a listener for the scraper alone (firewalled to it), GET /metrics without a token.
const metricsServer =
  deps.config.metricsPort === null
    ? null
    : Bun.serve({
        port: deps.config.metricsPort,
        routes: { '/metrics': { GET: () => metricsResponse(deps) } },
        fetch: () => new Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain' } }),
      });
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info('shutting down', { signal });
  releaseHeldPolls(deps);
  await server.stop(); // stops accepting; resolves when in-flight requests are done
  await metricsServer?.stop();
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
if (metricsServer) deps.logger.info('metrics listening', { url: `http://localhost:${metricsServer.port}/metrics` });
announceListening(deps, server.port!, 'bun');
