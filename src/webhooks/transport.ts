// How a signed delivery reaches its endpoint: a POST to the address the URL check just resolved (no
// second DNS lookup that could answer differently), with the URL's host in the Host header and as
// the TLS server name (the certificate is verified against it), no redirect followed, given up
// after the timeout. Any 2xx is a success; the answer's body is not needed.
//
// This is the portable transport (Deno, and the default): node:http(s), whose `lookup` answers with
// the checked address, a connection per delivery. The Bun entry gives the runtime its fetch-based
// transport instead (bun-fetch-transport.ts: connections kept alive, ~70 µs of CPU per delivery
// against ~320 here), because a standard fetch can neither pin the address nor set the server name.
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

export function outcomeOf(status: number): DeliveryOutcome {
  return status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` };
}

export function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/** The endpoint's host name without IPv6 brackets. */
export function hostName(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
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
