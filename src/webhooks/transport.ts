// How a signed delivery reaches its endpoint: a POST to the address the URL check just resolved (no
// second DNS lookup that could answer differently), with the URL's host in the Host header and as
// the TLS server name (the certificate is verified against it), no redirect followed, given up
// after the timeout. Any 2xx is a success; the answer's body is not needed.
//
// Under Bun, its fetch: the URL names the checked address, `tls.serverName` the endpoint's host,
// and a FetchSession keeps connections alive per address, port and server name, so the deliveries
// to an endpoint share a few connections (a new connection per delivery through node:http, which
// Bun implements on top of fetch, cost ~320 µs of CPU each, ~140 with a keep-alive Agent, ~70 with
// fetch). Other runtimes' fetch cannot pin the address or set the server name: they use
// node:http(s), whose `lookup` answers with the checked address, a connection per delivery.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedUrl } from './url-policy.ts';

export type DeliveryOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

export type WebhookTransport = {
  post(target: CheckedUrl, body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryOutcome>;
  /** Closes idle connections (the worker stopped). */
  close(): void;
};

/** An answer's body up to this size is read so its connection can carry the next delivery; a longer or unsized one closes it. */
const ANSWER_READ_BYTES = 64 * 1024;

export function runtimeTransport(): WebhookTransport {
  return typeof Bun === 'undefined' ? nodeHttpTransport() : bunFetchTransport();
}

function outcomeOf(status: number): DeliveryOutcome {
  return status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` };
}

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/** Bun's fetch errors name the request URL (the path and query may carry a receiver's own token): it is dropped, as the logs and `last_error` keep this text. */
function fetchErrorText(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = errorText(error).replace(/ fetching ".*$/s, '');
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The endpoint's host name without IPv6 brackets. */
function hostName(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
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

export function nodeHttpTransport(): WebhookTransport {
  return {
    post({ url, address }, body, headers, timeoutMs) {
      const family = address.includes(':') ? 6 : 4;
      // Whatever name the client asks for, the answer is the address just checked.
      const lookup = ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
        if (options?.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
      }) as unknown as LookupFunction;
      const client = url.protocol === 'https:' ? https : http;
      return new Promise<DeliveryOutcome>((resolve) => {
        let settled = false;
        const finish = (outcome: DeliveryOutcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(outcome);
        };
        const request = client.request(
          {
            protocol: url.protocol,
            hostname: hostName(url),
            port: url.port || undefined,
            path: `${url.pathname}${url.search}`,
            method: 'POST',
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            lookup,
            agent: false,
          },
          (response) => {
            response.resume(); // the answer's body is not read
            request.destroy();
            finish(outcomeOf(response.statusCode ?? 0));
          },
        );
        const timer = setTimeout(() => {
          finish({ ok: false, status: null, error: `timeout after ${timeoutMs} ms` });
          request.destroy();
        }, timeoutMs);
        request.on('error', (error) => finish({ ok: false, status: null, error: errorText(error) }));
        request.end(body);
      });
    },
    close() {},
  };
}
