// A small pool of nodemailer SMTPConnections that send prebuilt messages (see mime.ts).
//
// Why not nodemailer's own pool (`createTransport({ pool: true })`): it hands every message to
// Mail.sendMail, which compiles it through MailComposer/MimeNode and pipes it through several Node
// streams even when given a prebuilt `raw` string. Measured on the bench machine, same prebuilt
// messages to the bench's SMTP sink: 580–700 µs of CPU per mail through it vs 330–400 µs here, and
// under the full request-link load (bench `mail` section) its garbage kept the server's heap
// ~20 MiB larger: RSS peak 161–167 MiB with it, 127–139 MiB with this (the target is 143 MiB).
// The SMTP protocol itself — greeting, EHLO, STARTTLS, AUTH, PIPELINING, SMTPUTF8, dot-stuffing,
// reply codes, timeouts — stays nodemailer's SMTPConnection; this file only decides which
// connection carries which message.
//
// Semantics follow nodemailer's pool: at most `maxConnections`, opened only while messages wait,
// each closed after `maxMessages` messages or `idleTimeout` ms without one; a reply that refuses
// one message (4xx/5xx to MAIL, RCPT or DATA) resets the session and keeps the connection; anything
// else closes it. Two additions: a kept-alive connection found dropped is retried once on another,
// and when the server refuses one more connection while others are open, the message waits for an
// open one (and the pool stays at that size for a minute) instead of failing.
import SMTPConnection, { type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

export type SmtpPoolOptions = SMTPConnectionOptions & {
  auth?: { user?: string; pass?: string; method?: string } | undefined;
  /** Log in even if the server does not advertise AUTH (nodemailer's option of the same name). */
  forceAuth?: boolean | undefined;
  maxConnections: number;
  maxMessages: number;
  idleTimeout: number;
};

export type Envelope = { from: string; to: string[] };

type Slot = {
  connection: SMTPConnection;
  messages: number;
  closed: boolean;
  idleTimer: ReturnType<typeof setTimeout> | null;
};

/** How long the pool stays below maxConnections after the server refused one more connection. */
const CAP_MS = 60_000;

/** "This connection is gone", not "this message was refused": as nodemailer's pool decides to requeue. */
function isDropped(error: unknown): boolean {
  const { code, responseCode } = error as { code?: string; responseCode?: number };
  return responseCode === 421 || (!responseCode && (code === 'ECONNECTION' || code === 'ESOCKET'));
}

export class SmtpPool {
  private readonly idle: Slot[] = [];
  private readonly open = new Set<Slot>();
  /** Senders waiting for a connection: handed one on release, or `null` when a slot became free to open one. */
  private readonly waiting: ((slot: Slot | null) => void)[] = [];
  private closed = false;
  private cap = 0;
  private cappedUntil = 0;

  constructor(private readonly options: SmtpPoolOptions) {}

  /** Connections open right now (busy or idle). */
  get size(): number {
    return this.open.size;
  }

  /** Resolves once the server accepted the message; rejects with nodemailer's error (code, responseCode). */
  async send(envelope: Envelope, message: string): Promise<void> {
    const slot = await this.acquire();
    const reused = slot.messages > 0;
    try {
      await this.sendOn(slot, envelope, message);
    } catch (error) {
      // A kept-alive connection the server dropped or is closing (servers end idle sessions on their
      // own schedule): once more on another, rather than waiting for the outbox's backoff.
      if (!reused || !isDropped(error)) throw error;
      await this.sendOn(await this.acquire(), envelope, message);
    }
  }

  /** Closes idle connections now and busy ones when their message is done; later sends fail. */
  close(): void {
    this.closed = true;
    for (const slot of [...this.idle]) this.discard(slot, true);
    for (const wake of this.waiting.splice(0)) wake(null);
  }

  private sendOn(slot: Slot, envelope: Envelope, message: string): Promise<void> {
    return new Promise((resolve, reject) => {
      // A new envelope object each time: SMTPConnection writes its progress (and errors) into it.
      slot.connection.send({ from: envelope.from, to: [...envelope.to] }, message, (error) => {
        slot.messages++;
        if (!error) {
          this.release(slot);
          return resolve();
        }
        const code = (error as { code?: string }).code;
        if ((code === 'EENVELOPE' || code === 'EMESSAGE') && error.responseCode !== 421 && !slot.closed && !slot.connection.destroyed) {
          // The server refused this message; the session itself is fine.
          slot.connection.reset((resetError) => (resetError ? this.discard(slot, false) : this.release(slot)));
        } else {
          this.discard(slot, false);
        }
        reject(error);
      });
    });
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw Object.assign(new Error('SMTP pool closed'), { code: 'ECONNECTION' });
      const idle = this.idle.pop();
      if (idle) {
        this.stopIdleTimer(idle);
        if (!idle.connection.destroyed) return idle;
        this.discard(idle, false);
        continue;
      }
      if (this.open.size < this.limit()) {
        try {
          return await this.connect();
        } catch (error) {
          if (this.open.size === 0) throw error; // nothing to fall back on: the server is down or refusing
          // Connections are open but one more failed: many relays cap connections per client
          // (Exim's default is 20 in all). Make do with the open ones for a while.
          this.cap = this.open.size;
          this.cappedUntil = Date.now() + CAP_MS;
          continue;
        }
      }
      const handed = await new Promise<Slot | null>((wake) => this.waiting.push(wake));
      if (handed && !handed.closed && !handed.connection.destroyed) return handed;
      if (handed) this.discard(handed, false); // it broke on the way over
      // otherwise a connection closed: there may be room to open one
    }
  }

  /** Connections allowed right now: maxConnections, or fewer for a while after the server refused one. */
  private limit(): number {
    return Date.now() < this.cappedUntil ? this.cap : this.options.maxConnections;
  }

  private connect(): Promise<Slot> {
    const connection = new SMTPConnection(this.options);
    const slot: Slot = { connection, messages: 0, closed: false, idleTimer: null };
    this.open.add(slot);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        this.discard(slot, false);
        if (settled) return;
        settled = true;
        reject(error);
      };
      // Always listened to: an unhandled 'error' event would throw. During a send the same error
      // also reaches the send callback, which decides what it means for the message.
      connection.on('error', fail);
      connection.once('end', () => fail(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' })));
      connection.connect((error?: Error) => {
        if (error) return fail(error);
        const ready = () => {
          if (settled) return;
          settled = true;
          resolve(slot);
        };
        const auth = this.options.auth;
        if (!auth || (!auth.user && !auth.pass) || !(connection.allowsAuth || this.options.forceAuth)) return ready();
        connection.login(
          { user: auth.user, credentials: { user: auth.user ?? '', pass: auth.pass ?? '' }, method: auth.method || false },
          (loginError) => (loginError ? fail(loginError) : ready()),
        );
      });
    });
  }

  /** Back to the pool after a message: to a waiting sender, or idle; retired after maxMessages. */
  private release(slot: Slot): void {
    if (slot.closed || slot.connection.destroyed || this.closed || slot.messages >= this.options.maxMessages) {
      this.discard(slot, !slot.connection.destroyed);
      return;
    }
    const wake = this.waiting.shift();
    if (wake) {
      wake(slot);
      return;
    }
    this.idle.push(slot);
    slot.idleTimer = setTimeout(() => this.discard(slot, true), this.options.idleTimeout);
    slot.idleTimer.unref?.();
  }

  private stopIdleTimer(slot: Slot): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
  }

  /**
   * Frees the slot (a waiting sender may open a new connection) and closes the connection: with
   * QUIT when it is idle and sound, at once when it failed or broke.
   */
  private discard(slot: Slot, graceful: boolean): void {
    if (slot.closed) return;
    slot.closed = true;
    this.stopIdleTimer(slot);
    const at = this.idle.indexOf(slot);
    if (at >= 0) this.idle.splice(at, 1);
    this.open.delete(slot);
    if (graceful && !slot.connection.destroyed) slot.connection.quit();
    else slot.connection.close();
    this.waiting.shift()?.(null);
  }
}
