// A test that needs something this machine lacks (real candle data in ../shared/data, root, Chromium,
// promtool, `ip netns`) skips locally, saying what is missing. CI provides all of them, so there (CI set in
// the environment) a missing prerequisite is a failure, never a quiet skip. A `skip` given as a test or suite
// option cannot fail; .ci/run fails on any skipped test for that.
import type { TestContext } from 'node:test';

export const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** Skip `t` for `why`; under CI fail it instead. */
export function lacking(t: TestContext, why: string): void {
  if (IN_CI) throw new Error(`${why}: CI provides this, so the test fails instead of skipping`);
  t.skip(why);
}
