import { describe, expect, it } from 'bun:test';
import { ConfigError, loadConfig } from '../src/config.ts';

const SECRET = 'x'.repeat(32);

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has working development defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      databaseUrl: null,
      dataDir: './data',
      smtpUrl: null,
      magicLinkTtlSeconds: 900,
      sessionTtlSeconds: 2_592_000,
      edgeCacheSeconds: 5,
      publicUrl: 'http://localhost:3000',
      mailFrom: 'Visitor Access <no-reply@localhost>',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('refuses to start in production without TOKEN_SECRET, DATABASE_URL, SMTP_URL or PUBLIC_URL', () => {
    const full = {
      NODE_ENV: 'production',
      TOKEN_SECRET: SECRET,
      DATABASE_URL: 'postgres://db/x',
      SMTP_URL: 'smtp://mail:25',
      PUBLIC_URL: 'https://access.example',
    };
    expect(loadConfig(full).nodeEnv).toBe('production');
    for (const name of ['TOKEN_SECRET', 'DATABASE_URL', 'SMTP_URL', 'PUBLIC_URL'] as const) {
      const env: Record<string, string> = { ...full };
      delete env[name];
      const message = errorOf(env);
      expect(message).toContain(name);
      expect(message.split('\n')).toHaveLength(1);
    }
  });

  it('names the bad variable in one line', () => {
    expect(errorOf({ PORT: 'eighty' })).toContain('PORT');
    expect(errorOf({ MAGIC_LINK_TTL: '0' })).toContain('MAGIC_LINK_TTL');
    expect(errorOf({ SESSION_TTL: '-5' })).toContain('SESSION_TTL');
    expect(errorOf({ EDGE_CACHE_SECONDS: '1.5' })).toContain('EDGE_CACHE_SECONDS');
    expect(errorOf({ TOKEN_SECRET: `${SECRET},short` })).toContain('TOKEN_SECRET');
    expect(errorOf({ DATABASE_URL: 'mysql://x' })).toContain('DATABASE_URL');
    expect(errorOf({ SMTP_URL: 'not a url' })).toContain('SMTP_URL');
    expect(errorOf({ TRUSTED_PROXIES: '10.0.0.0/99' })).toContain('TRUSTED_PROXIES');
    expect(errorOf({ PUBLIC_URL: 'ftp://x' })).toContain('PUBLIC_URL');
    expect(errorOf({ NODE_ENV: 'staging' })).toContain('NODE_ENV');
    expect(errorOf({ HANDOFF_TTL: '59' })).toContain('HANDOFF_TTL');
    expect(errorOf({ HANDOFF_TTL: '604801' })).toContain('HANDOFF_TTL');
    expect(errorOf({ CONSOLE_SESSION_TTL: '299' })).toContain('CONSOLE_SESSION_TTL');
    expect(errorOf({ CONSOLE_SESSION_TTL: '3600', CONSOLE_IDLE_TIMEOUT: '7200' })).toContain('CONSOLE_IDLE_TIMEOUT');
  });

  it('accepts several secrets (the first signs) and trusted proxy CIDRs', () => {
    const config = loadConfig({ TOKEN_SECRET: `${SECRET}, ${'y'.repeat(40)}`, TRUSTED_PROXIES: '10.0.0.0/8, 2001:db8::/32' });
    expect(config.tokenSecrets).toEqual([SECRET, 'y'.repeat(40)]);
    expect(config.trustedProxies).toHaveLength(2);
  });

  it('reads replicas (comma-separated, only beside DATABASE_URL) and DATABASE_PREPARE', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://db/x', DATABASE_REPLICA_URL: 'postgres://r1/x, postgresql://r2/x' });
    expect(config.databaseReplicaUrls).toEqual(['postgres://r1/x', 'postgresql://r2/x']);
    expect(config.databasePrepare).toBe(true);
    expect(loadConfig({}).databaseReplicaUrls).toEqual([]);
    expect(loadConfig({ DATABASE_PREPARE: 'false' }).databasePrepare).toBe(false);
    expect(errorOf({ DATABASE_REPLICA_URL: 'postgres://r1/x' })).toContain('DATABASE_REPLICA_URL');
    expect(errorOf({ DATABASE_URL: 'postgres://db/x', DATABASE_REPLICA_URL: 'postgres://r1/x,mysql://r2' })).toContain(
      'DATABASE_REPLICA_URL',
    );
    expect(errorOf({ DATABASE_PREPARE: 'no' })).toContain('DATABASE_PREPARE');
  });
});
