# Visitor Access on Bun. Production needs DATABASE_URL, SMTP_URL, TOKEN_SECRET and PUBLIC_URL at run
# time (the service refuses to start without them); migrations run at start-up under an advisory lock.
#   docker build -t visitor-access .
#   docker run -p 3000:3000 -e DATABASE_URL=… -e SMTP_URL=… -e TOKEN_SECRET=… -e PUBLIC_URL=https://… visitor-access
#   docker run --rm -e DATABASE_URL=… … visitor-access bun src/cli.ts tenant list

# --- dependencies: production only, exactly as locked ---
FROM oven/bun:1.4 AS deps
WORKDIR /app
COPY package.json bun.lock ./
# bun install applies patches/ (patchedDependencies in package.json: postgres.js's queue fix).
COPY patches ./patches
RUN bun install --frozen-lockfile --production

# --- runtime ---
FROM oven/bun:1.4
WORKDIR /app
# JavaScriptCore: size the heap for a 128 MiB machine; grow it 2× its live size between full
# collections only while the process holds < 0.65 of that (83 MiB), 1.5× above; skip the FTL tier
# (its compiler's memory); mark without a concurrent collector thread, so the JS cannot keep
# allocating while a collection marks. mimalloc (Bun's allocator): give freed pages back to the OS
# at once, not 100 ms later. RSS peak under the full sign-in + mail load ~96-99 instead of ~145 MiB
# (docs/performance.md, "RSS").
ENV NODE_ENV=production \
    PORT=3000 \
    BUN_JSC_forceRAMSize=134217728 \
    BUN_JSC_smallHeapRAMFraction=0.65 \
    BUN_JSC_useFTLJIT=0 \
    BUN_JSC_useConcurrentGC=0 \
    MIMALLOC_PURGE_DELAY=0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY sql ./sql
COPY src ./src
# Code stays root-owned (read-only to the service). Only ./data is writable, for the embedded
# database of a non-production run (NODE_ENV=development without DATABASE_URL).
RUN mkdir -p /app/data && chown bun:bun /app/data
USER bun
EXPOSE 3000
# The image has no curl: ask bun itself. Follows PORT if it is overridden.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "fetch(`http://localhost:${process.env.PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "src/server.ts"]
