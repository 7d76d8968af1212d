import { main } from '../lambdas/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
