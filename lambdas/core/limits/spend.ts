/**
 * Spend per period (`spendPerPeriod`): actual spend to date past the cap breaches the budget; a forecast past it
 * puts the budget at risk. Alerts on spend follow the alertAt fractions of the cap, on actual and on forecast spend.
 */
import {
  type ActionContext,
  lowerMinInstances,
  raiseScalingTarget,
  retireIdleEndpoint,
  revertInstanceType,
  rightSizeInstance,
  scheduleScaleDown,
} from '../actions.ts';
import type { BudgetResult } from '../evaluate/types.ts';
import { displayMoney, type Money, moneyFromNumber, roundTo, toNumber } from '../money.ts';
import { addDays, daysBetween } from '../period.ts';
import type { Action, Cause, Severity } from '../types.ts';
import {
  fallbackHeadline,
  type HeadlineInput,
  type Limit,
  NOT_APPLICABLE,
  OK,
  pct,
  type ResolvedText,
  type SpendAlertFacts,
  type Verdict,
} from './limit.ts';

/** Share of on-demand training spend that Managed Spot Training typically saves (AWS quotes up to 90%). */
export const MANAGED_SPOT_SAVINGS = 0.7;
/** Days before the cap is crossed within which a forecast breach is critical. */
export const CRITICAL_WITHIN_DAYS = 7;

/** A budget's spend as the spend limit judges it. */
export interface SpendFacts {
  readonly budget: string;
  /** Spend to date, exact. */
  readonly spent: Money;
  readonly forecast: { readonly expected: number; readonly low: number; readonly high: number };
  readonly period: { readonly start: string; readonly end: string };
  /** The day the forecast crosses the cap, when it does within the period. */
  readonly crossesCapOn: string | undefined;
  readonly currency: string;
}

/** What the spend actions are chosen from. */
export interface SpendRemedyInput {
  /** The scaling facts of each endpoint of the budget with cost rows. */
  readonly endpoints: Iterable<ActionContext>;
  /** The budget's spend change by driver. */
  readonly cause: Cause | undefined;
  /** On-demand training spend of the period so far, over the days elapsed; absent when there was none. */
  readonly training?: { readonly spent: number; readonly elapsedDays: number };
  readonly daysInPeriod: number;
  readonly remainingDays: number;
  readonly tier: string;
  readonly currency: string;
}

/** A spend alert of one basis: its severity, the alertAt fraction crossed and its sentence. */
export interface SpendAlert {
  /** The finding of the same basis, which the alert carries. */
  readonly finding: 'spend-breach' | 'spend-forecast';
  readonly severity: Severity;
  readonly spend: SpendAlertFacts;
  readonly message: string;
}

const money = (x: number, currency: string) => displayMoney(moneyFromNumber(x), currency);
const percent = (x: number) => `${Math.round(x * 100)}%`;
const round = (x: number) => Math.round(x * 100) / 100;

/** Actual spend against the cap: breached once past it. */
function checkActual(f: SpendFacts, cap: number | undefined): Verdict {
  if (cap === undefined) return NOT_APPLICABLE;
  return f.spent > moneyFromNumber(cap) ? { status: 'breached', observed: roundTo(f.spent), limit: cap } : OK;
}

/** The forecast's expected spend against the cap: past it, the budget is at risk. */
function checkForecast(f: SpendFacts, cap: number | undefined): Verdict {
  if (cap === undefined) return NOT_APPLICABLE;
  const expected = f.forecast.expected;
  return expected > cap ? { status: 'breached', observed: expected, limit: cap } : OK;
}

function actualMessage(f: SpendFacts, cap: number): string {
  const c = f.currency;
  return `${f.budget} has spent ${displayMoney(f.spent, c)} of its ${money(cap, c)} cap for ${f.period.start}..${addDays(f.period.end, -1)}, ${money(toNumber(f.spent) - cap, c)} over; forecast ${money(f.forecast.expected, c)}.`;
}

function forecastMessage(f: SpendFacts, cap: number): string {
  const c = f.currency;
  const { expected, low, high } = f.forecast;
  const crossing = f.crossesCapOn ? `; at this rate it crosses the cap on ${f.crossesCapOn}` : '';
  return `${f.budget} is forecast to spend ${money(expected, c)} (${money(low, c)}–${money(high, c)}) against its ${money(cap, c)} cap, ${money(expected - cap, c)} over${crossing}. Spent so far: ${displayMoney(f.spent, c)}.`;
}

/** The actions of one endpoint on its budget's spend; right-sizing back to the type it came from is the revert. */
function endpointActions(ac: ActionContext, cause: Cause | undefined, daysInPeriod: number): Action[] {
  const perEndpoint = cause?.endpoints?.find((x) => x.endpoint === ac.endpoint.name);
  const revert = perEndpoint
    ? revertInstanceType(
        ac,
        perEndpoint.typeBefore,
        perEndpoint.typeAfter,
        perEndpoint.parts['instance-change'] ?? 0,
        daysInPeriod,
      )
    : undefined;
  const resize = rightSizeInstance(ac);
  const sameAsRevert =
    revert && resize && revert.change?.instanceType && resize.change?.instanceType
      ? (revert.change.instanceType as { to: string }).to ===
        (resize.change.instanceType as { to: string }).to
      : false;
  const out: Action[] = [];
  for (const a of [
    retireIdleEndpoint(ac),
    lowerMinInstances(ac),
    scheduleScaleDown(ac),
    raiseScalingTarget(ac),
    revert,
    sameAsRevert ? undefined : resize,
  ]) {
    if (a) out.push(a);
  }
  return out;
}

function managedSpot(input: SpendRemedyInput): Action | undefined {
  const t = input.training;
  if (!t) return undefined;
  return {
    type: 'enable-managed-spot',
    estimatedSavings: round((t.spent / t.elapsedDays) * input.remainingDays * MANAGED_SPOT_SAVINGS),
    risk: 'low',
    description: `Turn on Managed Spot Training for ${input.tier} training jobs: ${money(t.spent, input.currency)} of on-demand training this period; spot typically saves ${Math.round(MANAGED_SPOT_SAVINGS * 100)}% (jobs need checkpointing).`,
    change: { managedSpotTraining: true, tier: input.tier },
  };
}

/** The viable actions on a budget's spend, largest saving first. */
function remedies(input: SpendRemedyInput): Action[] {
  const out: Action[] = [];
  for (const ac of input.endpoints) out.push(...endpointActions(ac, input.cause, input.daysInPeriod));
  const spot = managedSpot(input);
  if (spot) out.push(spot);
  return out.sort((a, b) => b.estimatedSavings - a.estimatedSavings);
}

function actualAlert(b: BudgetResult, cap: number, spent: number, currency: string): SpendAlert | undefined {
  const fraction = b.thresholds.actual.at(-1);
  if (fraction === undefined) return undefined;
  return {
    finding: 'spend-breach',
    severity: fraction >= 1 ? 'critical' : fraction >= 0.8 ? 'warning' : 'info',
    spend: { basis: 'actual', fraction, amount: spent, cap, spendToDate: spent },
    message: `${b.name} has spent ${money(spent, currency)}, ${percent(spent / cap)} of its ${money(cap, currency)} cap for the period (alert at ${percent(fraction)}).`,
  };
}

function forecastAlert(
  b: BudgetResult,
  cap: number,
  spent: number,
  asOf: string,
  currency: string,
): SpendAlert | undefined {
  const expected = b.forecast.expected;
  // a forecast is news when it crosses the cap (or a fraction above it) before actual spend does: a forecast at
  // half the cap is the plan, not an alert
  const actual = b.thresholds.actual.at(-1);
  const fraction = b.thresholds.forecast.filter((f) => f >= 1 && f > (actual ?? 0)).at(-1);
  if (fraction === undefined || expected === null) return undefined;
  const low = b.forecast.low ?? expected;
  const crossesOn = b.crossesCapOn ?? undefined;
  const soon = crossesOn !== undefined && daysBetween(asOf, crossesOn) <= CRITICAL_WITHIN_DAYS;
  return {
    finding: 'spend-forecast',
    severity: low >= fraction * cap || soon ? 'critical' : 'warning',
    spend: {
      basis: 'forecast',
      fraction,
      amount: expected,
      low,
      high: b.forecast.high ?? expected,
      cap,
      spendToDate: spent,
      ...(crossesOn ? { crossesOn } : {}),
    },
    message: `${b.name} is forecast to spend ${money(expected, currency)}, ${percent(expected / cap)} of its ${money(cap, currency)} cap${crossesOn ? `, crossing it on ${crossesOn}` : ''}.`,
  };
}

/** The spend alerts of a budget this cycle: the highest alertAt fraction reached, on actual and on forecast spend. */
function alerts(b: BudgetResult, asOf: string, currency: string): SpendAlert[] {
  const cap = b.cap;
  const spent = b.spendToDate;
  if (cap === null || spent === null) return [];
  return [actualAlert(b, cap, spent, currency), forecastAlert(b, cap, spent, asOf, currency)].filter(
    (a): a is SpendAlert => a !== undefined,
  );
}

function headline(a: HeadlineInput): string {
  const s = a.spend;
  if (!s) return fallbackHeadline(a);
  const c = a.currency;
  const share = pct(s.amount / s.cap);
  return s.basis === 'actual'
    ? `spent ${money(s.amount, c)} of ${money(s.cap, c)} cap (${share}) by ${a.asOf}`
    : `forecast ${money(s.amount, c)} vs ${money(s.cap, c)} cap (${share})${s.crossesOn ? `, crosses ${s.crossesOn}` : ''}`;
}

function resolved(b: BudgetResult, basis: string | undefined, currency: string): ResolvedText {
  const forecast = basis === 'forecast';
  if (b.cap === null) {
    return {
      message: `${b.name} no longer has a spend cap; its ${forecast ? 'forecast' : 'spend'} alert is closed.`,
    };
  }
  const show = (x: number | null) => (x === null ? 'unknown' : money(x, currency));
  return {
    message: forecast
      ? `${b.name}'s forecast is back under its alert threshold: ${show(b.forecast.expected)} against its ${show(b.cap)} cap.`
      : `${b.name}'s spend to date is back under its alert threshold: ${show(b.spendToDate)} of its ${show(b.cap)} cap.`,
    observed: (forecast ? b.forecast.expected : b.spendToDate) ?? undefined,
    limit: b.cap,
  };
}

/** The spend limit: two checks (actual and forecast) on the budget, and alerts driven by the alertAt fractions. */
export interface SpendLimit extends Limit {
  checkActual(f: SpendFacts, cap: number | undefined): Verdict;
  checkForecast(f: SpendFacts, cap: number | undefined): Verdict;
  readonly severity: {
    actual(f: SpendFacts, cap: number): Severity;
    forecast(f: SpendFacts, cap: number): Severity;
  };
  readonly message: {
    actual(f: SpendFacts, cap: number): string;
    forecast(f: SpendFacts, cap: number): string;
  };
  remedies(input: SpendRemedyInput): Action[];
  alerts(b: BudgetResult, asOf: string, currency: string): SpendAlert[];
}

export const spend: SpendLimit = {
  alert: 'spend',
  findings: ['spend-breach', 'spend-forecast'],
  alertPerFinding: false,
  subject: 'basis',
  label: 'spend',
  runbook: 'runbook-spend',
  checkActual,
  checkForecast,
  severity: {
    actual: () => 'critical',
    forecast: (f, cap) => (f.forecast.low > cap ? 'critical' : 'warning'),
  },
  message: { actual: actualMessage, forecast: forecastMessage },
  remedies,
  alerts,
  headline,
  // unknown spend is no recovery
  recoveryKnown: (b) => b.spendToDate !== null,
  resolved,
  // actual spend overtaking a forecast alert is no recovery: that crossing closes without a notice
  closesQuietly: (b, basis, level) =>
    basis === 'forecast' && (b.thresholds.actual.at(-1) ?? 0) >= level
      ? `${b.name}'s actual spend reached the level its forecast had alerted on.`
      : undefined,
  what: (basis) => (basis === 'forecast' ? 'spend (forecast)' : 'spend (actual)'),
  describe: (l, currency) =>
    l.spendPerPeriod === undefined ? undefined : `spend per period ${money(l.spendPerPeriod, currency)}`,
};
