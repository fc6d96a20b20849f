import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createPat, revokePat } from '../src/credentials/pats.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
let writer: string;
let reader: string;
let otherWriter: string;

beforeAll(async () => {
  h = await Harness.start();
  writer = (await createPat(h.db, { tenantId: h.gharart.id, name: 'writer', scopes: ['access:read', 'access:write'] })).token;
  reader = (await createPat(h.db, { tenantId: h.gharart.id, name: 'reader', scopes: ['access:read'] })).token;
  otherWriter = (await createPat(h.db, { tenantId: h.other.id, name: 'other', scopes: ['access:read', 'access:write'] })).token;
});
afterAll(() => h.close());

const SERVICE = { host: 'service.test' };

function put(token: string | null, body: Record<string, unknown>) {
  return h.fetch('/v2/access/grants', {
    ...SERVICE,
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

function del(token: string, body: Record<string, unknown>) {
  return h.fetch('/v2/access/grants', {
    ...SERVICE,
    method: 'DELETE',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

async function code(response: Response) {
  return ((await response.json()) as { code: string }).code;
}

describe('PAT credentials on the grants API', () => {
  it('answers 401 unauthorized without a credential, with an unknown or a revoked PAT', async () => {
    expect(await code(await put(null, { email: 'a@example.com', resource: '/content/a', kind: 'content' }))).toBe('unauthorized');
    expect(await code(await put(`vapat_${'A'.repeat(43)}`, { email: 'a@example.com', resource: '/content/a', kind: 'content' }))).toBe(
      'unauthorized',
    );
    const { pat, token } = await createPat(h.db, { tenantId: h.gharart.id, name: 'short-lived', scopes: ['access:write'] });
    expect((await put(token, { email: 'a@example.com', resource: '/content/a', kind: 'content' })).status).toBe(201);
    await revokePat(h.db, pat.id, new Date());
    const revoked = await put(token, { email: 'a@example.com', resource: '/content/a', kind: 'content' });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers 403 insufficient_scope with requiredScope for a PAT without the scope', async () => {
    const response = await put(reader, { email: 'a@example.com', resource: '/content/a', kind: 'content' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'insufficient_scope', requiredScope: 'access:write' });
  });

  it("answers 403 wrong_tenant when the body names another tenant, and never shows another tenant's grants", async () => {
    const response = await put(otherWriter, { handle: 'gharart', email: 'a@example.com', resource: '/content/a', kind: 'content' });
    expect(response.status).toBe(403);
    expect(await code(response)).toBe('wrong_tenant');
    const list = await h.fetch('/v2/access/grants?email=a@example.com', {
      ...SERVICE,
      headers: { authorization: `Bearer ${otherWriter}` },
    });
    expect(await list.json()).toEqual({ items: [] });
  });

  it('records when a PAT was last used', async () => {
    const { pat, token } = await createPat(h.db, { tenantId: h.gharart.id, name: 'used', scopes: ['access:read'] });
    expect(pat.lastUsedAt).toBeNull();
    await h.fetch('/v2/access/grants?email=a@example.com', { ...SERVICE, headers: { authorization: `Bearer ${token}` } });
    const { listPats } = await import('../src/credentials/pats.ts');
    const after = (await listPats(h.db)).find((p) => p.id === pat.id)!;
    expect(after.lastUsedAt).not.toBeNull();
  });
});

describe('grants API', () => {
  it('upserts on (tenant, email, resource): 201 created, 200 unchanged, 200 updated', async () => {
    const body = { email: 'Buyer@Example.com', resource: '/content/course-1/*', kind: 'content', title: 'Course 1' };
    const created = await put(writer, body);
    expect(created.status).toBe(201);
    const grant = (await created.json()) as Record<string, unknown>;
    expect(grant).toMatchObject({
      email: 'buyer@example.com',
      resource: '/content/course-1/*',
      kind: 'content',
      title: 'Course 1',
      orderId: null,
      expiresAt: null,
    });
    expect(typeof grant.grantedAt).toBe('string');
    const unchanged = await put(writer, body);
    expect(unchanged.status).toBe(200);
    const updated = await put(writer, { ...body, title: 'Course One', expiresAt: '2030-01-01T00:00:00Z' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ title: 'Course One', expiresAt: '2030-01-01T00:00:00.000Z' });
    const list = await h.fetch('/v2/access/grants?email=buyer@example.com', { ...SERVICE, headers: { authorization: `Bearer ${reader}` } });
    const { items } = (await list.json()) as { items: { resource: string }[] };
    expect(items.map((g) => g.resource)).toEqual(['/content/course-1/*']);
  });

  it('deletes with 204, also when the grant is absent', async () => {
    await put(writer, { email: 'gone@example.com', resource: '/orders/A-1', kind: 'order', orderId: 'A-1' });
    expect((await del(writer, { email: 'gone@example.com', resource: '/orders/A-1' })).status).toBe(204);
    expect((await del(writer, { email: 'gone@example.com', resource: '/orders/A-1' })).status).toBe(204);
    const list = await h.fetch('/v2/access/grants?email=gone@example.com', { ...SERVICE, headers: { authorization: `Bearer ${reader}` } });
    expect(await list.json()).toEqual({ items: [] });
  });

  it('refuses resources not in normalised form, bad emails, bad kinds and form bodies', async () => {
    for (const resource of ['/content/a/../b', '/content//a', 'content/a', '/content/a/', '/content/*/x', '/content/a%2Fb']) {
      const response = await put(writer, { email: 'a@example.com', resource, kind: 'content' });
      expect([resource, response.status, await code(response)]).toEqual([resource, 400, 'invalid_resource']);
    }
    expect(await code(await put(writer, { email: 'nope', resource: '/content/a', kind: 'content' }))).toBe('invalid_email');
    expect(await code(await put(writer, { email: 'a@example.com', resource: '/content/a', kind: 'gift' }))).toBe('invalid_request');
    expect(await code(await del(writer, { email: 'a@example.com', resource: '/x/../y' }))).toBe('invalid_resource');
    const form = await h.fetch('/v2/access/grants', {
      ...SERVICE,
      method: 'PUT',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${writer}` },
      body: 'email=a@example.com&resource=/content/a&kind=content',
    });
    expect(form.status).toBe(415);
  });
});

describe('GET /v2/visitor/access', () => {
  it("lists the signed-in visitor's live grants at this tenant", async () => {
    await put(writer, { email: 'lister@example.com', resource: '/content/a/*', kind: 'content', title: 'A' });
    await put(writer, { email: 'lister@example.com', resource: '/orders/B-2', kind: 'order', orderId: 'B-2' });
    await put(writer, { email: 'lister@example.com', resource: '/content/old/*', kind: 'content', expiresAt: '2001-01-01T00:00:00Z' });
    await put(otherWriter, { email: 'lister@example.com', resource: '/content/elsewhere/*', kind: 'content' });
    const { jar } = await h.signIn('lister@example.com');
    const response = await h.fetch('/v2/visitor/access', { jar });
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: Record<string, unknown>[] };
    expect(items.map((i) => i.resource)).toEqual(['/content/a/*', '/orders/B-2']);
    expect(Object.keys(items[1]!).sort()).toEqual(['expiresAt', 'grantedAt', 'kind', 'orderId', 'resource', 'title']);
    expect((await h.fetch('/v2/visitor/access')).status).toBe(401);
    // The server-side form, with access:read.
    const server = await h.fetch('/v2/visitor/access?email=lister@example.com', {
      ...SERVICE,
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(((await server.json()) as { items: unknown[] }).items).toHaveLength(2);
  });
});
