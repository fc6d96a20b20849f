// "Mail keeps up": beside a request-link load, samples every 250 ms the outbox backlog
// (`select count(*) from mail_outbox where status <> 'sent'`) and the mails the SMTP sink has
// received; after the load, waits for the backlog to drain and reports both rates and the curve.
import postgres from 'postgres';
import type { Monitor, MonitorReport } from './runner.ts';

export type MailSample = { ms: number; backlog: number; delivered: number };

export type MailReport = MonitorReport & {
  samples: MailSample[];
  /** ms from the start of sampling (just before the warm-up). */
  measureStartMs: number;
  measureEndMs: number;
  /** Outbox rows written during the whole run (sample request, warm-up, measured, in flight). */
  queued: number;
  delivered: number;
  failed: number;
  deliveredPerSecondMeasured: number;
  queuedPerSecondMeasured: number;
  backlogAtLoadEnd: number;
  /** ms after the load stopped until the backlog was 0; null if it did not drain within the wait. */
  drainMs: number | null;
  sinkCpuUsPerMail: number | null;
  /** The last mail the sink received carries a sign-in link with a `vml_` token. */
  linkOk: boolean;
  linkExample: string | null;
};

type SinkStats = { delivered: number; connections: number; bytes: number; last: string };

async function sinkStats(httpPort: number): Promise<SinkStats> {
  return (await (await fetch(`http://127.0.0.1:${httpPort}/stats`)).json()) as SinkStats;
}

/** Undoes quoted-printable soft breaks and =XX escapes (nodemailer's text part) enough to read a link. */
function unquote(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export function mailMonitor(options: {
  databaseUrl: string;
  sinkHttpPort: number;
  sinkCpuMs: () => number | null;
  waitSeconds: number;
}): Monitor {
  const samples: MailSample[] = [];
  let db: postgres.Sql | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let t0 = 0;
  let deliveredBase = 0;
  let queuedBase = 0;
  let measureStartMs = 0;
  let measureEndMs = 0;
  let sinkCpuStart: number | null = null;
  let sampling: Promise<void> | null = null;

  async function sample(): Promise<MailSample> {
    const [[row], stats] = await Promise.all([
      db!.unsafe(`select count(*)::int as n from mail_outbox where status <> 'sent'`) as unknown as Promise<[{ n: number }]>,
      sinkStats(options.sinkHttpPort),
    ]);
    const s = { ms: performance.now() - t0, backlog: row.n, delivered: stats.delivered - deliveredBase };
    samples.push(s);
    return s;
  }

  async function queuedTotal(): Promise<number> {
    const [row] = (await db!.unsafe(`select count(*)::int as n from mail_outbox`)) as unknown as [{ n: number }];
    return row.n;
  }

  return {
    async start() {
      db = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'va-bench-mail-sampler' } });
      deliveredBase = (await sinkStats(options.sinkHttpPort)).delivered;
      queuedBase = await queuedTotal();
      t0 = performance.now();
      await sample();
      timer = setInterval(() => {
        if (sampling) return;
        const done = () => {
          sampling = null;
        };
        sampling = sample().then(done, done);
      }, 250);
    },
    measureStart() {
      measureStartMs = performance.now() - t0;
      sinkCpuStart = options.sinkCpuMs();
    },
    measureEnd() {
      measureEndMs = performance.now() - t0;
    },
    async finish(): Promise<MailReport> {
      const sinkCpuEnd = options.sinkCpuMs();
      // Wait for the backlog to drain (samples keep coming every 250 ms), at most waitSeconds.
      const deadline = performance.now() + options.waitSeconds * 1000;
      while (performance.now() < deadline) {
        const lastSample = samples.at(-1)!;
        if (lastSample.ms > measureEndMs && lastSample.backlog === 0) break;
        await Bun.sleep(50);
      }
      if (timer) clearInterval(timer);
      await sampling;
      const final = await sample();
      const queued = (await queuedTotal()) - queuedBase;
      const [failedRow] = (await db!.unsafe(`select count(*)::int as n from mail_outbox where status = 'failed'`)) as unknown as [
        { n: number },
      ];
      const stats = await sinkStats(options.sinkHttpPort);
      await db!.end({ timeout: 2 });

      const at = (ms: number) => samples.reduce((best, s) => (Math.abs(s.ms - ms) < Math.abs(best.ms - ms) ? s : best), samples[0]!);
      const windowSeconds = (measureEndMs - measureStartMs) / 1000;
      const startSample = at(measureStartMs);
      const endSample = at(measureEndMs);
      const drained = samples.find((s) => s.ms >= measureEndMs && s.backlog === 0);
      const link = /https?:\/\/\S+\/_edge\/visitor\/access\/t\/(\S+)/.exec(unquote(stats.last));
      const queuedInWindow = await countCreatedBetween(options.databaseUrl, measureStartMs, measureEndMs, t0);
      return {
        samples,
        measureStartMs,
        measureEndMs,
        queued,
        delivered: final.delivered,
        failed: failedRow.n,
        deliveredPerSecondMeasured: (endSample.delivered - startSample.delivered) / windowSeconds,
        queuedPerSecondMeasured: queuedInWindow / windowSeconds,
        backlogAtLoadEnd: endSample.backlog,
        drainMs: drained ? Math.max(0, drained.ms - measureEndMs) : null,
        sinkCpuUsPerMail:
          sinkCpuStart !== null && sinkCpuEnd !== null && endSample.delivered > startSample.delivered
            ? ((sinkCpuEnd - sinkCpuStart) * 1000) / (endSample.delivered - startSample.delivered)
            : null,
        linkOk: Boolean(link?.[1]?.startsWith('vml_')),
        linkExample: link ? `${link[0].slice(0, 60)}…` : null,
      };
    },
  };
}

/** Outbox rows created in the measured window (by their created_at, the service's clock = ours). */
async function countCreatedBetween(url: string, startMs: number, endMs: number, t0: number): Promise<number> {
  const db = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const origin = Date.now() - (performance.now() - t0);
    const [row] = (await db.unsafe(`select count(*)::int as n from mail_outbox where created_at >= $1 and created_at < $2`, [
      new Date(origin + startMs),
      new Date(origin + endMs),
    ])) as unknown as [{ n: number }];
    return row.n;
  } finally {
    await db.end({ timeout: 2 });
  }
}

/** A compact text curve: one line per second (the 250 ms samples are all in the JSON). */
export function backlogCurve(report: MailReport): string[] {
  const lines: string[] = [];
  const peak = Math.max(1, ...report.samples.map((s) => s.backlog));
  const width = 40;
  for (let ms = 0; ms <= report.samples.at(-1)!.ms + 1; ms += 1000) {
    const s = report.samples.reduce((best, x) => (Math.abs(x.ms - ms) < Math.abs(best.ms - ms) ? x : best), report.samples[0]!);
    const phase = s.ms < report.measureStartMs ? 'warm-up' : s.ms <= report.measureEndMs ? 'load' : 'drain';
    const bar = '#'.repeat(Math.round((s.backlog / peak) * width));
    lines.push(
      `  ${(s.ms / 1000).toFixed(1).padStart(5)} s  ${phase.padEnd(7)}  backlog ${s.backlog.toLocaleString('en-US').padStart(7)}  delivered ${s.delivered.toLocaleString('en-US').padStart(7)}  ${bar}`,
    );
  }
  return lines;
}
