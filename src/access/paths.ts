// Strict path normalisation for the edge check and for grant resources (api.md "Edge route"):
// percent-decode once; resolve `.`/`..`; collapse `//`; drop a trailing slash. Encoded `/` or `\`,
// control characters, `;`, a `%` left after decoding, `..` above the root, or undecodable input
// → null (the caller answers 403 bad_path), so `/content/a/../b` can never borrow a grant for `/content/a`.

const RAW_FORBIDDEN = /[\u0000-\u001f\u007f;\\]|%2f|%5c/i;
const DECODED_FORBIDDEN = /[\u0000-\u001f\u007f;\\%]/;

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
    if (lower.startsWith(p) || `${lower}/` === p) return true;
  }
  return false;
}

/** Grants match case-sensitively: exact, or `/p/*` = `/p` and everything under `/p/` (whole segments). */
export function grantCovers(resource: string, path: string): boolean {
  if (!resource.endsWith('/*')) return resource === path;
  const base = resource.slice(0, -2);
  if (base === '') return true; // `/*`: the whole site
  return path === base || path.startsWith(`${base}/`);
}

/** A grant resource must already be in normalised form: `/a/b` or `/a/*` (or `/*`). */
export function isNormalisedResource(resource: string): boolean {
  if (typeof resource !== 'string' || resource.length === 0 || resource.length > 1024) return false;
  if (resource === '/*') return true;
  const base = resource.endsWith('/*') ? resource.slice(0, -2) : resource;
  return base !== '/' && normalisePath(base) === base && !base.includes('*') && !base.includes('?') && !base.includes('#');
}
