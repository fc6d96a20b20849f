// A clock tests move by hand: "the email arrived 16 minutes late" without sleeping.
import type { Clock } from '../../src/clock.ts';

export class TestClock implements Clock {
  private current: number;
  constructor(start = Date.now()) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}
