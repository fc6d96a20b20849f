// Ceiling: the cheapest answer Bun can give on this machine — a bare `Bun.serve` returning 204.
// Started by bench/edge.ts with PORT set; it answers every path the same.
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  fetch: () => new Response(null, { status: 204 }),
});
console.log(`listening ${server.port}`);
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
