// A TCP proxy the tests can cut: the service talks to PostgreSQL through it, and "the database
// went away" is closing it (every connection dropped, new ones refused) — a real network fault.
import type { Socket, TCPSocketListener } from 'bun';

type Pair = { client: Socket<Pair>; upstream: Socket<unknown> | null; pending: Uint8Array[] };

export class TcpProxy {
  private listener: TCPSocketListener<Pair> | null = null;
  private readonly pairs = new Set<Pair>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  start(port = this.port): this {
    if (this.listener) return this;
    const self = this;
    this.listener = Bun.listen<Pair>({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(client) {
          const pair: Pair = { client, upstream: null, pending: [] };
          client.data = pair;
          self.pairs.add(pair);
          Bun.connect({
            hostname: self.targetHost,
            port: self.targetPort,
            socket: {
              open(upstream) {
                pair.upstream = upstream;
                for (const chunk of pair.pending) upstream.write(chunk);
                pair.pending = [];
              },
              data(_upstream, chunk) {
                pair.client.write(chunk);
              },
              close() {
                pair.client.end();
              },
              error() {
                pair.client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          const pair = client.data;
          if (pair.upstream) pair.upstream.write(chunk);
          else pair.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          client.data.upstream?.end();
          self.pairs.delete(client.data);
        },
        error(client) {
          client.data.upstream?.end();
        },
      },
    });
    this.port = this.listener.port;
    return this;
  }

  /** Drops every connection and refuses new ones until start() again (same port). */
  stop(): void {
    this.listener?.stop(true);
    this.listener = null;
    for (const pair of this.pairs) {
      pair.upstream?.end();
      pair.client.end();
    }
    this.pairs.clear();
  }
}
