// Every expiry decision reads `now` from an injected clock and passes it into SQL as a parameter,
// so tests can say "the email arrived 16 minutes late" without sleeping.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
