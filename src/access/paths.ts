// Strict path normalisation for the edge check and for grant resources (docs/api.md "Edge check"):
// percent-decode once; resolve `.`/`..`; collapse `//`; drop a trailing slash. Encoded `/` or `\`,
// control characters, `;`, a `%` left after decoding, `..` above the root, a Unicode look-alike of
// `.` `/` `\` `%` `;` (raw, encoded or as raw UTF-8 bytes), or undecodable input
// → null (the caller answers 403 bad_path), so `/content/a/../b` can never borrow a grant for `/content/a`.

const RAW_FORBIDDEN = /[\u0000-\u001f\u007f;\\]|%2f|%5c/i;
const DECODED_FORBIDDEN = /[\u0000-\u001f\u007f;\\%]/;

// Unicode look-alikes of `.` `/` `\` `%` `;` → null too: `/content/a/．．/b` is a harmless literal
// segment here, but a back end that normalises Unicode (NFKC, IDNA-style dot mapping, Windows
// "best fit" code pages) reads `/content/a/../b` and climbs out of the grant. Two sources:
// every character whose NFKC form holds one of them (U+FF0E, U+2024, U+FE52, U+FF0F, U+FE68,
// U+FF3C, U+2025…: 43 in the BMP, found once at load, ~5 ms; the one outside it is listed), and
// confusables that have no NFKC mapping but that mappers and code pages still turn into one.
// Letters and digits of real scripts that confusables.txt also lists (Arabic zero, 丶, 丿) stay
// allowed, and so do ¥ and ₩ (the backslash of Japanese and Korean code pages, but also a byte of
// many UTF-8 letters read as Latin-1, e.g. `å`).
const STRUCTURAL = /[./\\%;]/;
const CONFUSABLES = [
  0x1f100, // DIGIT ZERO FULL STOP (NFKC "0.", outside the BMP scan)
  0x3002,
  0xff61, // ideographic full stops (IDNA maps them to ".")
  0x0701,
  0x0702,
  0xa60e,
  0x10a50,
  0x1d16d,
  0xa4f8, // full stops and dots of other scripts
  0x2215,
  0x2044,
  0x29f8,
  0x2571,
  0x27cb,
  0x1735,
  0x2041,
  0x2f03,
  0x3033,
  0x31d3,
  0x1d23a, // slashes
  0x2216,
  0x29f5,
  0x29f9,
  0x2572,
  0x27cd,
  0x31d4,
  0x2f02,
  0x1d20f,
  0x1d23b, // backslashes
];

function lookAlikeSet(): RegExp {
  const codes = new Set(CONFUSABLES);
  for (let code = 0x80; code <= 0xffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue; // lone surrogates
    if (STRUCTURAL.test(String.fromCharCode(code).normalize('NFKC'))) codes.add(code);
  }
  const members = [...codes].map((code) => `\\u{${code.toString(16)}}`).join('');
  return new RegExp(`[${members}]`, 'u');
}

const LOOK_ALIKE = lookAlikeSet();
const NON_ASCII = /[^\u0000-\u007f]/;
const LATIN1_HIGH = /[\u0080-\u00ff]/;
const UTF8 = new TextDecoder();
const ENCODER = new TextEncoder();

/**
 * A header carries bytes, read as Latin-1: `．` sent raw (not percent-encoded) arrives as
 * "ï¼\u008e". The text as a back end decoding those bytes as UTF-8 would read it.
 */
function asUtf8Bytes(text: string): string {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code <= 0xff) bytes.push(code);
    else bytes.push(...ENCODER.encode(char));
  }
  return UTF8.decode(new Uint8Array(bytes));
}

/** Whether a path with non-ASCII characters holds a look-alike, as text or as raw UTF-8 bytes. */
function hasLookAlike(raw: string, decoded: string): boolean {
  if (LOOK_ALIKE.test(decoded)) return true;
  return LATIN1_HIGH.test(raw) && LOOK_ALIKE.test(asUtf8Bytes(raw));
}

/** The normalised path of an original URI (query string and fragment ignored), or null. */
export function normalisePath(uri: string): string | null {
  let end = uri.length;
  const q = uri.indexOf('?');
  if (q !== -1) end = q;
  const h = uri.indexOf('#');
  if (h !== -1 && h < end) end = h;
  const raw = uri.slice(0, end);
  if (raw.charCodeAt(0) !== 47 /* / */ || RAW_FORBIDDEN.test(raw)) return null;
  let decoded: string;
  try {
    decoded = raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    return null;
  }
  if (decoded !== raw && DECODED_FORBIDDEN.test(decoded)) return null;
  if (NON_ASCII.test(decoded) && hasLookAlike(raw, decoded)) return null; // ASCII paths: one scan
  if (!decoded.includes('/.') && !decoded.includes('//') && (decoded.length === 1 || !decoded.endsWith('/'))) {
    return decoded; // already normal: the common case, no allocation
  }
  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null; // climbing above the root
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return `/${segments.join('/')}`;
}

/** Gated prefixes match case-insensitively; gated `/p/` also gates `/p`. */
export function isGated(path: string, gatedPrefixes: readonly string[]): boolean {
  const lower = path.toLowerCase();
  for (const prefix of gatedPrefixes) {
    const p = prefix.toLowerCase();
    if (lower.startsWith(p) || (p.length === lower.length + 1 && p.endsWith('/') && p.startsWith(lower))) return true;
  }
  return false;
}

/** Grants match case-sensitively: exact, or `/p/*` = `/p` and everything under `/p/` (whole segments). */
export function grantCovers(resource: string, path: string): boolean {
  if (!resource.endsWith('/*')) return resource === path;
  const baseLength = resource.length - 2;
  if (baseLength === 0) return true; // `/*`: the whole site
  // `path` is the base, or the base and a `/` and more: compared in place (every edge check runs this).
  if (path.length !== baseLength && path.charCodeAt(baseLength) !== 47 /* / */) return false;
  return resource.startsWith(path.length === baseLength ? path : path.slice(0, baseLength));
}

/** A grant resource must already be in normalised form: `/a/b` or `/a/*` (or `/*`). */
export function isNormalisedResource(resource: string): boolean {
  if (typeof resource !== 'string' || resource.length === 0 || resource.length > 1024) return false;
  if (resource === '/*') return true;
  const base = resource.endsWith('/*') ? resource.slice(0, -2) : resource;
  return base !== '/' && normalisePath(base) === base && !base.includes('*') && !base.includes('?') && !base.includes('#');
}
