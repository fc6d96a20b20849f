// A real SMTP server in-process: receives what the service sends, parses it with mailparser, and
// can be told to refuse the next messages (temporary 4xx or permanent 5xx).
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type CapturedMail = {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  link: string | null;
  token: string | null;
  code: string | null;
  raw: ParsedMail;
};

export class MailCapture {
  readonly messages: CapturedMail[] = [];
  private failures: { code: number; message: string }[] = [];
  private server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      onData: (stream, _session, callback) => {
        const failure = this.failures.shift();
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', async () => {
          if (failure) {
            const error = Object.assign(new Error(failure.message), { responseCode: failure.code });
            return callback(error);
          }
          const parsed = await simpleParser(Buffer.concat(chunks));
          // Links are read from the text part: in HTML `&` appears as `&amp;`.
          const text = parsed.text ?? '';
          const link = /https?:\/\/\S+\/_edge\/visitor\/(?:access\/t|emails\/t|emails\/revert)\/\S+/.exec(text)?.[0] ?? null;
          this.messages.push({
            to: (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.value[0]?.address ?? '',
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text,
            html: typeof parsed.html === 'string' ? parsed.html : '',
            messageId: parsed.messageId ?? '',
            link,
            token: link ? decodeURIComponent(link.split('/').at(-1)!) : null,
            code: /code: (\d{6})/.exec(text)?.[1] ?? null,
            raw: parsed,
          });
          callback();
        });
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `count` messages are refused with this SMTP reply code. */
  failNext(count: number, code: number): void {
    for (let i = 0; i < count; i++) this.failures.push({ code, message: code >= 500 ? 'mailbox unavailable' : 'try again later' });
  }

  to(address: string): CapturedMail[] {
    return this.messages.filter((m) => m.to === address);
  }

  last(address: string): CapturedMail {
    const found = this.to(address).at(-1);
    if (!found) throw new Error(`no mail captured for ${address}`);
    return found;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
