// One clock object is passed in everywhere wall time matters (timeouts, heartbeat, duration), so tests
// can drive time by hand. Market time never comes from here: it is the `ts` of the frames.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class TestClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}
