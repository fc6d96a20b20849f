// JSON lines, each with the request id when there is one. Never pass tokens, codes, cookies or
// secrets here; request paths go through redactPath first.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
};

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => console.log(line)): Logger {
  const emit =
    (at: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (ORDER[at] < ORDER[level]) return;
      write(JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...fields }));
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * Link tokens (shoppers' and operators') travel in the path, addresses in some query strings
 * (`?email=`): never log them — an erased shopper's address must not outlive them in the logs.
 */
export function redactPath(path: string): string {
  return path
    .replace(/(\/_edge\/visitor\/access\/[th]\/|\/_edge\/visitor\/emails\/(?:t|revert)\/|\/console\/t\/)[^/?#]+/, '$1[redacted]')
    .replace(/([?&]email=)[^&#]*/gi, '$1[redacted]');
}
