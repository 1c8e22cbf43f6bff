/**
 * The metric names and dimensions the dashboard and alarms read: defined once, beside the telemetry that
 * emits them (functions/shared/pipeline/metric-names.ts).
 */
export { PIPELINE_METRICS } from '../functions/shared/pipeline/metric-names';
