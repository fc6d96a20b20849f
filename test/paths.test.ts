import { describe, expect, it } from 'bun:test';
import { grantCovers, isGated, isNormalisedResource, normalisePath } from '../src/access/paths.ts';

describe('normalisePath', () => {
  it('normalises dot segments, repeated slashes, trailing slashes and percent-encoding, ignoring the query', () => {
    const cases: [string, string][] = [
      ['/', '/'],
      ['/content/a', '/content/a'],
      ['/content/a/', '/content/a'],
      ['/content//a///b', '/content/a/b'],
      ['/content/./a', '/content/a'],
      ['/content/course-1/../course-2/x', '/content/course-2/x'],
      ['/content/%63ourse-1', '/content/course-1'],
      ['/content/caf%C3%A9', '/content/café'],
      ['/content/a?x=../../b', '/content/a'],
      ['/content/a#frag', '/content/a'],
      ['/content/%2e%2e/orders/1', '/orders/1'],
    ];
    for (const [input, expected] of cases) expect([input, normalisePath(input)]).toEqual([input, expected]);
  });

  it('refuses what cannot be checked safely (→ 403 bad_path)', () => {
    for (const input of [
      '',
      'content/a',
      '/content/a%2Fb',
      '/content/a%2fb',
      '/content/a%5Cb',
      '/content\\a',
      '/content/a;jsessionid=1',
      '/content/a%3Bx',
      '/content/%00',
      '/content/\u0001',
      '/content/%7F',
      '/content/%252e%252e/x',
      '/content/%E0%A4%A',
      '/..',
      '/content/../../etc',
      'https://evil.example/content/a',
    ]) {
      expect([input, normalisePath(input)]).toEqual([input, null]);
    }
  });
});

describe('normalisePath: Unicode look-alikes of . / \\ % ;', () => {
  // A back end that normalises Unicode would read `/content/a/．．/b` as `/content/a/../b`.
  const LOOK_ALIKES: [string, string][] = [
    ['\uff0e', 'fullwidth full stop'],
    ['\u2024', 'one dot leader'],
    ['\u2025', 'two dot leader'],
    ['\ufe52', 'small full stop'],
    ['\u3002', 'ideographic full stop'],
    ['\uff61', 'halfwidth ideographic full stop'],
    ['\uff0f', 'fullwidth solidus'],
    ['\u2215', 'division slash'],
    ['\u2044', 'fraction slash'],
    ['\u29f8', 'big solidus'],
    ['\uff3c', 'fullwidth reverse solidus'],
    ['\ufe68', 'small reverse solidus'],
    ['\u2216', 'set minus'],
    ['\uff05', 'fullwidth percent sign'],
    ['\ufe6a', 'small percent sign'],
    ['\uff1b', 'fullwidth semicolon'],
    ['\u037e', 'greek question mark (NFKC ;)'],
    ['\u{1f100}', 'digit zero full stop'],
  ];

  /** The bytes of `text` in UTF-8, read back as Latin-1: how a raw (unencoded) character arrives in a header. */
  const asHeaderBytes = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));

  it('refuses each look-alike raw, percent-encoded (either case) and as raw UTF-8 bytes', () => {
    const accepted: string[] = [];
    for (const [char, name] of LOOK_ALIKES) {
      const encoded = encodeURIComponent(char);
      for (const uri of [
        `/content/a/${char}${char}/b`,
        `/content/a/${char}/b`,
        `/content/a${char}`,
        `/content/a/${encoded}${encoded}/b`,
        `/content/a/${encoded.toLowerCase()}${encoded.toLowerCase()}/b`,
        `/content/a/${asHeaderBytes(char + char)}/b`,
        `/content/caf%C3%A9/${char}${char}/b?q=1`,
      ]) {
        if (normalisePath(uri) !== null) accepted.push(`${name}: ${uri}`);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('refuses every character whose NFKC form holds . / \\ % or ; (the whole of Unicode, not only the BMP)', () => {
    const accepted: string[] = [];
    for (let code = 0x80; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      if (/[./\\%;]/.test(char.normalize('NFKC')) && normalisePath(`/content/a/${char}${char}/b`) !== null)
        accepted.push(code.toString(16));
    }
    expect(accepted).toEqual([]);
  });

  it('keeps ordinary non-ASCII paths, raw, encoded or as raw UTF-8 bytes', () => {
    const cases: [string, string][] = [
      ['/content/café/', '/content/café'],
      ['/content/caf%C3%A9/lesson', '/content/café/lesson'],
      ['/content/日本語/レッスン-1', '/content/日本語/レッスン-1'],
      ['/content/курс-1/./урок', '/content/курс-1/урок'],
      ['/content/درس-١٠', '/content/درس-١٠'],
      ['/content/%F0%9F%8E%A8/x', '/content/🎨/x'],
      ['/content/ＡＢＣ-course', '/content/ＡＢＣ-course'],
      ['/content/Ångström/l·l', '/content/Ångström/l·l'],
      ['/content/¥1000-gift', '/content/¥1000-gift'],
    ];
    for (const [input, expected] of cases) expect([input, normalisePath(input)]).toEqual([input, expected]);
    // Raw bytes (a header read as Latin-1) pass through as they came; the back end decodes them.
    for (const word of ['café', 'Ångström', '日本語', '🎨']) {
      const raw = `/content/${asHeaderBytes(word)}`;
      expect([word, normalisePath(raw)]).toEqual([word, raw]);
    }
    expect(isNormalisedResource('/content/日本語/*')).toBe(true);
    expect(isNormalisedResource('/content/a\uff0e\uff0e/*')).toBe(false);
  });
});

describe('matching', () => {
  it('gates prefixes case-insensitively, and /p/ also gates /p', () => {
    const gated = ['/content/', '/orders/'];
    expect(isGated('/content/a', gated)).toBe(true);
    expect(isGated('/CONTENT/a', gated)).toBe(true);
    expect(isGated('/content', gated)).toBe(true);
    expect(isGated('/contents', gated)).toBe(false);
    expect(isGated('/', gated)).toBe(false);
    expect(isGated('/shop/content/a', gated)).toBe(false);
  });

  it('matches grants exactly or by whole-segment prefix, case-sensitively', () => {
    expect(grantCovers('/orders/A-1001', '/orders/A-1001')).toBe(true);
    expect(grantCovers('/orders/A-1001', '/orders/A-10011')).toBe(false);
    expect(grantCovers('/orders/A-1001', '/orders/a-1001')).toBe(false);
    expect(grantCovers('/content/course-1/*', '/content/course-1')).toBe(true);
    expect(grantCovers('/content/course-1/*', '/content/course-1/lesson/2')).toBe(true);
    expect(grantCovers('/content/course-1/*', '/content/course-10/lesson')).toBe(false);
    expect(grantCovers('/content/course-1/*', '/content/course-2')).toBe(false);
    expect(grantCovers('/*', '/anything/at/all')).toBe(true);
  });

  it('accepts only normalised grant resources', () => {
    for (const ok of ['/orders/A-1', '/content/course-1/*', '/*', '/content/café'])
      expect([ok, isNormalisedResource(ok)]).toEqual([ok, true]);
    for (const bad of [
      '',
      'orders/A-1',
      '/orders/A-1/',
      '/content//a',
      '/content/./a',
      '/content/a/../b',
      '/content/*/x',
      '/content/a*',
      '/',
      '/a?x=1',
      '/a%2Fb',
      '/a/**',
    ]) {
      expect([bad, isNormalisedResource(bad)]).toEqual([bad, false]);
    }
  });
});
