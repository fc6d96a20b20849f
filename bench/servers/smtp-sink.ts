// A local SMTP sink for the mail bench: accepts every message at once and counts it. Plain loopback
// SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS, no AUTH), no greeting delay
// (smtp-server waits 100 ms on every new connection, which a real relay does not), no parsing: the
// sink must cost next to nothing so that what is measured is the sender.
//
// Started by bench/sign-in.ts with SMTP_PORT and HTTP_PORT. GET /stats on HTTP_PORT answers
// { delivered, connections, bytes, last } where `last` is the raw text of the last message (the
// bench checks that it holds a working sign-in link).
const smtpPort = Number(process.env.SMTP_PORT ?? 2525);
const httpPort = Number(process.env.HTTP_PORT ?? 0);

let delivered = 0;
let connections = 0;
let bytes = 0;
let last = '';

type State = { buffer: string; inData: boolean };

const EHLO = '250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n';

const smtp = Bun.listen<State>({
  hostname: '127.0.0.1',
  port: smtpPort,
  socket: {
    open(socket) {
      connections++;
      socket.data = { buffer: '', inData: false };
      socket.write('220 sink ESMTP\r\n');
    },
    data(socket, chunk) {
      const state = socket.data;
      state.buffer += chunk.toString('latin1');
      bytes += chunk.length;
      let out = '';
      for (;;) {
        if (state.inData) {
          // End of DATA: a line holding a single dot.
          const end = state.buffer.startsWith('.\r\n') ? 0 : state.buffer.indexOf('\r\n.\r\n');
          if (end === -1) break;
          last = state.buffer.slice(0, end);
          state.buffer = state.buffer.slice(end === 0 ? 3 : end + 5);
          state.inData = false;
          delivered++;
          out += '250 2.0.0 queued\r\n';
          continue;
        }
        const eol = state.buffer.indexOf('\r\n');
        if (eol === -1) break;
        const line = state.buffer.slice(0, eol);
        state.buffer = state.buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') out += EHLO;
        else if (verb === 'DATA') {
          out += '354 end with <CRLF>.<CRLF>\r\n';
          state.inData = true;
        } else if (verb === 'QUIT') {
          socket.write(`${out}221 bye\r\n`);
          socket.end();
          return;
        } else if (verb === 'HELO' || verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') out += '250 ok\r\n';
        else out += '502 not implemented\r\n';
      }
      if (out) socket.write(out);
    },
  },
});

const http = Bun.serve({
  hostname: '127.0.0.1',
  port: httpPort,
  fetch: () => Response.json({ delivered, connections, bytes, last }),
});
console.log(`listening smtp ${smtp.port} http ${http.port}`);
process.on('SIGTERM', () => {
  smtp.stop(true);
  http.stop(true);
  process.exit(0);
});
