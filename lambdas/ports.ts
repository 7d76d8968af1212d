/**
 * The interfaces the core needs from the outside world. Local adapters (files, SQLite, console) and AWS adapters
 * (Cost Explorer, CloudWatch, SageMaker, DynamoDB, SNS, S3) implement the same ports.
 */
import type { CostRecord, DataGap, EndpointInfo, Finding, MetricSeries } from './core/types.ts';

export interface TimeRange {
  /** First day, inclusive (YYYY-MM-DD, billing time zone). */
  readonly start: string;
  /** Last day, exclusive. */
  readonly end: string;
}

export interface CostLoad {
  readonly records: readonly CostRecord[];
  readonly gaps: readonly DataGap[];
  /** Last day fully covered by the source, if it can tell. */
  readonly completeThrough?: string;
}

export interface CostSource {
  load(range: TimeRange): Promise<CostLoad>;
}

export interface MetricLoad {
  readonly series: readonly MetricSeries[];
  readonly gaps: readonly DataGap[];
}

export interface MetricSource {
  load(range: TimeRange, endpoints: readonly string[]): Promise<MetricLoad>;
}

export interface InventorySource {
  endpoints(): Promise<readonly EndpointInfo[]>;
}

export interface AlertRecord {
  readonly key: string;
  readonly period: string;
  readonly state: string;
  readonly sentAt: string;
}

/** Durable memory between cycles: closed days, alerts sent, exceptions seen. */
export interface Ledger {
  /** Records that an alert for `key` in `period` reached `state`; false when it was already recorded (send nothing). */
  recordAlert(alert: AlertRecord): Promise<boolean>;
  alerts(period: string): Promise<readonly AlertRecord[]>;
  recordExceptionSeen(budget: string, exceptionId: string, asOf: string): Promise<void>;
  close(): Promise<void>;
}

export interface Notifier {
  notify(findings: readonly Finding[]): Promise<void>;
}

export interface ReportSink {
  write(name: string, content: string | Uint8Array, contentType: string): Promise<string>;
}
