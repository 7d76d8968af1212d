/**
 * Preloaded into a CLI child process (`NODE_OPTIONS=--import=<this file>`) by tests that replay a day: the process's
 * clock starts at PERF_BUDGETS_TEST_NOW (ISO 8601) and runs on from there, so that a live run against a loopback
 * account is the daily cycle of that morning whatever day the test runs (CloudTrail's 90 days, Cost Explorer's open
 * days and the day after which as-of is refused all count from the wall clock).
 */
const target = Date.parse(process.env.PERF_BUDGETS_TEST_NOW ?? '');
if (Number.isFinite(target)) {
  const RealDate = Date;
  const offset = target - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}
