// Per-request facts every handler needs — request id, client IP, host — computed once and kept
// beside the Request (a WeakMap, so the app stays plain `Request`/`Response` and runs on Deno too).
import type { Config } from '../config.ts';
import { ipInCidrs } from '../net/cidr.ts';
import { recordedHeader } from './text-fields.ts';

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

/**
 * The socket peer as an entry point hands it over: the address, or a function that asks the server
 * for it (Bun's `requestIP` costs about a microsecond, so the edge check asks only when it must).
 */
export type PeerSource = string | (() => string | undefined) | undefined;

export function resolvePeer(request: Request, peer: PeerSource): string | undefined {
  const address = typeof peer === 'function' ? peer() : peer;
  return address ?? socketPeers.get(request);
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
const contexts = new WeakMap<Request, RequestContext>();

// Request ids on every request (the edge check included): random bytes drawn in bulk and hex-encoded
// in bulk (natively), 24 digits cut per id; a digit-by-digit string cost the cached edge check ~7 %.
const ID_HEX_DIGITS = 24;
const idBytes = new Uint8Array((ID_HEX_DIGITS / 2) * 341);
let idHex = '';
let idHexAt = 0;

export function newRequestId(): string {
  if (idHexAt + ID_HEX_DIGITS > idHex.length) {
    crypto.getRandomValues(idBytes);
    idHex = Buffer.from(idBytes.buffer).toString('hex');
    idHexAt = 0;
  }
  const id = `req_${idHex.slice(idHexAt, idHexAt + ID_HEX_DIGITS)}`;
  idHexAt += ID_HEX_DIGITS;
  return id;
}

// Whether an address is a trusted proxy, memoised per address (bounded): parsing CIDRs on every
// request was the largest cost of the edge check.
const trustMemo = new WeakMap<Config, Map<string, boolean>>();

function isTrustedProxy(address: string, config: Config): boolean {
  let memo = trustMemo.get(config);
  if (!memo) {
    memo = new Map();
    trustMemo.set(config, memo);
  }
  let trusted = memo.get(address);
  if (trusted === undefined) {
    trusted = ipInCidrs(address, config.trustedProxies);
    if (memo.size >= 4096) memo.clear();
    memo.set(address, trusted);
  }
  return trusted;
}

function clientIpOf(peer: string | null, forwardedFor: string | null, trusted: boolean, config: Config): string {
  if (!peer) return 'unknown';
  if (!forwardedFor || !trusted) return peer;
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrustedProxy(hops[i]!, config)) return hops[i]!;
  }
  return hops[0] ?? peer;
}

/** Forwarded facts are only read when some were sent — and then only believed from a trusted peer. */
function forwardedHeadersSent(headers: Headers): boolean {
  return (
    headers.has('x-forwarded-for') || headers.has('x-forwarded-host') || headers.has('x-forwarded-proto') || headers.has('x-request-id')
  );
}

export function requestContext(request: Request, config: Config): RequestContext {
  const existing = contexts.get(request);
  if (existing) return existing;
  const url = new URL(request.url);
  const peerIp = socketPeers.get(request) ?? null;
  const trusted = peerIp !== null && forwardedHeadersSent(request.headers) && isTrustedProxy(peerIp, config);
  const incomingId = request.headers.get('x-request-id');
  const forwardedHost = trusted ? request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const forwardedProto = trusted ? request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
  const host = (forwardedHost || url.host).toLowerCase();
  const protocol = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : url.protocol.slice(0, -1);
  const context: RequestContext = {
    requestId: trusted && incomingId && REQUEST_ID.test(incomingId) ? incomingId : newRequestId(),
    startedAt: performance.now(),
    peerIp,
    clientIp: clientIpOf(peerIp, request.headers.get('x-forwarded-for'), trusted, config),
    hostname: host.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
    origin: `${protocol}://${host}`,
    path: url.pathname,
    // Stored in sessions, reports and the request log: control characters dropped, 512 at most.
    userAgent: recordedHeader(request.headers.get('user-agent')),
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

/** The few facts the edge check needs, without parsing the URL: it runs on every gated page view. */
export function edgeRequestFacts(
  request: Request,
  config: Config,
  peerSource?: PeerSource,
): { requestId: string; hostname: string; origin: () => string } {
  const headers = request.headers;
  let trusted = false;
  if (forwardedHeadersSent(headers)) {
    const peer = resolvePeer(request, peerSource);
    trusted = peer !== undefined && isTrustedProxy(peer, config);
  }
  const incomingId = trusted ? headers.get('x-request-id') : null;
  // The Host header, not request.url: Bun builds the URL string lazily, and building it costs more
  // than the rest of a cached edge check. (In-process Requests carry no Host header: URL then.)
  const forwardedHost = trusted ? headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const host = (forwardedHost || headers.get('host') || hostOfUrl(request.url)).toLowerCase();
  let hostname = host;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') < colon) hostname = host.slice(0, colon);
  if (hostname.charCodeAt(0) === 91 /* [ */) hostname = hostname.slice(1, -1);
  return {
    requestId: incomingId && REQUEST_ID.test(incomingId) ? incomingId : newRequestId(),
    hostname,
    origin() {
      const proto = trusted ? headers.get('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
      const url = request.url;
      return `${proto === 'https' || proto === 'http' ? proto : url.slice(0, url.indexOf(':'))}://${host}`;
    },
  };
}

function hostOfUrl(url: string): string {
  const start = url.indexOf('//') + 2;
  const end = url.indexOf('/', start);
  return url.slice(start, end === -1 ? undefined : end);
}
