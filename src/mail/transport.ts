// Where mail goes: SMTP through a pool of nodemailer connections (smtp-pool.ts), or the in-memory
// dev mailbox when SMTP_URL is unset in development. Failures say whether retrying can help (4xx,
// network, a session that failed) or not (5xx to this message): see isPermanent.
import MimeNode from 'nodemailer/lib/mime-node';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import { composeMime, type OutgoingMail } from './mime.ts';
import { SmtpPool, type Envelope, type SmtpPoolOptions } from './smtp-pool.ts';

// Declared in mime.ts (the message it composes), re-exported for the transport's callers.
export type { OutgoingMail } from './mime.ts';

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export class MailSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailSendError';
  }
}

/**
 * Our defaults. The operator overrides any of them in SMTP_URL's query, e.g.
 * `smtp://user:pass@relay:587?maxConnections=10&maxMessages=100&tls.rejectUnauthorized=false`:
 * the URL is parsed by nodemailer (parseConnectionUrl, as createTransport does) and merged over
 * these, URL last, the way createTransport merges an options object with its `url`.
 *
 * - maxConnections 40: delivery is latency-bound, not CPU-bound. A mail needs four SMTP round trips
 *   (MAIL, RCPT, DATA, the message; two with PIPELINING), and under load every reply waits for a
 *   busy event loop (~10–15 ms a turn on the bench), so one connection carries ~20 mails/s. The
 *   pool opens connections only while mail waits for one: at a trickle it uses one or two.
 * - maxMessages 500 (nodemailer: 100): a reconnect costs a TCP handshake, the greeting and EHLO.
 * - idleTimeout 20 s: below socketTimeout, so idle connections end with QUIT, not a timeout error.
 */
export const SMTP_DEFAULTS = {
  maxConnections: 40,
  maxMessages: 500,
  idleTimeout: 20_000,
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
};

/**
 * nodemailer transport options this transport cannot honour: refused at start-up rather than
 * ignored. (`pool` is accepted and ignored: this transport always pools.)
 */
const UNSUPPORTED = ['proxy', 'service', 'rateLimit', 'rateDelta', 'sendmail', 'streamTransport', 'jsonTransport', 'SES', 'direct'];

export type SmtpTransport = MailTransport & {
  /** The options in effect (defaults merged with SMTP_URL), without credentials. */
  readonly settings: {
    host: string;
    port: number | null;
    secure: boolean;
    maxConnections: number;
    maxMessages: number;
    idleTimeout: number;
  };
  /** SMTP connections open right now. */
  readonly connections: number;
};

export function smtpOptions(url: string): SmtpPoolOptions {
  const parsed = parseConnectionUrl(url) as Record<string, unknown>;
  const refused = UNSUPPORTED.filter((key) => key in parsed);
  if (refused.length) throw new Error(`SMTP_URL: ${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not supported`);
  const options = { ...SMTP_DEFAULTS, ...parsed } as SmtpPoolOptions;
  for (const key of ['maxConnections', 'maxMessages', 'idleTimeout'] as const) {
    const value: unknown = options[key];
    if (!(typeof value === 'number' && value > 0)) throw new Error(`SMTP_URL: ${key} must be a positive number`);
  }
  return options;
}

export function createSmtpTransport(url: string): SmtpTransport {
  const options = smtpOptions(url);
  const pool = new SmtpPool(options);
  return {
    settings: {
      host: String(options.host ?? 'localhost'),
      port: options.port === undefined ? null : Number(options.port),
      secure: Boolean(options.secure),
      maxConnections: options.maxConnections,
      maxMessages: options.maxMessages,
      idleTimeout: options.idleTimeout,
    },
    get connections() {
      return pool.size;
    },
    async send(mail) {
      try {
        // Built once, synchronously (mime.ts); nodemailer's SMTPConnection only carries it.
        await pool.send(envelopeOf(mail), composeMime(mail));
      } catch (error) {
        const responseCode = (error as { responseCode?: number }).responseCode;
        const permanent = isPermanent(error);
        // The server's words may contain the address but never our token: the token is only in the body.
        throw new MailSendError(`${(error as { code?: string }).code ?? 'ESEND'} ${responseCode ?? ''}`.trim(), permanent);
      }
    },
    close() {
      pool.close();
    },
  };
}

/**
 * Whether the server refused this message for good. Only a refusal of the message itself counts
 * (nodemailer's EENVELOPE: MAIL FROM or every RCPT TO; EMESSAGE: DATA), and only a permanent one:
 * nodemailer's own `permanent` (RFC 5321: 5yz, except 503, a command out of sequence), or 5yz where
 * an older nodemailer sets none; or a refusal by nodemailer itself before the server said anything. 4yz (421, 450, 451, 452) is temporary. A 5yz to the session
 * (greeting, EHLO, STARTTLS, AUTH: a relay misconfigured or credentials being rotated) is not about
 * this mail, so it is retried with backoff like a network failure rather than failing every mail
 * queued meanwhile.
 */
export function isPermanent(error: unknown): boolean {
  const { code, responseCode, permanent } = error as { code?: string; responseCode?: number; permanent?: boolean };
  if (code !== 'EENVELOPE' && code !== 'EMESSAGE') return false;
  // Refused before any reply (an address nodemailer cannot send to, a message over the server's SIZE): the same again.
  if (typeof responseCode !== 'number') return true;
  if (typeof permanent === 'boolean') return permanent;
  return responseCode >= 500 && responseCode < 600;
}

/** SMTP envelope: addresses as stored, unless one needs nodemailer's IDN handling (punycode). */
function envelopeOf(mail: OutgoingMail): Envelope {
  if (/^[\x00-\x7f]*$/.test(mail.from.address + mail.to)) return { from: mail.from.address, to: [mail.to] };
  const envelope = new MimeNode().setEnvelope({ from: mail.from.address, to: mail.to }).getEnvelope();
  return { from: envelope.from || mail.from.address, to: envelope.to };
}

export type DevMail = { to: string; subject: string; text: string; link: string | null; code: string | null; sentAt: string };

/** Development only: mail kept in process memory (never in a table), read via /_dev/mailbox. */
export class DevMailbox implements MailTransport {
  private readonly items: DevMail[] = [];
  constructor(private readonly limit = 200) {}

  async send(mail: OutgoingMail): Promise<void> {
    this.items.push({
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      link: /https?:\/\/\S+\/_edge\/visitor\/(?:access\/t|emails\/t|emails\/revert)\/\S+/.exec(mail.text)?.[0] ?? null,
      code: /\b(\d{6})\b/.exec(mail.text)?.[1] ?? null,
      sentAt: new Date().toISOString(),
    });
    if (this.items.length > this.limit) this.items.shift();
  }

  list(to?: string): DevMail[] {
    const wanted = to?.trim().toLowerCase();
    return this.items.filter((m) => !wanted || m.to === wanted).reverse();
  }

  close(): void {}
}
