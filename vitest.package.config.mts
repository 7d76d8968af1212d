import { defineConfig } from 'vitest/config';

// `npm run test:package`: the packed tarball installed into a fresh CDK app (test/package). Its own step, not part
// of `vitest run`: `npm pack` rebuilds dist/, which the CLI's tests may be running meanwhile.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
