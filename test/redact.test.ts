import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { REDACTED, redactSecrets } from '../src/support/redact.ts';
import { Harness } from './support/harness.ts';

// Shapes of real secrets (random parts are made up here).
const LINK = `vml_${'Ab3_dE6-gH9'.repeat(4)}.${'Zy8xW7vU6tS5rQ4pO3nM2l'}`;
const SESSION = `vs_${'Qw1Er2Ty3Ui'.repeat(4)}.${'Lk9Jh8Gf7Dd6Ss5Aa4Pp3o'}`;
const PAT = `vapat_${'Mn4Bv5Cx6Zl'.repeat(4)}`;
const JWT =
  'eyJhbGciOiJIUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiJzaG9wIiwiYXVkIjoidmlzaXRvci1hY2Nlc3MifQ.2sF5x9-QmOa_ZwYx1vJk3Gf0Hn8pLrT6uE4dCbA7iKs';
const REQUEST_ID = 'req_0a1b2c3d123456e5f6a7b8c9';

function expectClean(out: string, ...secrets: string[]) {
  for (const secret of secrets) expect(out).not.toContain(secret);
  // Not even the random part of a token.
  for (const token of [LINK, SESSION, PAT]) expect(out).not.toContain(token.split('_')[1]!.slice(0, 20));
}

describe('redactSecrets: our tokens', () => {
  it('redacts link, session and PAT tokens anywhere, keeping their kind readable', () => {
    const out = redactSecrets(`link ${LINK}, session=${SESSION} and "${PAT}".`);
    expect(out).toBe(`link vml_${REDACTED}, session=vs_${REDACTED} and "vapat_${REDACTED}".`);
  });

  it('redacts checkout handoff links and console tokens, in prose and in the /h/ path segment', () => {
    const handoff = `vh_${'Ab3_dE6-gH9'.repeat(4)}.${'Zy8xW7vU6tS5rQ4pO3nM2l'}`;
    expect(redactSecrets(`opened https://shop.example/_edge/visitor/access/h/${handoff} twice`)).toBe(
      `opened https://shop.example/_edge/visitor/access/h/${REDACTED} twice`,
    );
    expect(redactSecrets(`token ${handoff}`)).toBe(`token vh_${REDACTED}`);
    expect(redactSecrets('next=%2F_edge%2Fvisitor%2Faccess%2Fh%2Fopaque.thing&x=1')).toBe(
      `next=%2F_edge%2Fvisitor%2Faccess%2Fh%2F${REDACTED}&x=1`,
    );
    expect(redactSecrets(`cookie vcs_${'Qw1Er2Ty3Ui'.repeat(4)} and vcl_${'Qw1Er2Ty3Ui'.repeat(4)}`)).toBe(
      `cookie vcs_${REDACTED} and vcl_${REDACTED}`,
    );
  });

  it('redacts tokens after a percent-escape (inside an encoded URL)', () => {
    expect(redactSecrets(`returnTo=https%3A%2F%2Fshop%2F%3Ft%3D${SESSION}`)).toBe(`returnTo=https%3A%2F%2Fshop%2F%3Ft%3Dvs_${REDACTED}`);
  });

  it('redacts a truncated token but leaves identifiers that merely contain vs_', () => {
    expect(redactSecrets('token vs_Qw1Er2Ty3U…')).toBe(`token vs_${REDACTED}…`);
    expect(redactSecrets('stats_vs_baseline_report and vs_code')).toBe('stats_vs_baseline_report and vs_code');
  });

  it('redacts the /t/<token> path segment of a sign-in link, also JSON-escaped and percent-encoded', () => {
    expect(redactSecrets('https://shop.example/_edge/visitor/access/t/abc.def/reissue')).toBe(
      `https://shop.example/_edge/visitor/access/t/${REDACTED}/reissue`,
    );
    expect(redactSecrets('"url":"https:\\/\\/shop.example\\/_edge\\/visitor\\/access\\/t\\/opaque-thing"')).toBe(
      `"url":"https:\\/\\/shop.example\\/_edge\\/visitor\\/access\\/t\\/${REDACTED}"`,
    );
    expect(redactSecrets('next=%2F_edge%2Fvisitor%2Faccess%2Ft%2Fopaque.thing&x=1')).toBe(
      `next=%2F_edge%2Fvisitor%2Faccess%2Ft%2F${REDACTED}&x=1`,
    );
  });
});

describe('redactSecrets: JWTs and bearer credentials', () => {
  it('redacts JWTs (also alg:none with an empty signature)', () => {
    expect(redactSecrets(`jwt=${JWT} done`)).toBe(`jwt=eyJ${REDACTED} done`);
    expect(redactSecrets('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. next')).toBe(`eyJ${REDACTED} next`);
  });

  it('redacts Bearer credentials of any shape, but not the word in prose', () => {
    expect(redactSecrets('sent Bearer abc123def456ghi789 to the API')).toBe(`sent Bearer ${REDACTED} to the API`);
    expect(redactSecrets('Bearer authentication is described in RFC 6750')).toBe('Bearer authentication is described in RFC 6750');
  });
});

describe('redactSecrets: one-time codes', () => {
  it('redacts 6-digit codes next to code/otp words in JSON, query strings and prose', () => {
    const cases: [string, string][] = [
      ['{"email":"a@example.com","code":"123456"}', `{"email":"a@example.com","code":"${REDACTED}"}`],
      ['{"otp":123456}', `{"otp":"${REDACTED}"}`],
      ['{\\"code\\":\\"123456\\"}', `{\\"code\\":\\"${REDACTED}\\"}`],
      ['POST /verify?code=123456&x=1', `POST /verify?code=${REDACTED}&x=1`],
      ['code: 123456', `code: ${REDACTED}`],
      ['verification_code=654321', `verification_code=${REDACTED}`],
      ["{ verificationCode: '654321' }", `{ verificationCode: '${REDACTED}' }`],
      ['I typed my code 123 456 and it said invalid', `I typed my code ${REDACTED} and it said invalid`],
      ['the code is 987654', `the code is ${REDACTED}`],
      ['OTP 111222 expired', `OTP ${REDACTED} expired`],
      [
        'Or enter this code: <strong style="letter-spacing:.15em">424242</strong>',
        `Or enter this code: <strong style="letter-spacing:.15em">${REDACTED}</strong>`,
      ],
    ];
    for (const [input, output] of cases) expect([input, redactSecrets(input)]).toEqual([input, output]);
  });

  it('leaves request ids, order numbers, postal codes and other numbers alone', () => {
    const untouched = [
      `X-Request-Id: ${REQUEST_ID}`,
      `{"requestId":"${REQUEST_ID}","orderId":"123456","status":202}`,
      'order 123456 was paid, invoice #654321',
      '{"postcode":"110001","pinCode":"560034","zip_code":"123456","countryCode":"91"}',
      'pin code: 110001, post code 400001',
      '{"code":"invalid_code","status":400}',
      'code: 1234567 is not six digits; code 12345 neither',
      'started 2026-11-03T10:15:30.123456Z, took 123456 µs',
      'orderCode=123456&promo_code=654321',
    ];
    for (const text of untouched) expect(redactSecrets(text)).toBe(text);
  });
});

/** `digits` written with another script's digits: 0x30 → `zero` (U+FF10 full-width, U+0660 Arabic-Indic…). */
function inDigits(digits: string, zero: number): string {
  return [...digits].map((d) => (/[0-9]/.test(d) ? String.fromCodePoint(zero + Number(d)) : d)).join('');
}

/** The ways a shopper retypes a mailed code: grouped, digit by digit, full-width, other scripts, mixed. */
function retyped(code: string): string[] {
  const [a, b] = [code.slice(0, 3), code.slice(3)];
  const pairs = code.match(/../g)!;
  return [
    `${a} ${b}`,
    `${a}-${b}`,
    `${a} - ${b}`,
    `${a}\u00a0${b}`, // no-break space (pasted from a mail client)
    `${a}\u2009${b}`, // thin space
    `${a}\u2013${b}`, // en dash
    pairs.join(' '),
    pairs.join('-'),
    [...code].join(' '),
    [...code].join('-'),
    inDigits(code, 0xff10), // full-width: １２３４５６
    `${inDigits(a, 0xff10)}\u3000${inDigits(b, 0xff10)}`, // full-width with an ideographic space
    `${inDigits(a, 0xff10)}${b}`, // mixed
    [...code].map((d, i) => (i % 2 ? inDigits(d, 0xff10) : d)).join(''),
    inDigits(code, 0x0660), // Arabic-Indic
    inDigits(code, 0x06f0), // Extended Arabic-Indic (Persian)
    inDigits(code, 0x0966), // Devanagari
    inDigits(code, 0x1d7ce), // mathematical bold (outside the BMP)
  ];
}

describe('redactSecrets: one-time codes retyped', () => {
  it("redacts codes written with spaces or dashes, digit by digit, in full-width or other scripts' digits", () => {
    const missed: string[] = [];
    for (const code of retyped('042137')) {
      for (const [input, output] of [
        [`my code is ${code}`, `my code is ${REDACTED}`],
        [`code: ${code} did not work`, `code: ${REDACTED} did not work`],
        [`OTP ${code}`, `OTP ${REDACTED}`],
        [`{"email":"a@example.com","code":"${code}"}`, `{"email":"a@example.com","code":"${REDACTED}"}`],
        [`verify?code=${code}&x=1`, `verify?code=${REDACTED}&x=1`],
        [`[{"name":"code","value":"${code}"}]`, `[{"name":"code","value":"${REDACTED}"}]`],
      ] as [string, string][]) {
        if (redactSecrets(input) !== output) missed.push(`${JSON.stringify(input)} → ${JSON.stringify(redactSecrets(input))}`);
      }
    }
    expect(missed).toEqual([]);
  });

  it('still leaves longer numbers, phone numbers, dates, postal codes and orders alone, in any digits', () => {
    const untouched = [
      'code 12 34 56 78 is my phone number',
      'code: 1 2 3 4 5 6 7',
      `code: ${inDigits('1234567', 0xff10)} is seven digits`,
      'code 123 456 789',
      'error code 2026-11-03',
      'code 123.456',
      `order ${inDigits('123456', 0xff10)} was paid, invoice ${inDigits('654 321', 0x0660)}`,
      `{"pinCode":"${inDigits('560034', 0xff10)}","zip_code":"123 456"}`,
      `pin code: ${inDigits('110001', 0x0966)}`,
      'call 98 76 54 32 10',
    ];
    for (const text of untouched) expect(redactSecrets(text)).toBe(text);
    for (const code of retyped('042137')) {
      const once = redactSecrets(`code ${code}`);
      expect(redactSecrets(once)).toBe(once); // idempotent
    }
  });
});

describe('POST /v2/support/report: a retyped code never reaches the database', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('stores summary, details and artifact with every retyped form of the mailed code redacted', async () => {
    const mail = await h.requestLink('retyped@example.com');
    const code = mail.code!;
    const forms = retyped(code);
    const response = await h.json('/v2/support/report', {
      handle: 'gharart',
      summary: `my code ${forms[0]} did not work`,
      details: forms.map((form) => `I typed the code: ${form}`).join('\n'),
      reproArtifact: JSON.stringify({ postData: { text: JSON.stringify({ email: 'retyped@example.com', code: forms[10] }) } }),
    });
    expect(response.status).toBe(201);
    const { reportId } = (await response.json()) as { reportId: string };
    const row = (await h.db.one<{ summary: string; details: string; repro_artifact: string }>(
      sql`select summary, details, repro_artifact from support_reports where id = ${reportId}`,
    ))!;
    expect(row.summary).toBe(`my code ${REDACTED} did not work`);
    expect(row.details.split('\n')).toEqual(forms.map(() => `I typed the code: ${REDACTED}`));
    expect(row.repro_artifact).toContain(`\\"code\\":\\"${REDACTED}\\"`);
    // No form of the code survives anywhere in the row.
    const stored = JSON.stringify(row);
    for (const form of [code, ...forms]) expect([form, stored.includes(form)]).toEqual([form, false]);
  });
});

describe('redactSecrets: headers and cookies', () => {
  it('redacts Cookie values but keeps cookie names, so support can see which cookies arrived', () => {
    expect(redactSecrets(`Cookie: __Host-visitor_session=${SESSION}; __Host-visitor_check=1; theme=dark`)).toBe(
      `Cookie: __Host-visitor_session=${REDACTED}; __Host-visitor_check=${REDACTED}; theme=${REDACTED}`,
    );
  });

  it('redacts Set-Cookie values but keeps the attributes (also several cookies joined by commas)', () => {
    const line =
      'set-cookie: __Host-visitor_session=opaque; Max-Age=2592000; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, __Host-visitor_check=1; HttpOnly; Secure; SameSite=Lax';
    expect(redactSecrets(line)).toBe(
      `set-cookie: __Host-visitor_session=${REDACTED}; Max-Age=2592000; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT, __Host-visitor_check=${REDACTED}; HttpOnly; Secure; SameSite=Lax`,
    );
  });

  it('redacts Authorization values but keeps the scheme', () => {
    expect(redactSecrets('Authorization: Basic dXNlcjpwYXNzd29yZA==\nProxy-Authorization: Negotiate abc')).toBe(
      `Authorization: Basic ${REDACTED}\nProxy-Authorization: Negotiate ${REDACTED}`,
    );
    expect(redactSecrets('authorization: opaque-key')).toBe(`authorization: ${REDACTED}`);
  });

  it('redacts header maps in code and generic secret fields', () => {
    const code = `fetch(url, { headers: { "Authorization": "Bearer ${PAT}", 'cookie': 'a=1; b=2', "x-api-key": "k-123" }, body: '{"sessionToken":"opaque","password":"hunter2","tokenType":"Bearer"}' })`;
    const out = redactSecrets(code);
    expect(out).toBe(
      `fetch(url, { headers: { "Authorization": "Bearer ${REDACTED}", 'cookie': 'a=${REDACTED}; b=${REDACTED}', "x-api-key": "${REDACTED}" }, body: '{"sessionToken":"${REDACTED}","password":"${REDACTED}","tokenType":"Bearer"}' })`,
    );
  });

  it('redacts secrets in query strings and form bodies', () => {
    expect(redactSecrets('https://api.example/cb?access_token=abc.def&state=xyz&client_secret=s3cr3t')).toBe(
      `https://api.example/cb?access_token=${REDACTED}&state=xyz&client_secret=${REDACTED}`,
    );
  });
});

describe('redactSecrets: a curl command', () => {
  it('redacts a "Copy as cURL" of the link confirm, verify and a server call, keeping everything else', () => {
    const curl = [
      `curl 'https://gharart.example/_edge/visitor/access/t/${LINK}' \\`,
      `  -X POST \\`,
      `  -H 'accept: text/html,application/xhtml+xml' \\`,
      `  -H 'content-type: application/x-www-form-urlencoded' \\`,
      `  -b '__Host-visitor_check=1; __Host-visitor_session=${SESSION}' \\`,
      `  -H 'origin: https://gharart.example' \\`,
      `  -H 'x-request-id: ${REQUEST_ID}' \\`,
      `  --data-raw ''`,
      `curl https://va.example/v2/visitor/auth/verify -H "Content-Type: application/json" -H "Cookie: __Host-visitor_session=${SESSION}" --data '{"handle":"gharart","email":"shopper@example.com","code":"042137"}'`,
      `curl -sS https://va.example/v2/access/grants -H "Authorization: Bearer ${PAT}" -u ops:pa55word --oauth2-bearer ${JWT}`,
    ].join('\n');
    const out = redactSecrets(curl);
    expectClean(out, LINK, SESSION, PAT, JWT, '042137', 'pa55word');
    expect(out).toContain(`'https://gharart.example/_edge/visitor/access/t/${REDACTED}'`);
    expect(out).toContain(`-b '__Host-visitor_check=${REDACTED}; __Host-visitor_session=${REDACTED}'`);
    expect(out).toContain(`-H "Cookie: __Host-visitor_session=${REDACTED}"`);
    expect(out).toContain(`"code":"${REDACTED}"`);
    expect(out).toContain(`-H "Authorization: Bearer ${REDACTED}"`);
    expect(out).toContain(`-u ops:${REDACTED}`);
    // What support needs stays: hosts, paths, the request id, the email, other headers.
    expect(out).toContain(`-H 'x-request-id: ${REQUEST_ID}'`);
    expect(out).toContain('"email":"shopper@example.com"');
    expect(out).toContain("-H 'origin: https://gharart.example'");
    expect(out).toContain('https://va.example/v2/visitor/auth/verify');
  });
});

describe('redactSecrets: a HAR excerpt', () => {
  // Trimmed from a Chrome DevTools "Save all as HAR": the verify call and the link confirm.
  const har = JSON.stringify(
    {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        entries: [
          {
            startedDateTime: '2026-11-03T10:15:30.123Z',
            request: {
              method: 'POST',
              url: 'https://gharart.example/v2/visitor/auth/verify',
              headers: [
                { name: 'content-type', value: 'application/json' },
                { name: 'cookie', value: `__Host-visitor_pending=sealed-pending-value; __Host-visitor_session=${SESSION}` },
                { name: 'authorization', value: `Bearer ${JWT}` },
              ],
              queryString: [],
              cookies: [
                { name: '__Host-visitor_pending', value: 'sealed-pending-value', path: '/', httpOnly: true, secure: true },
                { name: '__Host-visitor_session', value: SESSION, path: '/' },
              ],
              postData: {
                mimeType: 'application/json',
                text: JSON.stringify({ email: 'shopper@example.com', code: '314159', delivery: 'bearer' }),
              },
            },
            response: {
              status: 200,
              headers: [
                { name: 'x-request-id', value: REQUEST_ID },
                { name: 'set-cookie', value: `__Host-visitor_session=${SESSION}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax` },
              ],
              cookies: [{ name: '__Host-visitor_session', value: SESSION, path: '/', expires: '2026-12-03T10:15:30.000Z' }],
              content: {
                size: 210,
                mimeType: 'application/json',
                text: JSON.stringify({ visitor: { id: '6f1c…', email: 'shopper@example.com' }, sessionToken: SESSION, orderId: '123456' }),
              },
            },
          },
          {
            request: {
              method: 'GET',
              url: `https://gharart.example/_edge/visitor/access/t/${LINK}`,
              headers: [{ name: 'Referer', value: 'https://mail.example/inbox' }],
              queryString: [
                { name: 'code', value: '271828' },
                { name: 'order', value: '123456' },
              ],
              cookies: [],
            },
            response: { status: 200, headers: [{ name: 'X-Request-Id', value: 'req_ffeeddccbbaa998877665544' }] },
          },
        ],
      },
    },
    null,
    2,
  );

  it('removes every token, code and cookie value and stays valid JSON', () => {
    const out = redactSecrets(har);
    expectClean(out, LINK, SESSION, JWT, '314159', '271828', 'sealed-pending-value');
    const parsed = JSON.parse(out) as { log: { entries: { request: Record<string, unknown>; response: Record<string, unknown> }[] } };
    const [verify, link] = parsed.log.entries;
    expect(verify!.request.headers).toEqual([
      { name: 'content-type', value: 'application/json' },
      { name: 'cookie', value: `__Host-visitor_pending=${REDACTED}; __Host-visitor_session=${REDACTED}` },
      { name: 'authorization', value: `Bearer ${REDACTED}` },
    ]);
    expect((verify!.request.cookies as { value: string }[]).map((c) => c.value)).toEqual([REDACTED, REDACTED]);
    expect(JSON.parse((verify!.request.postData as { text: string }).text)).toEqual({
      email: 'shopper@example.com',
      code: REDACTED,
      delivery: 'bearer',
    });
    expect((verify!.response.headers as { value: string }[])[1]!.value).toBe(
      `__Host-visitor_session=${REDACTED}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    expect(JSON.parse((verify!.response.content as { text: string }).text)).toMatchObject({ sessionToken: REDACTED, orderId: '123456' });
    expect(link!.request.url).toBe(`https://gharart.example/_edge/visitor/access/t/${REDACTED}`);
    expect(link!.request.queryString).toEqual([
      { name: 'code', value: REDACTED },
      { name: 'order', value: '123456' },
    ]);
    // Request ids survive, for the operator lookup.
    expect(out).toContain(REQUEST_ID);
    expect(out).toContain('req_ffeeddccbbaa998877665544');
  });
});

describe('redactSecrets: properties', () => {
  const samples = [
    `Cookie: a=${SESSION}\nAuthorization: Bearer ${PAT}\n{"code":"123456"} /t/${LINK} ${JWT}`,
    'nothing secret here: order 123456, request req_abc123456789',
    '',
  ];

  it('is idempotent', () => {
    for (const sample of samples) {
      const once = redactSecrets(sample);
      expect(redactSecrets(once)).toBe(once);
    }
  });

  it('leaves text without secrets unchanged', () => {
    const plain =
      'Hi, I bought the course (order A-1001, 123456) but the link in the email says it was already used. Request id req_0011223344556677889900aa.';
    expect(redactSecrets(plain)).toBe(plain);
  });

  it('handles 64 KiB of adversarial input quickly', () => {
    const nasty = `"code"${':'.repeat(30_000)}${'a=b;'.repeat(8_000)}`;
    const started = performance.now();
    redactSecrets(nasty);
    redactSecrets(`Cookie: ${'x'.repeat(65_000)}`);
    redactSecrets('"'.repeat(65_000));
    redactSecrets('\\'.repeat(65_000));
    redactSecrets('"cookies": ['.repeat(5_000));
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
