// Matchers for AWS SDK mocks (toReceiveCommandWith, ...) and quiet Powertools in every test file.
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { expect } from 'vitest';

expect.extend(allCustomMatcher);
