// Where a webhook may be sent (SSRF defence). An endpoint's URL is checked when it is registered
// and again before every delivery, and the delivery connects to the very address that was checked
// (no second DNS lookup in between that could answer differently: DNS rebinding).
// Production: https only, and every address the host resolves to must be public — loopback,
// private, link-local, CGNAT, unique-local, multicast, reserved and cloud metadata addresses are
// refused, IPv4 and IPv6 alike, IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4) included.
// Development and test: http too, and `localhost` / `127.0.0.1` may be loopback so a developer can
// receive locally; private ranges never.
import { lookup } from 'node:dns/promises';
import { ipInCidrs, isLoopback, parseCidrList, parseIp } from '../net/cidr.ts';

/** Resolves a host name to its addresses (tests inject their own). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

const FORBIDDEN = parseCidrList(
  [
    '0.0.0.0/8', // "this network"
    '10.0.0.0/8',
    '100.64.0.0/10', // CGNAT
    '127.0.0.0/8',
    '169.254.0.0/16', // link-local, 169.254.169.254 (metadata) included
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '192.168.0.0/16',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/4', // multicast
    '240.0.0.0/4', // reserved, broadcast
    '::/128',
    '::1/128',
    'fc00::/7', // unique local, fd00:ec2::254 (metadata) included
    'fe80::/10',
    'fec0::/10',
    'ff00::/8',
    '2001:db8::/32',
  ].join(','),
);

/** IPv4 carried inside IPv6 whose embedded address decides: IPv4-compatible, NAT64 (64:ff9b::/96), 6to4 (2002::/16). */
function embeddedIPv4(address: string): string | null {
  const text = address.toLowerCase();
  const dotted = /^(?:::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4})(?::|$)/.exec(text);
  const pair = hex ?? sixToFour;
  if (!pair) return null;
  const high = parseInt(pair[1]!, 16);
  const low = parseInt(pair[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an address a webhook must never reach (IPv4-mapped IPv6 is judged as its IPv4). */
export function isForbiddenAddress(address: string): boolean {
  if (!parseIp(address)) return true; // not an address we can judge
  const inner = embeddedIPv4(address);
  if (inner !== null && (inner === '0.0.0.0' || isForbiddenAddress(inner))) return true;
  return ipInCidrs(address, FORBIDDEN);
}

export type UrlPolicy = { production: boolean; resolve: Resolver };

/** A URL and the address a delivery connects to. */
export type CheckedUrl = { url: URL; address: string };

export class WebhookUrlRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WebhookUrlRefused';
  }
}

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1']);

/** Parses and checks a webhook URL; resolves the host; throws WebhookUrlRefused with a reason a caller may read. */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<CheckedUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('url must be an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlRefused('url must use https.');
  if (policy.production && url.protocol !== 'https:') throw new WebhookUrlRefused('url must use https.');
  if (url.username || url.password) throw new WebhookUrlRefused('url must not carry credentials.');
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const localAllowed = !policy.production && LOCAL_NAMES.has(hostname);
  let addresses: string[];
  try {
    addresses = /^[\d.]+$/.test(hostname) || hostname.includes(':') ? [hostname] : await policy.resolve(hostname);
  } catch {
    throw new WebhookUrlRefused(`the host ${hostname} does not resolve.`);
  }
  if (addresses.length === 0) throw new WebhookUrlRefused(`the host ${hostname} does not resolve.`);
  for (const address of addresses) {
    if (localAllowed && isLoopback(address)) continue;
    if (isForbiddenAddress(address)) throw new WebhookUrlRefused(`the host ${hostname} resolves to a private or reserved address.`);
  }
  return { url, address: addresses[0]! };
}
