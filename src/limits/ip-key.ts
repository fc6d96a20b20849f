// The key a client IP is limited under. IPv4: the address. IPv6: its network prefix (a /64 by
// default, IPV6_LIMIT_PREFIX): one subscriber usually gets a whole /64 and can pick any address in
// it, so keying by the full address would give each request its own bucket. IPv4-mapped IPv6
// (`::ffff:a.b.c.d`, as dual-stack sockets report IPv4 clients) is the IPv4 address. Every
// spelling of one address (compressed, zero-padded, bracketed, with a zone id) gives one key.
import { parseIp } from '../net/cidr.ts';

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function ipv6PrefixText(value: bigint, prefix: number): string {
  const shift = BigInt(128 - prefix);
  const network = (value >> shift) << shift;
  const groups = [];
  for (let i = 7; i >= 0; i--) groups.push(((network >> BigInt(i * 16)) & 0xffffn).toString(16));
  return `${groups.join(':')}/${prefix}`;
}

/** `ipv6Prefix`: how many leading bits of an IPv6 address name one client (16…128). */
export function ipLimitKey(address: string, ipv6Prefix: number): string {
  const ip = parseIp(address.trim());
  // Not an address (e.g. `unknown` for an in-process call): its own bucket, as given.
  if (!ip) return address;
  return ip.version === 4 ? ipv4Text(ip.value) : ipv6PrefixText(ip.value, ipv6Prefix);
}
