// Where mail goes: SMTP through nodemailer (pooled), or the in-memory dev mailbox when SMTP_URL is
// unset in development. Failures say whether retrying can help (4xx, network) or not (5xx).
import nodemailer from 'nodemailer';

export type OutgoingMail = {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
};

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

export function createSmtpTransport(url: string): MailTransport {
  // Pooled: smtp servers commonly pause on each new connection, so reuse them.
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(mail) {
      try {
        await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
        });
      } catch (error) {
        const responseCode = (error as { responseCode?: number }).responseCode;
        const permanent = typeof responseCode === 'number' && responseCode >= 500;
        // The server's words may contain the address but never our token: the token is only in the body.
        throw new MailSendError(`${(error as { code?: string }).code ?? 'ESEND'} ${responseCode ?? ''}`.trim(), permanent);
      }
    },
    close() {
      transporter.close();
    },
  };
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
      link: /https?:\/\/\S+\/_edge\/visitor\/access\/t\/\S+/.exec(mail.text)?.[0] ?? null,
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
