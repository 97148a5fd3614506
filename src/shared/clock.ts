// One clock object is passed in everywhere wall time matters (timeouts, heartbeat, duration), so tests
// can drive time by hand. Market time never comes from here: it is the `ts` of the frames.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
