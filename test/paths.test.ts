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
    for (const ok of ['/orders/A-1', '/content/course-1/*', '/*', '/content/café']) expect([ok, isNormalisedResource(ok)]).toEqual([ok, true]);
    for (const bad of ['', 'orders/A-1', '/orders/A-1/', '/content//a', '/content/./a', '/content/a/../b', '/content/*/x', '/content/a*', '/', '/a?x=1', '/a%2Fb', '/a/**']) {
      expect([bad, isNormalisedResource(bad)]).toEqual([bad, false]);
    }
  });
});
