// Redacts secrets from text shoppers paste into support reports (HAR excerpts, curl commands, mail
// text) before it is stored. Pure; idempotent on real artifacts (a second pass finds nothing new).
// What is kept is what support needs to read the artifact: cookie and header names, auth schemes,
// token kinds (`vs_[redacted]`), request ids and order numbers.

export const REDACTED = '[redacted]';

const SECRET_HEADERS = 'cookie|set-cookie|authorization|proxy-authorization|x-api-key';
const SECRET_HEADER = new RegExp(`^(?:${SECRET_HEADERS})$`, 'i');
// Generic secret-bearing keys (`sessionToken`, `access_token`, `client_secret`, `apiKey`, `password`).
const SECRET_KEY = /(?:token|secret|password|passwd|api[_-]?key)$/i;
// A 6-digit code, as mailed (`123456`) or as people retype it: grouped 3-3, 2-2-2 or digit by digit,
// with spaces or dashes (`123 456`, `12-34-56`, `1 2 3 4 5 6`), in any script's decimal digits
// (`１２３４５６` from a full-width keyboard, `١٢٣٤٥٦`, `१२३४५६`), also mixed. A grouped form
// followed by more grouped digits (`12 34 56 78`, a phone number) is not a code, as `1234567` is not.
const DIGIT = String.raw`\p{Nd}`;
const GAP = String.raw`(?:[\p{Zs}\t]{1,2}|\p{Zs}?[\-\u2010-\u2015\u2212\uFE63\uFF0D]\p{Zs}?)`;
const NOT_MORE = `(?!${GAP}?${DIGIT})`;
const CODE_VALUE = [
  `${DIGIT}{6}(?!${DIGIT})`,
  `${DIGIT}{3}${GAP}${DIGIT}{3}${NOT_MORE}`,
  `${DIGIT}{2}${GAP}${DIGIT}{2}${GAP}${DIGIT}{2}${NOT_MORE}`,
  `${DIGIT}(?:${GAP}${DIGIT}){5}${NOT_MORE}`,
].join('|');
const IS_CODE_VALUE = new RegExp(`^(?:${CODE_VALUE})$`, 'u');
const CODE_AT_END = new RegExp(`(?:${CODE_VALUE})$`, 'u');
// Keys that name a one-time code, after lower-casing and dropping `_`, `-` and spaces…
const CODE_KEY = /(?:code|otp|passcode|pin)$/;
// …except codes that are not secrets (postal codes are 6 digits in India; order codes are not codes).
const NOT_A_SECRET_CODE =
  /(?:post|postal|zip|pin|country|area|region|state|status|error|http|response|exit|currency|lang|language|locale|product|bar|qr|promo|coupon|discount|voucher|gift|order|tracking|reference|ref|invoice|item|sku|tax|hs|bank|branch|ifsc|swift|sort|routing|reason|return|source|color|colour)code$/;

function isCodeKey(key: string): boolean {
  const normal = key.toLowerCase().replace(/[\s_-]/g, '');
  return CODE_KEY.test(normal) && !NOT_A_SECRET_CODE.test(normal);
}

/** `a=1; b=2` → `a=[redacted]; b=[redacted]`: the names tell support which cookies arrived. */
function redactCookiePairs(value: string): string {
  return value.replace(/([^;=]*)(=?)([^;]*)/g, (whole, name: string, equals: string, rest: string) => {
    if (whole === '') return whole;
    if (!equals) return name.trim() === '' ? name : name.replace(/\S.*\S|\S/, REDACTED);
    return rest.trim() === '' ? whole : `${name}=${REDACTED}`;
  });
}

const COOKIE_ATTRIBUTES = /^(?:expires|max-age|domain|path|secure|httponly|samesite|partitioned|priority)$/i;

/** `sid=abc; Path=/; HttpOnly` → `sid=[redacted]; Path=/; HttpOnly` (also several cookies joined by `, `). */
function redactSetCookie(value: string): string {
  const [first = '', ...attributes] = value.split(';');
  const pair = first.replace(/^(\s*[^=]*=)(.*)$/, (whole, name: string, rest: string) =>
    rest.trim() === '' ? whole : `${name}${REDACTED}`,
  );
  const rest = attributes.map((attribute) =>
    attribute.replace(/(,\s*)([^=,;\s]+)=([^;,]*)/g, (whole, comma: string, name: string) =>
      COOKIE_ATTRIBUTES.test(name) ? whole : `${comma}${name}=${REDACTED}`,
    ),
  );
  return [pair, ...rest].join(';');
}

/** `Bearer abc` → `Bearer [redacted]`: the scheme helps support, the credential never does. */
function redactAuthorization(value: string): string {
  const match = /^(\s*)([A-Za-z][A-Za-z0-9-]*\s+)?(.*)$/s.exec(value)!;
  if (match[3]!.trim() === '') return value;
  return `${match[1]}${match[2] ?? ''}${REDACTED}`;
}

function redactHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'cookie') return redactCookiePairs(value);
  if (lower === 'set-cookie') return redactSetCookie(value);
  if (lower === 'authorization' || lower === 'proxy-authorization') return redactAuthorization(value);
  return value.trim() === '' ? value : REDACTED;
}

/** HAR cookie arrays: every value inside `"cookies": [...]` (one pass: no rescans on broken input). */
function redactHarCookieArrays(text: string): string {
  const opener = /"cookies"\s*:\s*\[/gi;
  let out = '';
  let done = 0;
  for (let match = opener.exec(text); match; match = opener.exec(text)) {
    const start = match.index + match[0].length;
    const end = text.indexOf(']', start);
    if (end < 0) break;
    const values = text
      .slice(start, end)
      .replace(/("value"\s*:\s*")((?:[^"\\]|\\.)*)(")/g, (whole, open: string, value: string, close: string) =>
        value === '' ? whole : `${open}${REDACTED}${close}`,
      );
    out += text.slice(done, start) + values;
    done = end;
    opener.lastIndex = end;
  }
  return out + text.slice(done);
}

type Rule = [RegExp, (...groups: string[]) => string];

const RULES: Rule[] = [
  // The link token travels in the path: `/t/<token>` (also percent-encoded inside returnTo values).
  [/(\\?\/t\\?\/)(?!\[redacted\])[^/?#\s'"<>\\]+/g, (_, prefix) => `${prefix}${REDACTED}`],
  [/(%2Ft%2F)(?!\[redacted\])[^%&/?#\s'"<>\\]+/gi, (_, prefix) => `${prefix}${REDACTED}`],
  // A checkout handoff's: `/_edge/visitor/access/h/<token>`.
  [/(access\\?\/h\\?\/)(?!\[redacted\])[^/?#\s'"<>\\]+/g, (_, prefix) => `${prefix}${REDACTED}`],
  [/(access%2Fh%2F)(?!\[redacted\])[^%&/?#\s'"<>\\]+/gi, (_, prefix) => `${prefix}${REDACTED}`],
  // HAR name/value objects: headers, query strings, form params.
  [
    /("name"\s*:\s*")([^"\\]{1,100})("\s*,\s*"value"\s*:\s*")((?:[^"\\]|\\.)*)(")/g,
    (whole, open, name, middle, value, close) => {
      if (SECRET_HEADER.test(name!)) return `${open}${name}${middle}${redactHeaderValue(name!, value!)}${close}`;
      if (SECRET_KEY.test(name!) && value !== '') return `${open}${name}${middle}${REDACTED}${close}`;
      if (isCodeKey(name!) && IS_CODE_VALUE.test(value!)) return `${open}${name}${middle}${REDACTED}${close}`;
      return whole!;
    },
  ],
  // Header lines: raw HTTP, `curl -H 'Cookie: …'`, `-H "Authorization: …"`, and `\n`-escaped dumps.
  [
    new RegExp(`(^|['"\`]|\\\\n)([ \\t]*)(${SECRET_HEADERS})([ \\t]*:[ \\t]*)([^\\r\\n'"\`\\\\]*)`, 'gim'),
    (_, lead, space, name, colon, value) => `${lead}${space}${name}${colon}${redactHeaderValue(name!, value!)}`,
  ],
  // Header maps in code (`"cookie": "…"`, `'Authorization': '…'`, PowerShell `"Cookie"="…"`), also JSON-escaped.
  [
    new RegExp(`(\\\\{0,3}["'])(${SECRET_HEADERS})\\1(\\s*[:=]\\s*)(\\\\{0,3}["'])(.*?)(?=\\4)`, 'gi'),
    (_, quote, name, colon, open, value) => `${quote}${name}${quote}${colon}${open}${redactHeaderValue(name!, value!)}`,
  ],
  // curl cookie and credential flags: `-b 'a=1; b=2'`, `--cookie`, `-u user:pass`, `--oauth2-bearer t`.
  [
    /((?:^|\s)(-b|--cookie|-u|--user|--oauth2-bearer)\s+)('[^']*'|"[^"]*"|[^\s'"]+)/g,
    (whole, lead, flag, argument) => {
      const quote = /^['"]/.test(argument!) ? argument![0]! : '';
      const inner = quote ? argument!.slice(1, -1) : argument!;
      let redacted = inner;
      if (flag === '-b' || flag === '--cookie')
        redacted = inner.includes('=') ? redactCookiePairs(inner) : inner; // no `=`: a cookie file
      else if (flag === '--oauth2-bearer') redacted = REDACTED;
      else redacted = inner.replace(/^([^:]*:).+$/s, `$1${REDACTED}`);
      return redacted === inner ? whole! : `${lead}${quote}${redacted}${quote}`;
    },
  ],
  // Quoted secret keys: `"sessionToken": "…"`, `\"password\":\"…\"`, `'client_secret': '…'`.
  [
    /(\\{0,3}["'])([A-Za-z][A-Za-z0-9_-]{0,63})\1(\s*[:=]\s*)(\\{0,3}["'])(.*?)(?=\4)/g,
    (whole, quote, key, colon, open, value) =>
      SECRET_KEY.test(key!) && value !== '' && value !== REDACTED ? `${quote}${key}${quote}${colon}${open}${REDACTED}` : whole!,
  ],
  // Query strings and form bodies: `access_token=…`, `&password=…`.
  [
    /(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]{0,63})=(?!\[redacted\])([^&#;,\s'"\\]+)/g,
    (whole, key) => (SECRET_KEY.test(key!) ? `${key}=${REDACTED}` : whole!),
  ],
  // Our own tokens anywhere: link (`vml_`), session (`vs_`), checkout handoff (`vh_`), console link and
  // session (`vcl_`, `vcs_`), PAT (`vapat_`); the kind stays readable.
  [
    /(?:(?<=%[0-9A-Fa-f]{2})|(?<![A-Za-z_]))(vml|vs|vh|vcl|vcs|vapat)_[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)?/g,
    (_, kind) => `${kind}_${REDACTED}`,
  ],
  // JWTs (JWS eyJ….….…, JWE with five parts; an empty signature is `alg: none`).
  [/(?<![A-Za-z_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}/g, () => `eyJ${REDACTED}`],
  // Bearer credentials of any shape elsewhere in prose.
  [/(?<![A-Za-z0-9_-])(Bearer\s+)(?!\[redacted\])(?=[A-Za-z._~+/-]*[0-9])[A-Za-z0-9._~+/-]{12,}=*/g, (_, bearer) => `${bearer}${REDACTED}`],
  // One-time codes as key/value: `"code":"123456"`, `"otp":123456`, `code=123456`, `code: 123456`, `\"code\":\"123456\"`.
  [
    new RegExp(String.raw`(?<![A-Za-z0-9_])(\\{0,3}["']?)([A-Za-z][A-Za-z0-9_-]{0,63})\1(\s*[:=]\s*)(\\{0,3}["']?)(${CODE_VALUE})`, 'gu'),
    (whole, quote, key, colon, open, _digits, offset, text) => {
      // Unquoted, the word before counts too: `pin code: 110001` is a postal code.
      const before =
        quote === '' ? (/([A-Za-z]+)[ \t_-]+$/.exec(text!.slice(Math.max(0, Number(offset) - 40), Number(offset)))?.[1] ?? '') : '';
      if (!isCodeKey(key!) || (before !== '' && !isCodeKey(`${before}${key}`))) return whole!;
      // A bare JSON number (`"code":123456`) becomes a string, so the JSON stays valid.
      const wrap = open === '' && quote !== '' ? quote! : '';
      return `${quote}${key}${quote}${colon}${open}${wrap}${REDACTED}${wrap}`;
    },
  ],
  // One-time codes in prose or mail text: `code 123456`, `my code is 123 456`, `code: <strong>123456</strong>`, `OTP １２３４５６`.
  [
    new RegExp(
      String.raw`(?<![A-Za-z0-9_])(?:([A-Za-z]+)[\s_-]+)?(code|otp|totp|passcode|pin)((?:\s*[:=#]\s*|\s+(?:is|was)\s*:?\s*|\s+)(?:<[^<>]{0,200}>\s*)*["']?)(${CODE_VALUE})`,
      'giu',
    ),
    (whole, qualifier, word) => {
      if (!isCodeKey(`${qualifier ?? ''}${word}`)) return whole!;
      return whole!.replace(CODE_AT_END, REDACTED);
    },
  ],
];

/** The text with every secret we recognise replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  let out = redactHarCookieArrays(text);
  for (const [pattern, replace] of RULES) out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  return out;
}
