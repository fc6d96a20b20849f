// A real nginx for end-to-end tests, configured from the very block that docs/deploy.md shows
// (```nginx title=nginx.conf), so the documentation cannot drift from what is tested.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..', '..', '..');
const DEPLOY_DOC = join(ROOT, 'docs', 'deploy.md');

/**
 * The nginx binary, or null: NGINX_BIN when set (another build), else nginx on PATH or in the
 * usual sbin folders (Debian puts it in /usr/sbin, which is not on every user's PATH).
 */
export function findNginx(): string | null {
  if (process.env.NGINX_BIN) return existsSync(process.env.NGINX_BIN) ? process.env.NGINX_BIN : null;
  const onPath = Bun.which('nginx', { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/usr/local/nginx/sbin` });
  return onPath && existsSync(onPath) ? onPath : null;
}

/** The one ```nginx title=nginx.conf block of the deploy guide. */
export function deployDocConfig(markdown = readFileSync(DEPLOY_DOC, 'utf8')): string {
  const blocks = [...markdown.matchAll(/^```nginx title=nginx\.conf\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1)
    throw new Error(`docs/deploy.md must have exactly one \`\`\`nginx title=nginx.conf block, found ${blocks.length}`);
  return blocks[0]![1]!;
}

/** Replaces every {{NAME}}; a placeholder left over (or a value not used) is an error. */
export function renderConfig(template: string, values: Record<string, string>): string {
  for (const name of Object.keys(values)) {
    if (!template.includes(`{{${name}}}`)) throw new Error(`docs/deploy.md nginx block has no {{${name}}} placeholder`);
  }
  const rendered = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  const left = /\{\{[A-Z_]+\}\}/.exec(rendered);
  if (left) throw new Error(`docs/deploy.md nginx block has an unknown placeholder ${left[0]}`);
  return rendered;
}

export type Nginx = {
  port: number;
  dir: string;
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
};

/** The main context the deploy guide leaves to the distribution's nginx.conf, all inside `dir`. */
function mainConfig(binary: string, dir: string): string {
  const built = Bun.spawnSync([binary, '-V']).stderr.toString();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .filter((kind) => kind === 'client_body' || kind === 'proxy' || !built.includes(`--without-http_${kind}_module`))
    .map((kind) => `    ${kind}_temp_path ${dir}/temp/${kind};`)
    .join('\n');
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
    default_type application/octet-stream;
${temp}
    include ${dir}/site.conf;
}
`;
}

async function accepting(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts nginx in the foreground with `site` (the rendered deploy-guide block) on 127.0.0.1:port.
 * Logs, pid file and temp folders stay in `dir`.
 */
export async function startNginx(binary: string, dir: string, port: number, site: string): Promise<Nginx> {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  // Workers drop to an unprivileged user when nginx runs as root: let them reach the temp folders.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(join(dir, 'nginx.conf'), mainConfig(binary, dir));
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
  const check = Bun.spawnSync([binary, ...args, '-t']);
  if (check.exitCode !== 0) throw new Error(`nginx -t rejected the docs/deploy.md configuration:\n${check.stderr.toString()}`);

  const child = Bun.spawn([binary, ...args, '-g', 'daemon off;'], { stdout: 'ignore', stderr: 'pipe' });
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
  const deadline = Date.now() + 10_000;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `nginx did not start on 127.0.0.1:${port}:\n${read('error.log')}\n${await new Response(child.stderr as ReadableStream).text()}`,
      );
    }
    await Bun.sleep(25);
  }
  return {
    port,
    dir,
    accessLog: () => read('storefront.access.log'),
    errorLog: () => read('error.log'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM'); // fast shutdown: the master stops its workers
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
      if (!exited) {
        child.kill('SIGKILL');
        await child.exited;
      }
    },
  };
}
