// The peer for `bun run bench`: a minimal Better Auth app on Bun with its magic-link plugin, on the
// same PostgreSQL as the service (its own database, created and dropped by bench/edge.ts). Not part
// of the service: this folder is a separate package with its own lockfile, installed by the bench.
//
//   bun better-auth.ts serve   — HTTP on PORT: Better Auth under /api/auth (request-link:
//                                POST /api/auth/sign-in/magic-link, verify-link: GET
//                                /api/auth/magic-link/verify?token=…, get-session: GET
//                                /api/auth/get-session), plus GET /_bench/mail?email=… (the last
//                                captured link token for an address; the bench's sample check)
//   bun better-auth.ts migrate — creates Better Auth's tables (its own migration API)
//   bun better-auth.ts mint N FILE — N fresh magic-link tokens through the plugin's own endpoint
//                                (auth.api.signInMagicLink, as the HTTP route runs it minus the
//                                rate limiter), for N existing users, one token per line in FILE
//
// Env: DATABASE_URL, PORT, BETTER_AUTH_SECRET, PEER_CONFIG=production|defaults.
//
// PEER_CONFIG=production follows Better Auth's docs for production:
//   - rate limiting on, counters in the database (docs/concepts/rate-limit: "Storage … Using
//     Database"; `storage: "database"`, table `rateLimit` created by migrate);
//   - magic-link tokens stored hashed (docs/plugins/magic-link, option `storeToken: "hashed"`:
//     SHA-256, base64url, in `verification.identifier`);
//   - client IP from `x-forwarded-for` (its default header; a proxy sets it, the bench sends it).
// PEER_CONFIG=defaults is Better Auth's defaults: in production its rate limiter is on with
// in-memory counters, tokens stored plain.
// In both, the limits are raised above the offered load (a 429 is a bench error) while the limit
// checks keep running on every request: the global rule, the magic-link plugin's own rule (default
// 5 per 60 s) and the built-in /sign-in rule (3 per 10 s) all become 1e9 per 60 s.
// Mail sending is captured in process (sendMagicLink keeps the token in a small map), not SMTP.
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { magicLink } from 'better-auth/plugins';
import { writeFileSync } from 'node:fs';
import { Pool } from 'pg';

const HIGH = 1_000_000_000;
const config = process.env.PEER_CONFIG === 'defaults' ? 'defaults' : 'production';
const port = Number(process.env.PORT ?? 0);
const databaseUrl = process.env.DATABASE_URL;
const secret = process.env.BETTER_AUTH_SECRET;
if (!databaseUrl || !secret) {
  console.error('better-auth peer: DATABASE_URL and BETTER_AUTH_SECRET are required');
  process.exit(1);
}

// Same pool size as the service (src/db/postgres.ts: max 10).
const pool = new Pool({ connectionString: databaseUrl, max: 10, application_name: `va-bench-peer-${config}` });

/** The "mailbox": the last token per address (bounded), and how many were sent. */
const captured = new Map<string, string>();
let sent = 0;
let onSend: ((email: string, token: string) => void) | null = null;

const limits = { window: 60, max: HIGH };
const rules = { '/sign-in/magic-link': limits, '/magic-link/verify': limits, '/get-session': limits };

export const auth = betterAuth({
  baseURL: `http://localhost:${port || 3000}`,
  secret,
  database: pool,
  telemetry: { enabled: false },
  rateLimit:
    config === 'production' ? { enabled: true, storage: 'database', ...limits, customRules: rules } : { ...limits, customRules: rules },
  plugins: [
    magicLink({
      ...(config === 'production' ? { storeToken: 'hashed' as const } : {}),
      rateLimit: limits,
      sendMagicLink: async ({ email, token }) => {
        sent++;
        if (captured.size >= 1000) captured.clear();
        captured.set(email, token);
        onSend?.(email, token);
      },
    }),
  ],
});

const command = process.argv[2] ?? 'serve';

if (command === 'migrate') {
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  await pool.end();
  process.exit(0);
}

if (command === 'mint') {
  const count = Number(process.argv[3]);
  const file = process.argv[4];
  if (!Number.isInteger(count) || count < 1 || !file) {
    console.error('usage: bun better-auth.ts mint N FILE');
    process.exit(2);
  }
  // Returning shoppers: the users exist (one batched insert), so verify finds them and does not
  // sign them up — the cheaper verify path for the peer.
  const run = crypto.randomUUID().slice(0, 8);
  const emails = Array.from({ length: count }, (_, i) => `peer-${run}-${i}@example.com`);
  for (let i = 0; i < emails.length; i += 5000) {
    const batch = emails.slice(i, i + 5000);
    await pool.query(
      `insert into "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
       select gen_random_uuid()::text, 'Bench shopper', e, true, now(), now() from unnest($1::text[]) as t(e)`,
      [batch],
    );
  }
  const tokens = new Map<string, string>();
  onSend = (email, token) => tokens.set(email, token);
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const email = emails[next++]!;
      await auth.api.signInMagicLink({ body: { email }, headers: new Headers() });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  writeFileSync(file, `${emails.map((e) => tokens.get(e)!).join('\n')}\n`);
  await pool.end();
  process.exit(0);
}

const server = Bun.serve({
  port,
  fetch(request) {
    const url = request.url;
    const path = url.slice(url.indexOf('/', 8));
    if (path.startsWith('/_bench/mail')) {
      const email = new URL(url).searchParams.get('email') ?? '';
      return Response.json({ token: captured.get(email) ?? null, sent });
    }
    return auth.handler(request);
  },
});
console.log(`listening ${server.port} (better-auth peer, ${config} config)`);
process.on('SIGTERM', async () => {
  server.stop(true);
  await pool.end();
  process.exit(0);
});
