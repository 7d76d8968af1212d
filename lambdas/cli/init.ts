/**
 * `perf-budgets init`: a first budget file measured from what runs today. The endpoints are collected as a run
 * collects them (files, the demo account or a live account) under one provisional budget that takes every endpoint;
 * they are grouped by their tags, each group is measured under the selector its budget will have, and the file is
 * written with the numbers behind each limit, through a temporary file, never over an existing one without --force.
 */
import { lstat } from 'node:fs/promises';
import { InputError } from '../core/errors.ts';
import { endpointsSeen, measureBaseline } from '../core/init/baseline.ts';
import { groupEndpoints } from '../core/init/groups.ts';
import {
  everyEndpointFile,
  type FileSettings,
  groupsFile,
  proposeBudgetFile,
} from '../core/init/proposal.ts';
import { mergeSnapshotParts } from '../cycle/parts.ts';
import { renderBudgetFile } from '../formats/budget-writer.ts';
import { writeFileAtomically } from '../fs/dir-sink.ts';
import type { DemoInputs } from './demo.ts';
import { collectFiles, collectLive, collectLiveSpend } from './run.ts';
import { print } from './terminal.ts';

export interface InitFlags {
  readonly aws?: boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly costs?: string[];
  readonly metrics?: string;
  readonly demo?: boolean;
  readonly days: string;
  readonly asOf?: string;
  readonly headroom: string;
  readonly out?: string;
  readonly force?: boolean;
}

const SETTINGS: FileSettings = {
  currency: 'USD',
  billingPeriod: { startDay: 1, timezone: 'UTC' },
  costMetric: 'billed',
};

const MAX_DAYS = 366;
const MAX_HEADROOM = 500;

function numberFlag(name: string, text: string, o: { min: number; max: number; integer: boolean }): number {
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    (o.integer && !Number.isInteger(n)) ||
    n < o.min ||
    n > o.max
  ) {
    throw new InputError(
      `init: ${name}: expected ${o.integer ? 'a whole number' : 'a number'} from ${o.min} to ${o.max}, got "${text}"`,
    );
  }
  return n;
}

/** Refuses an --out that exists (without --force) or is no regular file, before anything is read. */
async function checkOut(out: string, force: boolean): Promise<void> {
  const st = await lstat(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new InputError(`init: --out ${out}: cannot check it (${err.code ?? err.message})`);
  });
  if (!st) return;
  if (!st.isFile()) throw new InputError(`init: --out ${out} exists and is not a file`);
  if (!force) throw new InputError(`init: --out ${out} exists; give --force to replace it`);
}

export async function init(
  flags: InitFlags,
  demoInputs: () => Promise<DemoInputs>,
  now: Date,
): Promise<number> {
  const sources = [flags.aws, flags.costs !== undefined, flags.demo].filter(Boolean).length;
  if (sources !== 1) {
    throw new InputError('init: give one of --aws, --costs FILE... or --demo');
  }
  if (flags.metrics !== undefined && flags.costs === undefined) {
    throw new InputError('init: --metrics goes with --costs (--aws and --demo read their own metrics)');
  }
  if (!flags.aws && (flags.region !== undefined || flags.profile !== undefined)) {
    throw new InputError('init: --region and --profile go with --aws');
  }
  const days = numberFlag('--days', flags.days, { min: 1, max: MAX_DAYS, integer: true });
  const headroomPercent = numberFlag('--headroom', flags.headroom, {
    min: 0,
    max: MAX_HEADROOM,
    integer: false,
  });
  if (flags.out !== undefined) await checkOut(flags.out, flags.force === true);

  const discovery = everyEndpointFile(SETTINGS);
  const demo = flags.demo ? await demoInputs() : undefined;
  const asOf = flags.asOf ?? demo?.asOf;
  const costs = flags.costs ?? demo?.costs;
  const parts = flags.aws
    ? await collectLive(
        discovery,
        { region: flags.region, profile: flags.profile },
        { asOf, now, state: false },
      )
    : await collectFiles(
        discovery,
        { costs: costs ?? [], metrics: flags.metrics ?? demo?.metrics },
        { asOf, now },
      );
  const seen = mergeSnapshotParts(parts, discovery);
  const groups = groupEndpoints(endpointsSeen(seen, discovery, days));
  if (groups.length === 0) {
    throw new InputError(
      `init: no SageMaker endpoint ran in the ${days} days up to ${seen.asOf} (no charge names one${flags.aws ? ', and the inventory lists none' : ''}); nothing to budget`,
    );
  }
  const file = groupsFile(groups, SETTINGS);
  // Cost Explorer returns the rows of a tag only when asked for it: the groups' tags (a team's S3 model artefacts)
  // are known only now, so their spend is asked again under the budgets the file will hold.
  const snapshot = flags.aws
    ? mergeSnapshotParts(
        [
          await collectLiveSpend(
            file,
            { region: flags.region, profile: flags.profile },
            { asOf: seen.asOf, now, state: false },
          ),
          ...parts.filter((p) => p.part !== 'costs'),
        ],
        file,
      )
    : seen;
  const baseline = measureBaseline(snapshot, file, groups, days);
  if (baseline.costGaps.length > 0 && baseline.missing.length === days) {
    throw new InputError(
      `init: no cost data in ${baseline.from}..${baseline.to} (${baseline.costGaps.join('; ')}); nothing written`,
    );
  }
  const text = renderBudgetFile(
    proposeBudgetFile(baseline, SETTINGS, {
      headroomPercent,
      source: flags.aws
        ? 'on the live account (spend that names no endpoint is in a baseline only where Cost Explorer tags it)'
        : demo
          ? 'on the demo account'
          : `from ${(costs ?? []).join(', ')}`,
    }),
  );
  if (flags.out === undefined) {
    print(text);
    return 0;
  }
  await writeFileAtomically(flags.out, text, {
    overwrite: flags.force === true,
    refusal: `init: --out ${flags.out} exists; give --force to replace it`,
  });
  print(
    `Wrote ${flags.out}: ${groups.length} budget${groups.length === 1 ? '' : 's'} (${groups.map((g) => g.name).join(', ')}), measured ${baseline.from}..${baseline.to}.\n`,
  );
  return 0;
}
