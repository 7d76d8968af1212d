import { describe, expect, it } from 'vitest';
import { redactError, redactUrls } from '../../lambdas/handlers/redact.ts';

describe('redactUrls', () => {
  it.each([
    ['https://hooks.slack.com/services/T0123/B0456/xoxSecret', 'https://hooks.slack.com/[redacted]'],
    [
      'https://data.s3.us-east-1.amazonaws.com/reports/r.html?X-Amz-Credential=AKIA&X-Amz-Signature=0be1',
      'https://data.s3.us-east-1.amazonaws.com/[redacted]',
    ],
    ['https://example.com?token=abc', 'https://example.com/[redacted]'],
    ['https://example.com#access_token=abc', 'https://example.com/[redacted]'],
    ['https://user:pa55@example.com/x', 'https://example.com/[redacted]'],
    ['https://user:pa55@example.com', 'https://example.com'],
    ['http://127.0.0.1:8080/services/T/B/X', 'http://127.0.0.1:8080/[redacted]'],
    ['http://[::1]:8080/services/T/B/X', 'http://[::1]:8080/[redacted]'],
    // WHATWG URL parsers read a backslash as a slash
    ['https://hooks.slack.com\\services\\T\\B\\X', 'https://hooks.slack.com/[redacted]'],
    ['HTTPS://HOOKS.SLACK.COM/services/T/B/X', 'HTTPS://HOOKS.SLACK.COM/[redacted]'],
  ])('cuts %s to its scheme and host', (url, redacted) => {
    expect(redactUrls(url)).toBe(redacted);
  });

  it('leaves a bare origin, other schemes and text without URLs as they are', () => {
    for (const text of [
      'https://sns.us-east-1.amazonaws.com/',
      'https://sns.us-east-1.amazonaws.com',
      's3://perf-budgets-data/reports/r.html',
      'at handler (file:///var/task/index.mjs:12:3)',
      'POST failed: HTTP 500 internal_error',
    ]) {
      expect(redactUrls(text)).toBe(text);
    }
  });

  it('redacts every URL in a text and keeps the words around them', () => {
    expect(
      redactUrls(
        'fetch \'https://a.example/x?y=1\' then "https://b.example/p", see https://c.example (done)',
      ),
    ).toBe(
      'fetch \'https://a.example/[redacted] then "https://b.example/[redacted]", see https://c.example (done)',
    );
  });

  it('gives the same text when applied twice', () => {
    const once = redactUrls('POST https://hooks.slack.com/services/T/B/X answered 500');
    expect(redactUrls(once)).toBe(once);
  });
});

describe('redactError', () => {
  it('redacts the message and stack of an error and its causes, keeping its class and name', () => {
    const cause = new Error('POST https://hooks.slack.com/services/T/B/xoxSecret failed');
    const err = new TypeError('Failed to parse URL from https://h.example/k?X-Amz-Signature=0be1', { cause });
    expect(redactError(err)).toBe(err);
    expect(err).toBeInstanceOf(TypeError);
    expect(err.name).toBe('TypeError');
    expect(err.message).toBe('Failed to parse URL from https://h.example/[redacted]');
    expect(err.stack).toContain('TypeError: Failed to parse URL from https://h.example/[redacted]\n');
    expect(cause.message).toBe('POST https://hooks.slack.com/[redacted] failed');
    expect(`${err.stack}${cause.stack}`).not.toMatch(/xoxSecret|X-Amz-Signature/);
  });

  it('redacts a thrown string and passes other values through', () => {
    expect(redactError('no answer from https://hooks.slack.com/services/T/B/X')).toBe(
      'no answer from https://hooks.slack.com/[redacted]',
    );
    const value = { code: 7 };
    expect(redactError(value)).toBe(value);
  });
});
