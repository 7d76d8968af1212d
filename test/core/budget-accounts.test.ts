import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectionTargets, parseBudgetFile } from '../../lambdas/core/budget.ts';

const base = `
version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: UTC }
tiers:
  production: { mode: advise }
budgets:
  - name: search-prod
    owner: search-team@example.com
    tier: production
    environment: prod
    selector: { endpoints: ["search-*"] }
    limits: { spendPerPeriod: 12000 }
`;

const MEMBER_ROLE = 'arn:aws:iam::123456789012:role/perf-budgets-member';

function check(accounts: string) {
  return parseBudgetFile(parse(`${base}accounts:\n${accounts}`));
}

function problems(accounts: string): string[] {
  const r = check(accounts);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('budget file accounts', () => {
  it('is optional: a file without accounts reads the deployment account only', () => {
    const r = parseBudgetFile(parse(base));
    expect(r.ok && r.file.accounts).toBeUndefined();
  });

  it('accepts the home account without a role and members with a role, external id and regions', () => {
    const r = check(`
  - { id: "111122223333" }
  - id: "123456789012"
    roleArn: ${MEMBER_ROLE}
    externalId: perf-budgets-7f3a
    regions: [us-east-1, eu-west-1]
`);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.file.accounts).toEqual([
        { id: '111122223333' },
        {
          id: '123456789012',
          roleArn: MEMBER_ROLE,
          externalId: 'perf-budgets-7f3a',
          regions: ['us-east-1', 'eu-west-1'],
        },
      ]);
    }
  });

  it('asks for a quoted account id when YAML read it as a number', () => {
    expect(problems('  - { id: 123456789012, roleArn: "arn:aws:iam::123456789012:role/x" }')).toEqual([
      expect.stringMatching(
        /^accounts\[0\]\.id: expected a 12-digit account id as a quoted string.*got 123456789012/,
      ),
    ]);
  });

  it('rejects an account id that is not 12 digits', () => {
    expect(problems('  - { id: "12345", roleArn: "arn:aws:iam::123456789012:role/x" }')).toContainEqual(
      expect.stringMatching(/^accounts\[0\]\.id: a 12-digit account id/),
    );
  });

  it('rejects a role ARN that is not an IAM role', () => {
    expect(problems('  - { id: "123456789012", roleArn: "arn:aws:iam::123456789012:user/alice" }')).toEqual([
      expect.stringMatching(/^accounts\[0\]\.roleArn: an IAM role ARN/),
    ]);
  });

  it('rejects a role in another account than the entry names', () => {
    expect(
      problems('  - { id: "123456789012", roleArn: "arn:aws:iam::999999999999:role/perf-budgets-member" }'),
    ).toEqual([
      'accounts[0].roleArn: the role is in account 999999999999, not 123456789012; give the role the member stack created in 123456789012',
    ]);
  });

  it('rejects an external id without a role to send it with', () => {
    expect(problems('  - { id: "123456789012", externalId: "abc123" }')).toEqual([
      expect.stringMatching(/^accounts\[0\]\.externalId: an externalId is sent only when assuming roleArn/),
    ]);
  });

  it('rejects a malformed external id', () => {
    expect(
      problems(`  - { id: "123456789012", roleArn: "${MEMBER_ROLE}", externalId: "has space" }`),
    ).toEqual([expect.stringMatching(/^accounts\[0\]\.externalId: 2 to 1224/)]);
  });

  it('rejects an unknown region spelling and a duplicate region', () => {
    expect(
      problems(
        `  - { id: "123456789012", roleArn: "${MEMBER_ROLE}", regions: [US-EAST-1, eu-west-1, eu-west-1] }`,
      ),
    ).toEqual([
      'accounts[0].regions[0]: an AWS region such as us-east-1',
      'accounts[0].regions[2]: duplicate region "eu-west-1"',
    ]);
  });

  it('rejects an empty region list and an empty accounts list', () => {
    expect(problems(`  - { id: "123456789012", roleArn: "${MEMBER_ROLE}", regions: [] }`)).toEqual([
      expect.stringMatching(/^accounts\[0\]\.regions: /),
    ]);
    const r = parseBudgetFile({ ...parse(base), accounts: [] });
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toEqual(['accounts']);
  });

  it('rejects unknown keys in an entry', () => {
    expect(problems(`  - { id: "123456789012", role: "${MEMBER_ROLE}" }`)).toEqual([
      expect.stringMatching(/^accounts\[0\]: .*role/),
    ]);
  });

  it('rejects the same account listed twice', () => {
    expect(
      problems(
        `  - { id: "123456789012", roleArn: "${MEMBER_ROLE}" }\n  - { id: "123456789012", roleArn: "${MEMBER_ROLE}" }`,
      ),
    ).toEqual(['accounts[1].id: duplicate account "123456789012"; list its regions in one entry']);
  });

  it('rejects two different accounts without a role: only the deployment account needs none', () => {
    expect(problems('  - { id: "111122223333" }\n  - { id: "123456789012" }')).toEqual([
      expect.stringMatching(/^accounts\[1\]\.roleArn: only the deployment account is read without a role/),
    ]);
  });
});

describe('collection targets', () => {
  it('expands accounts by regions in file order, the default region where none are given', () => {
    expect(
      collectionTargets(
        [
          { id: '111122223333' },
          { id: '123456789012', roleArn: MEMBER_ROLE, externalId: 'x1', regions: ['us-east-1', 'eu-west-1'] },
        ],
        'us-west-2',
      ),
    ).toEqual([
      { account: '111122223333', region: 'us-west-2' },
      { account: '123456789012', region: 'us-east-1', roleArn: MEMBER_ROLE, externalId: 'x1' },
      { account: '123456789012', region: 'eu-west-1', roleArn: MEMBER_ROLE, externalId: 'x1' },
    ]);
  });
});
