// Floor for a query-per-request path: a bare `Bun.serve` that runs `select 1` on the real PostgreSQL
// through postgres.js with the pool settings of src/db/postgres.ts (max 10), then answers 204.
// Started by bench/edge.ts with PORT and DATABASE_URL set.
import postgres from 'postgres';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('select1: DATABASE_URL is required');
  process.exit(1);
}
// Same options as openPostgres() in src/db/postgres.ts.
const sql = postgres(url, {
  max: 10,
  onnotice: () => {},
  fetch_types: false,
  connect_timeout: 5,
  idle_timeout: 60,
  connection: { application_name: 'va-bench-select1' },
});
await sql.unsafe('select 1'); // fail fast when the database is unreachable

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  async fetch() {
    // The service goes through client.unsafe(text, values); do the same here.
    await sql.unsafe('select 1', []);
    return new Response(null, { status: 204 });
  },
});
console.log(`listening ${server.port}`);
process.on('SIGTERM', async () => {
  server.stop(true);
  await sql.end({ timeout: 5 });
  process.exit(0);
});
