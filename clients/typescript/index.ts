// A thin typed client for Visitor Access: openapi-fetch over the types `bun run client:generate`
// writes from GET /openapi.json. Every call returns `{ data, error, response }`; `error` is the
// problem+json body (with its stable `code`) when the status is not 2xx.
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.d.ts';

export type { components, operations, paths } from './schema.d.ts';

export type VisitorAccessClientOptions = ClientOptions & {
  /** The service's origin, e.g. `https://id.example.com` (or the storefront's edge host for visitor routes). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`: a PAT (`vapat_…`), a storefront JWT or a session token (`vs_…`). */
  token?: string;
};

export function createVisitorAccessClient({ token, headers, ...options }: VisitorAccessClientOptions) {
  const merged = new Headers(headers as HeadersInit | undefined);
  if (token) merged.set('authorization', `Bearer ${token}`);
  return createClient<paths>({ ...options, headers: Object.fromEntries(merged) });
}
