// Bun entry point: read env, open + migrate the database, start the outbox worker, listen, and
// shut down gracefully (finish in-flight requests, stop the worker, close the pool).
import { ConfigError, loadConfig } from './config.ts';
import { DataDirBusyError } from './db/open.ts';
import { createRuntime } from './runtime.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

let runtime;
try {
  runtime = await createRuntime(config);
} catch (error) {
  console.error(error instanceof DataDirBusyError ? error.message : `start-up failed: ${(error as Error).message}`);
  process.exit(1);
}
const { app, deps } = runtime;

const server = Bun.serve({
  port: config.port,
  fetch: (request, srv) => app.fetch(request, srv.requestIP(request)?.address),
});
deps.outbox.start();
deps.logger.info('listening', { url: `http://localhost:${server.port}`, database: deps.db.kind, nodeEnv: config.nodeEnv });
if (config.nodeEnv === 'development') {
  console.log(`\nVisitor Access is running on http://localhost:${server.port} (demo storefront "gharart").
Try:  curl -s -X POST http://localhost:${server.port}/v2/visitor/auth/magic-link -H 'content-type: application/json' -d '{"email":"demo@example.com"}'
Then: curl -s 'http://localhost:${server.port}/_dev/mailbox?to=demo@example.com'\n`);
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info('shutting down', { signal });
  await server.stop(); // stops accepting; resolves when in-flight requests are done
  await runtime!.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
