// Email normalisation — this form is the visitor key (docs/api.md "Words"): trim, NFC, lower-case the whole
// address, IDN domain → punycode, ≤ 254 characters, a dot in the domain. Anything else: invalid.

// Local part: no whitespace, controls, quotes or specials; dots not leading, trailing or doubled.
const LOCAL = /^(?!\.)(?!.*\.\.)(?!.*\.$)[^\s\p{C}"(),:;<>@[\\\]]{1,64}$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function normaliseEmail(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 512) return null;
  const text = input.trim().normalize('NFC').toLowerCase();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  const local = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (!LOCAL.test(local)) return null;
  // Reject anything the URL parser would quietly "fix" (ports, paths, percent signs, spaces…).
  if (/[\s\p{C}/?#%:@[\]\\]/u.test(domainText)) return null;
  let domain: string;
  try {
    domain = new URL(`http://${domainText}`).hostname; // WHATWG IDNA: Unicode → punycode
  } catch {
    return null;
  }
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  if (/^\d+$/.test(labels.at(-1)!)) return null; // an IP address is not a mail domain here
  const email = `${local}@${domain}`;
  return email.length <= 254 ? email : null;
}

/** d•••@example.com — for pages that confirm where a link went without showing the address. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  return `${local.slice(0, 1)}${'•'.repeat(Math.max(2, Math.min(local.length - 1, 6)))}${email.slice(at)}`;
}
