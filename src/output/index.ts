/** Public surface of output/: what the CLI imports. */
export { chooseOutputMode } from './choose-output-mode.js';
export { createReporter } from './create-reporter.js';
export type { OutputMode, Reporter, ReporterOptions } from './reporter.js';
export { summaryFromEvents } from './summary-from-events.js';
export type { RunSummary, RunSummaryTask, SummaryCollector } from './summary-from-events.js';
export { renderStepSummary, writeStepSummary } from './write-step-summary.js';
export { formatDuration, formatTokens, sanitizeText } from './format.js';
