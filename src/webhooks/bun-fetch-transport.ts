// The Bun entry's webhook transport (Bun-only: imported by src/server.ts and the tests, never by the
// portable code). Bun's fetch can do what a standard fetch cannot: the URL names the address the
// check resolved, `tls.serverName` the endpoint's host (the certificate is verified against it),
// and a FetchSession (Bun ≥ 1.4.2) keeps connections alive per address, port and server name, so
// the deliveries to an endpoint share a few connections: ~70 µs of CPU per delivery, against ~320
// for a new node:http connection each (Bun implements node:http on top of fetch) and ~140 with a
// keep-alive Agent. No proxy from the environment: the connection goes to the checked address.
import { errorText, hostName, outcomeOf, type WebhookTransport } from './transport.ts';

/** An answer's body up to this size is read so its connection can carry the next delivery; a longer or unsized one closes it. */
const ANSWER_READ_BYTES = 64 * 1024;

/** Bun's fetch errors name the request URL (the path and query may carry a receiver's own token): it is dropped, as the logs and `last_error` keep this text. */
function fetchErrorText(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = errorText(error).replace(/ fetching ".*$/s, '');
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

export function bunFetchTransport(): WebhookTransport {
  // A pool of its own, and no proxy from the environment: the connection goes to the checked address.
  const session = new Bun.FetchSession({ proxy: false });
  return {
    async post({ url, address }, body, headers, timeoutMs) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      const done = () => clearTimeout(timer);
      const host = address.includes(':') ? `[${address}]` : address;
      let response: Response;
      try {
        response = await session.fetch(`${url.protocol}//${host}${url.port ? `:${url.port}` : ''}${url.pathname}${url.search}`, {
          method: 'POST',
          body,
          headers: { ...headers, host: url.host },
          redirect: 'manual',
          signal: abort.signal,
          tls: url.protocol === 'https:' ? { serverName: hostName(url) } : undefined,
        });
      } catch (error) {
        done();
        return { ok: false, status: null, error: abort.signal.aborted ? `timeout after ${timeoutMs} ms` : fetchErrorText(error) };
      }
      // Read a short answer in the background (still within the timeout) so the connection stays
      // usable; cancel anything else rather than buffer it.
      const declared = response.headers.get('content-length');
      if (declared === null ? response.status === 204 || response.status === 304 : Number(declared) <= ANSWER_READ_BYTES)
        void response.arrayBuffer().then(done, done);
      else {
        done();
        void response.body?.cancel().catch(() => {});
      }
      return outcomeOf(response.status);
    },
    close: () => session.close(),
  };
}
