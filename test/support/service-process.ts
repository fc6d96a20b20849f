// Starts the real service (`bun src/server.ts`) as a child process and waits for its "listening" line.
export type ServiceProcess = {
  process: ReturnType<typeof Bun.spawn>;
  port: number;
  base: string;
  output: () => string;
  stop(): Promise<number>;
};

export async function startService(env: Record<string, string>, timeoutMs = 20_000): Promise<ServiceProcess> {
  const child = Bun.spawn(['bun', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      // The run's setting (DATABASE_PREPARE=false behind PgBouncer, .ci/run) holds for the service too.
      ...(process.env.DATABASE_PREPARE ? { DATABASE_PREPARE: process.env.DATABASE_PREPARE } : {}),
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let output = '';
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    output += decoder.decode(value);
    const listening = /"msg":"listening","url":"http:\/\/localhost:(\d+)"/.exec(output);
    if (listening) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => {
        for (;;) {
          const next = await reader.read();
          if (next.done) return;
          output += decoder.decode(next.value);
        }
      })();
      const port = Number(listening[1]);
      return {
        process: child,
        port,
        base: `http://localhost:${port}`,
        output: () => output,
        async stop() {
          child.kill('SIGTERM');
          return child.exited;
        },
      };
    }
  }
  child.kill();
  throw new Error(`service did not start:\n${output}\n${await new Response(child.stderr as ReadableStream).text()}`);
}
