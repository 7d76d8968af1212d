// Matchers for AWS SDK mocks (toReceiveCommandWith, ...) and quiet Powertools in every test file; each file's
// scratch directory removed after its tests.
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, expect } from 'vitest';
import { removeScratch } from './helpers/scratch.ts';

expect.extend(allCustomMatcher);
afterAll(removeScratch);
