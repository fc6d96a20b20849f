// IPv4/IPv6 CIDR matching for TRUSTED_PROXIES; addresses compared as bigints.

export type Cidr = { version: 4 | 6; network: bigint; bits: number };

function parseIPv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  let head = groups(halves[0]!);
  let tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  if (last?.includes('.')) {
    const v4 = parseIPv4(last);
    if (v4 === null) return null;
    const extra = [((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16)];
    if (halves.length === 2) tail = [...tail.slice(0, -1), ...extra];
    else head = [...head.slice(0, -1), ...extra];
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

export function parseIp(text: string): { version: 4 | 6; value: bigint } | null {
  // Dual-stack servers report IPv4 clients as ::ffff:a.b.c.d: take the IPv4 road directly.
  if (text.startsWith('::ffff:') && text.includes('.')) text = text.slice(7);
  const v4 = parseIPv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIPv6(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (v6 === null) return null;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address.
  if (v6 >> 32n === 0xffffn) return { version: 4, value: v6 & 0xffffffffn };
  return { version: 6, value: v6 };
}

export function parseCidrList(text: string): Cidr[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [address, bitsText] = entry.split('/');
      const ip = parseIp(address!);
      if (!ip) throw new Error(`has an invalid address "${entry}"`);
      const max = ip.version === 4 ? 32 : 128;
      const bits = bitsText === undefined ? max : Number(bitsText);
      if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`has an invalid prefix "${entry}"`);
      const shift = BigInt(max - bits);
      return { version: ip.version, network: (ip.value >> shift) << shift, bits };
    });
}

export function ipInCidrs(address: string, cidrs: readonly Cidr[]): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  return cidrs.some((cidr) => {
    if (cidr.version !== ip.version) return false;
    const shift = BigInt((ip.version === 4 ? 32 : 128) - cidr.bits);
    return (ip.value >> shift) << shift === cidr.network;
  });
}

export function isLoopback(address: string): boolean {
  return ipInCidrs(address, LOOPBACK);
}

const LOOPBACK = parseCidrList('127.0.0.0/8,::1');
