import cliProgress from 'cli-progress';
import pc from 'picocolors';
import type { FlavorState } from './pool-state';

export interface ProgressSnapshot {
  /** Trace seconds. */
  tS: number;
  realS: number;
  /** Ended: completed, or failed because a node under the job was removed (preempted, not run again). */
  jobs: { total: number; submitted: number; ended: number; preempted: number };
  patches: number;
  flavors: ReadonlyArray<FlavorState & { demandUnits: number }>;
  messages: { received: number; failed: number };
}

export interface ProgressView {
  update(snapshot: ProgressSnapshot): void;
  /** A line printed above the live view (or as is in plain mode). */
  note(line: string): void;
  stop(): void;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function shortFlavor(flavor: string): string {
  return flavor.replace(/^modelarts\.vm\./, '');
}

/** Jobs killed by a node removal, shown once there is one. */
function preemptedNote(snapshot: ProgressSnapshot, color: boolean): string {
  const count = snapshot.jobs.preempted;
  if (count === 0) return '';
  const text = `${count} preempted`;
  return color ? `, ${pc.red(text)}` : `, ${text}`;
}

/** One line per flavor (totals) and per AZ: demand, target, creating, available. */
export function flavorLines(flavors: ProgressSnapshot['flavors'], color: boolean): string[] {
  const paint = (text: string, fn: (s: string) => string): string => (color ? fn(text) : text);
  const lines: string[] = [];
  for (const flavor of flavors) {
    const head = `${shortFlavor(flavor.flavor).padEnd(14)} ${'all'.padEnd(12)}`;
    lines.push(
      `${paint(head, pc.bold)} demand ${String(flavor.demandUnits).padStart(4)} units  target ${String(flavor.target).padStart(3)}  creating ${paint(String(flavor.creating).padStart(3), pc.yellow)}  available ${paint(String(flavor.available).padStart(3), pc.green)}${flavor.deleting > 0 ? `  deleting ${flavor.deleting}` : ''}`,
    );
    for (const az of flavor.azs) {
      lines.push(
        `${''.padEnd(14)} ${az.az.padEnd(12)} ${''.padEnd(18)} target ${String(az.target).padStart(3)}  creating ${paint(String(az.creating).padStart(3), pc.yellow)}  available ${paint(String(az.available).padStart(3), pc.green)}${az.deleting > 0 ? `  deleting ${az.deleting}` : ''}`,
      );
    }
  }
  return lines;
}

/** Live bars and per-flavor lines on a terminal (cli-progress), redrawn in place. */
class TerminalProgressView implements ProgressView {
  private readonly multibar: cliProgress.MultiBar;
  private readonly traceBar: cliProgress.SingleBar;
  private readonly lineBars: cliProgress.SingleBar[] = [];

  constructor(totalJobs: number, lineCount: number) {
    this.multibar = new cliProgress.MultiBar(
      { hideCursor: true, clearOnComplete: false, autopadding: true, fps: 5, stopOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    this.traceBar = this.multibar.create(
      Math.max(1, totalJobs),
      0,
      { info: '' },
      {
        format: `${pc.cyan('trace')} {bar} {value}/{total} jobs done | {info}`,
      },
    );
    for (let i = 0; i < lineCount; i++) {
      this.lineBars.push(this.multibar.create(1, 0, { line: '' }, { format: '{line}' }));
    }
  }

  update(snapshot: ProgressSnapshot): void {
    const info = `t=${clock(snapshot.tS)} (${Math.round(snapshot.realS)} s) | submitted ${snapshot.jobs.submitted}${preemptedNote(snapshot, true)} | PATCHes ${pc.magenta(String(snapshot.patches))} | messages ${snapshot.messages.received}${snapshot.messages.failed > 0 ? ` (${snapshot.messages.failed} failed)` : ''}`;
    this.traceBar.update(snapshot.jobs.ended, { info });
    flavorLines(snapshot.flavors, true).forEach((line, index) => this.lineBars[index]?.update(0, { line }));
  }

  note(line: string): void {
    this.multibar.log(`${line}\n`);
  }

  stop(): void {
    this.multibar.stop();
  }
}

/** Plain lines for logs and CI: a status block every `intervalMs` and whenever a PATCH was sent. */
class PlainProgressView implements ProgressView {
  private lastPrint = -Infinity;
  private lastPatches = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly intervalMs: number,
  ) {}

  update(snapshot: ProgressSnapshot): void {
    const now = performance.now();
    if (now - this.lastPrint < this.intervalMs && snapshot.patches === this.lastPatches) return;
    this.lastPrint = now;
    this.lastPatches = snapshot.patches;
    const head = `[${clock(snapshot.tS)}] jobs ${snapshot.jobs.ended}/${snapshot.jobs.total} done (${snapshot.jobs.submitted} submitted${preemptedNote(snapshot, false)}), PATCHes ${snapshot.patches}, messages ${snapshot.messages.received}${snapshot.messages.failed > 0 ? ` (${snapshot.messages.failed} failed)` : ''}`;
    this.write(`${[head, ...flavorLines(snapshot.flavors, false).map((line) => `  ${line}`)].join('\n')}\n`);
  }

  note(line: string): void {
    this.write(`${line}\n`);
  }

  stop(): void {}
}

export function createProgressView(options: {
  tty: boolean;
  totalJobs: number;
  lineCount: number;
  write: (text: string) => void;
  plainIntervalMs?: number;
}): ProgressView {
  return options.tty
    ? new TerminalProgressView(options.totalJobs, options.lineCount)
    : new PlainProgressView(options.write, options.plainIntervalMs ?? 5000);
}
