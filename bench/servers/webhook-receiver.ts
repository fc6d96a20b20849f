// A storefront's webhook receiver for the sign-in bench's webhooks variant: answers every POST 204
// at once and counts it, and the distinct `webhook-id`s (a retry or a duplicate delivery repeats
// one). No signature check: the receiver must cost next to nothing, so what is measured is the
// sender. Started by bench/sign-in.ts with PORT; GET /stats answers { received, distinct }; DELETE
// forgets them (each webhooks run starts from zero: one receiver serves every pair).
const port = Number(process.env.PORT ?? 0);
let received = 0;
const ids = new Set<string>();

const receiverServer = Bun.serve({
  hostname: '127.0.0.1',
  port,
  async fetch(request) {
    if (request.method === 'GET') return Response.json({ received, distinct: ids.size });
    if (request.method === 'DELETE') {
      received = 0;
      ids.clear();
      return new Response(null, { status: 204 });
    }
    await request.arrayBuffer();
    received++;
    ids.add(request.headers.get('webhook-id') ?? '');
    return new Response(null, { status: 204 });
  },
});
console.log(`listening http ${receiverServer.port}`);

process.on('SIGTERM', () => {
  receiverServer.stop(true);
  process.exit(0);
});
