// Per-request facts every handler needs — request id, client IP, host — computed once and kept
// beside the Request (a WeakMap, so the app stays plain `Request`/`Response` and runs on Deno too).
import type { Config } from '../config.ts';
import { ipInCidrs } from './cidr.ts';

export type RequestContext = {
  requestId: string;
  startedAt: number;
  /** The socket peer, as the entry point saw it (null when unknown, e.g. in-process calls). */
  peerIp: string | null;
  /** The client, after walking X-Forwarded-For from the right past trusted proxies. */
  clientIp: string;
  /** Hostname (no port) the request came through, lower-case. */
  hostname: string;
  /** scheme://host[:port] the browser used. */
  origin: string;
  path: string;
  userAgent: string | null;
  /** Headers every answer to this request carries, whatever produced it (e.g. RateLimit). */
  responseHeaders: Record<string, string>;
  /** What handlers learned about the request, for the request log (never secrets). */
  facts: { tenantId?: string; visitorId?: string; sessionId?: string; code?: string };
};

/** Entry points (Bun, Deno, tests) record the socket peer of each request here. */
export const socketPeers = new WeakMap<Request, string>();

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
const contexts = new WeakMap<Request, RequestContext>();

export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let out = 'req_';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function clientIpOf(peer: string | null, forwardedFor: string | null, config: Config): string {
  if (!peer) return 'unknown';
  if (!forwardedFor || !ipInCidrs(peer, config.trustedProxies)) return peer;
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!ipInCidrs(hops[i]!, config.trustedProxies)) return hops[i]!;
  }
  return hops[0] ?? peer;
}

export function requestContext(request: Request, config: Config): RequestContext {
  const existing = contexts.get(request);
  if (existing) return existing;
  const url = new URL(request.url);
  const peerIp = socketPeers.get(request) ?? null;
  const trusted = peerIp !== null && ipInCidrs(peerIp, config.trustedProxies);
  const incomingId = request.headers.get('x-request-id');
  const forwardedHost = trusted ? request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const forwardedProto = trusted ? request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
  const host = (forwardedHost || url.host).toLowerCase();
  const protocol = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : url.protocol.slice(0, -1);
  const context: RequestContext = {
    requestId: trusted && incomingId && REQUEST_ID.test(incomingId) ? incomingId : newRequestId(),
    startedAt: performance.now(),
    peerIp,
    clientIp: clientIpOf(peerIp, request.headers.get('x-forwarded-for'), config),
    hostname: host.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
    origin: `${protocol}://${host}`,
    path: url.pathname,
    userAgent: request.headers.get('user-agent'),
    responseHeaders: {},
    facts: {},
  };
  contexts.set(request, context);
  return context;
}

/** A copy of a request (its body re-read) is the same request: same id, peer and facts. */
export function adoptRequestContext(original: Request, copy: Request, config: Config): void {
  contexts.set(copy, requestContext(original, config));
  const peer = socketPeers.get(original);
  if (peer) socketPeers.set(copy, peer);
}
