import { describe, expect, it } from 'vitest';
import type { ConfigChange, TypeHistory } from '../../lambdas/aws/endpoint-history.ts';
import { type RecordedTypesInput, recordedTypes } from '../../lambdas/aws/recorded-types.ts';
import type { InventoryDay } from '../../lambdas/ports.ts';

const DAY = 86_400_000;
const at = (day: string) => Date.parse(`${day}T00:00:00Z`);
const dayEnd = (day: string) => at(day) + DAY;

/** api-a moved to config v2 (ml.g5.xlarge) at noon on 2026-03-20; CloudTrail no longer has its creation. */
const update: ConfigChange = {
  at: Date.parse('2026-03-20T12:00:00Z'),
  endpoint: 'api-a',
  config: 'v2',
  event: 'UpdateEndpoint',
};
const history: TypeHistory = {
  types: new Map([['AllTraffic', [{ at: update.at, type: 'ml.g5.xlarge' }]]]),
  before: update,
  unknownConfigs: [],
};
const recorded = (days: string[], type = 'ml.m5.xlarge'): InventoryDay[] =>
  days.map((day) => ({ day, endpoint: 'api-a', variant: 'AllTraffic', instanceType: type, count: 2 }));

const input = (over: Partial<RecordedTypesInput>): RecordedTypesInput => ({
  endpoint: 'api-a',
  variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge' }],
  history,
  cloudTrailFrom: at('2026-03-10'),
  windowFrom: at('2026-03-01'),
  days: [],
  dayEnd,
  ...over,
});

describe('recordedTypes: the window starts before CloudTrail’s days (a replayed as-of)', () => {
  it('dates the time before the update by a record every day from the window’s start to CloudTrail’s', () => {
    const days = recorded([
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
    ]);
    const daily = recordedTypes(
      input({ days: [...days, ...recorded(['2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09'])] }),
    );
    expect(daily.unknown).toEqual([]);
    expect(daily.types.get('AllTraffic')).toEqual([
      { at: dayEnd('2026-02-28'), type: 'ml.m5.xlarge' },
      { at: update.at, type: 'ml.g5.xlarge' },
    ]);
  });

  it('says the type is unknown when a day between them was not recorded', () => {
    const days = recorded([
      '2026-02-28',
      '2026-03-01',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-07',
      '2026-03-08',
      '2026-03-09',
    ]);
    expect(recordedTypes(input({ days })).unknown).toEqual([
      expect.stringMatching(
        /^endpoint api-a took config v2 on 2026-03-20T12:00:00.000Z; CloudTrail's 90 days/,
      ),
    ]);
  });

  it('needs no record when the update is before the window: no hour before it counts', () => {
    expect(recordedTypes(input({ windowFrom: at('2026-03-21') })).unknown).toEqual([]);
  });
});

describe('recordedTypes: CloudTrail could not be read', () => {
  it('counts the current type from the end of the last day recorded with another type', () => {
    const r = recordedTypes(
      input({ history: undefined, cloudTrailFrom: undefined, days: recorded(['2026-03-18', '2026-03-19']) }),
    );
    expect(r.types.get('AllTraffic')).toEqual([
      { at: dayEnd('2026-03-18'), type: 'ml.m5.xlarge' },
      { at: dayEnd('2026-03-19'), type: 'ml.g5.xlarge' },
    ]);
    expect(r.unknown).toEqual([]);
  });

  it('leaves the current type all along without records', () => {
    expect(recordedTypes(input({ history: undefined, cloudTrailFrom: undefined })).types).toEqual(new Map());
  });
});
