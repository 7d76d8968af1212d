import { defineConfig } from 'vitest/config';

// `npm run test:pipeline`: the synthesized state machine run offline (test/pipeline). It runs on Node 24, the
// Lambdas' runtime (test/pipeline/runtime), which aws-local-stepfunctions 3 needs (Node 22 or later).
export default defineConfig({
  test: {
    include: ['test/pipeline/**/*.test.ts'],
    globalSetup: ['test/pipeline/global-setup.ts'],
    testTimeout: 150_000,
    hookTimeout: 150_000,
    pool: 'forks',
  },
});
