// Admission for sign-in requests: at most SIGN_IN_MAX_IN_FLIGHT of them do their work at once;
// one more is refused at once with 503 service_unavailable and Retry-After, before any database
// work. When PostgreSQL is the bottleneck, a request beyond what the pool can serve soon only waits
// in postgres.js's queue, holding memory, and delays everything behind it in the same pool — the
// uncached edge check included. A fast refusal lets the caller (a browser, a storefront server)
// retry, and keeps the queue short. The edge check never passes through here.
//
// Per runtime (keyed by its deps): each instance bounds its own work; the bound is per process.
import type { AppDeps } from '../app-deps.ts';
import { POOL_SIZE } from '../db/postgres.ts';
import { AppError } from '../errors.ts';

/**
 * The default bound: eight requests per connection of the main pool. A sign-in request holds a
 * connection for two short statements (about a millisecond each when PostgreSQL keeps up), so an
 * admitted request waits some 10–20 ms at most for one; more would only queue. With the pool's 10
 * that is 80: clients that hang up leave their requests finishing (a sign-in is never abandoned
 * half-way), so a steady 32-connection load that reconnects can briefly have 64 at work without
 * being overloaded.
 */
export const DEFAULT_SIGN_IN_MAX_IN_FLIGHT = 8 * POOL_SIZE;

/** Seconds a refused caller is asked to wait: overload passes quickly, or the refusals go on. */
const RETRY_AFTER_SECONDS = 1;

/** A refusal is logged at most this often (with the count since the last line): overload must not flood the log. */
const LOG_EVERY_MS = 10_000;

class Gate {
  inFlight = 0;
  refused = 0;
  lastLog = 0;
  constructor(readonly max: number) {}
}

const gates = new WeakMap<AppDeps, Gate>();

function gateOf(deps: AppDeps): Gate {
  let gate = gates.get(deps);
  if (!gate) {
    gate = new Gate(deps.config.signInMaxInFlight ?? DEFAULT_SIGN_IN_MAX_IN_FLIGHT);
    gates.set(deps, gate);
  }
  return gate;
}

/**
 * Takes one of the sign-in slots for the rest of the calling scope (`using`), or throws 503
 * service_unavailable with Retry-After when all are taken. Call it first, before any await.
 */
export function admitSignIn(deps: AppDeps): Disposable {
  const gate = gateOf(deps);
  if (gate.inFlight >= gate.max) {
    gate.refused++;
    const now = Date.now();
    if (now - gate.lastLog >= LOG_EVERY_MS) {
      deps.logger.warn('sign-in requests refused: too many in flight (SIGN_IN_MAX_IN_FLIGHT)', { max: gate.max, refused: gate.refused });
      gate.lastLog = now;
      gate.refused = 0;
    }
    throw new AppError('service_unavailable', {
      detail: 'Too many sign-in requests at once; try again in a moment.',
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  }
  gate.inFlight++;
  let released = false;
  return {
    [Symbol.dispose]() {
      if (released) return;
      released = true;
      gate.inFlight--;
    },
  };
}

/** Sign-in requests doing their work right now (tests, diagnostics). */
export function signInsInFlight(deps: AppDeps): number {
  return gates.get(deps)?.inFlight ?? 0;
}
