// "Every event is delivered once the load stops": beside a request-link load with the mail worker
// delivering (mail-monitor.ts, which this wraps) and one webhook endpoint subscribed to every event,
// counts after the load, until the webhook outbox is empty or the wait is over: the events written
// (`webhook_deliveries` rows: one `magic_link.sent` per mail SMTP accepted), how many are delivered,
// dead or still pending, and what the receiver got (requests, distinct webhook-ids).
import postgres from 'postgres';
import type { MailReport } from './mail-monitor.ts';
import type { Monitor, MonitorReport } from './runner.ts';

export type WebhookReport = MonitorReport & {
  mail: MailReport;
  /** Mails SMTP accepted since the endpoint was registered (its sample request's included): one event each. */
  mailsSent: number;
  events: number;
  delivered: number;
  dead: number;
  pending: number;
  /** Undelivered events at the end of the load. */
  backlogAtLoadEnd: number;
  /** ms after the load stopped until no event was undelivered; null if not within the wait. */
  drainMs: number | null;
  receiverRequests: number;
  receiverDistinct: number;
};

type Counts = { events: number; delivered: number; dead: number; pending: number };

export function webhookMonitor(options: { databaseUrl: string; receiverPort: number; waitSeconds: number; mail: Monitor }): Monitor {
  let db: postgres.Sql | null = null;
  let loadEnd = 0;
  let backlogAtLoadEnd = 0;

  async function counts(): Promise<Counts> {
    const [row] = (await db!.unsafe(`
      select count(*)::int as events,
             count(*) filter (where status = 'delivered')::int as delivered,
             count(*) filter (where status = 'dead')::int as dead,
             count(*) filter (where status in ('pending', 'sending'))::int as pending
      from webhook_deliveries`)) as unknown as [Counts];
    return row;
  }

  return {
    async start() {
      db = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'va-bench-webhook-sampler' } });
      await options.mail.start();
    },
    measureStart() {
      options.mail.measureStart();
    },
    measureEnd() {
      options.mail.measureEnd();
      loadEnd = performance.now();
      void counts().then((c) => {
        backlogAtLoadEnd = c.pending;
      });
    },
    async finish(): Promise<WebhookReport> {
      // The mail drains first: every mail SMTP accepts writes its event in the same statement.
      const mail = (await options.mail.finish()) as MailReport;
      const deadline = performance.now() + options.waitSeconds * 1000;
      let drainMs: number | null = null;
      let last = await counts();
      while (performance.now() < deadline) {
        if (last.pending === 0 && mail.drainMs !== null) {
          drainMs = performance.now() - loadEnd;
          break;
        }
        await Bun.sleep(100);
        last = await counts();
      }
      const stats = (await (await fetch(`http://127.0.0.1:${options.receiverPort}/`)).json()) as { received: number; distinct: number };
      const [sent] = (await db!.unsafe(`
        select count(*)::int as n from mail_outbox
        where status = 'sent' and sent_at >= (select min(created_at) from webhook_endpoints)`)) as unknown as [{ n: number }];
      await db!.end({ timeout: 2 });
      return {
        mail,
        mailsSent: sent.n,
        ...last,
        backlogAtLoadEnd,
        drainMs,
        receiverRequests: stats.received,
        receiverDistinct: stats.distinct,
      };
    },
  };
}
