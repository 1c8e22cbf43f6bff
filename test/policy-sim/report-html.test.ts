import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/shared/engine';
import type { Activity } from '../../functions/shared/store/activity-repository';
import { RunRecorder } from '../../local/run-recorder';
import type { FlavorState } from '../../local/pool-state';
import { flavorSetupsFromPolicy } from '../../policy-sim/flavor-setup';
import { reportHtml } from '../../policy-sim/outputs/report-html';
import { timeAxis } from '../../policy-sim/outputs/svg-charts';
import { simulate } from '../../policy-sim/simulate';
import { parseTrace } from '../../policy-sim/trace';
import type { DecisionMark } from '../../policy-sim/types';
import { byClass, byName, chart, elements, parseHtml, text, type HtmlElement } from './html-tree';

const GPU = 'modelarts.vm.gpu.8v100';
const NPU = 'modelarts.vm.npu.8snt9b';

/** Ten one-node GPU jobs that end together, so demand falls from 10 nodes to 0 at once; a few NPU jobs. */
const TRACE = [
  'job_id,submit_s,flavor,units,duration_s',
  ...Array.from({ length: 10 }, (_, index) => `g${index},${index * 5},${GPU},8,1800`),
  `n0,60,${NPU},8,900`,
  `n1,70,${NPU},8,900`,
  `n2,2400,${NPU},8,600`,
].join('\n');

const POLICY = parsePolicy({
  pool: 'pool-report',
  cooldownSeconds: 0,
  scaleIn: 'nodes',
  flavors: {
    [GPU]: {
      minCount: 1,
      maxCount: 16,
      unitsPerNode: 8,
      azs: { 'cn-north-4a': 1, 'cn-north-4b': 1 },
      scaleDown: { stabilizationSeconds: 300, policies: [{ type: 'Nodes', value: 1, periodSeconds: 60 }] },
    },
    [NPU]: { minCount: 1, maxCount: 4, unitsPerNode: 8, azs: { 'cn-north-4a': 1 } },
  },
});

const result = simulate(parseTrace(TRACE), POLICY, { baselines: ['static', 'keda', 'hpa'] });
const html = reportHtml(result, { traceName: 'report.csv', policyName: 'report.policy.json' });
const page = parseHtml(html);

const marksOf = (svg: HtmlElement, kind: string) =>
  elements(svg, (element) => byClass('mark')(element) && element.attributes['data-kind'] === kind);
const count = (marks: readonly HtmlElement[]) =>
  marks.reduce((sum, mark) => sum + Number(mark.attributes['data-count']), 0);
const titleOf = (element: HtmlElement) => text(elements(element, byName('title'))[0]!);
const flavorSection = (flavor: string): HtmlElement[] => {
  // The nodes from the flavor's heading to the next one.
  const body = elements(page, byName('body'))[0]!;
  const nodes = body.children.filter((child): child is HtmlElement => typeof child !== 'string');
  const start = nodes.findIndex((node) => node.name === 'h2' && text(node) === flavor);
  const end = nodes.findIndex((node, index) => index > start && node.name === 'h2');
  return nodes.slice(start, end === -1 ? undefined : end);
};
const sectionCharts = (flavor: string) => flavorSection(flavor).filter((node) => node.name === 'svg');
const sectionChart = (flavor: string, title: string) =>
  sectionCharts(flavor).find((svg) => svg.attributes['aria-label'] === title)!;
const tableRows = (tableElement: HtmlElement) =>
  elements(tableElement, byName('tr')).map((row) =>
    elements(row, (cell) => cell.name === 'td' || cell.name === 'th').map(text),
  );

describe('report.html of a simulate run', () => {
  it('is titled a policy simulation and lists the simulator settings', () => {
    expect(text(elements(page, byName('title'))[0]!)).toBe('Policy simulation: pool-report');
    expect(text(elements(page, byName('h1'))[0]!)).toBe('Policy simulation: pool-report');
    const meta = text(elements(page, byClass('meta'))[0]!);
    expect(meta).toContain('provisioning delay 5 min');
    expect(meta).toContain('sweep every 1 min');
    expect(meta).toContain('seed 1');
  });

  it('marks every PATCH and batch-delete of each strategy, and the holds, each with its reason as the hover title', () => {
    for (const entry of result.results.filter((item) => item.strategy !== 'oracle')) {
      for (const flavor of [GPU, NPU]) {
        const own = result.decisions.filter(
          (mark) => mark.strategy === entry.strategy && mark.flavor === flavor,
        );
        const svg = sectionChart(flavor, `${entry.strategy}: demand vs nodes`);
        for (const [kind, request] of [
          ['patch', 'patch'],
          ['batch-delete', 'batch-delete'],
          ['decision', 'none'],
        ] as const) {
          expect(count(marksOf(svg, kind)), `${entry.strategy} ${flavor} ${kind}`).toBe(
            own.filter((mark) => mark.request === request).length,
          );
        }
      }
      // Every request of the pool is on some flavor's chart.
      const requests = (request: DecisionMark['request']) =>
        result.decisions
          .filter((mark) => mark.strategy === entry.strategy && mark.request === request)
          .reduce((sum, mark) => sum + mark.requests, 0);
      expect(requests('patch'), entry.strategy).toBeGreaterThanOrEqual(entry.patches);
      expect(requests('patch') + requests('batch-delete')).toBeGreaterThanOrEqual(entry.scale_operations);
    }
    const policy = sectionChart(GPU, 'policy: demand vs nodes');
    const patches = marksOf(policy, 'patch');
    const deletes = marksOf(policy, 'batch-delete');
    expect(count(patches)).toBeGreaterThan(0);
    expect(count(deletes)).toBeGreaterThan(0);
    expect(count(marksOf(policy, 'decision'))).toBeGreaterThan(0);
    // The hover title says when, what was sent, and the deciding reason in the engine's words.
    expect(titleOf(patches[0]!)).toMatch(/^\d+ s: PATCH 1 → \d+ nodes: .+/);
    expect(deletes.map(titleOf).join('\n')).toMatch(
      /batch-delete \d+ → \d+ nodes: scale-down limited by policy Nodes 1\/60s/,
    );
    // The legend that explains the glyphs.
    expect(text(elements(page, byClass('legend-marks'))[0]!)).toMatch(
      /PATCH up or down.*batch-delete.*sent nothing/s,
    );
  });

  it('explains the long staircase down where it happens: stabilization window plus rate policy', () => {
    const policy = sectionChart(GPU, 'policy: demand vs nodes');
    const bands = elements(policy, byClass('band'));
    expect(bands.length).toBeGreaterThanOrEqual(1);
    const list = flavorSection(GPU).find(
      (node) => node.name === 'ul' && node.attributes['data-strategy'] === 'policy',
    )!;
    const explanation = text(list);
    expect(explanation, explanation).toMatch(
      /staircase 1: 10 → 1 nodes in 9 steps from 3\d min( \d+ s)? to \d+ min/,
    );
    expect(explanation).toContain('the scale-down stabilization window (300 s)');
    expect(explanation).toContain('the rate policy Nodes 1/60s removed at most that much per period');
    // The band spans the staircase on the time axis: it starts where demand fell (the jobs end after 30 min).
    const x = Number(elements(bands[0]!, byName('rect'))[0]!.attributes.x);
    const axisX = (seconds: number) => 56 + (seconds / result.settings.horizon_s) * (900 - 56 - 12);
    expect(x).toBeGreaterThanOrEqual(axisX(1800) - 1);
    expect(titleOf(bands[0]!)).toContain('stabilization window');
  });

  it('has a readable time axis: enough ticks at round values, in a unit that fits the span', () => {
    const policy = sectionChart(GPU, 'policy: demand vs nodes');
    const ticks = elements(policy, byClass('xtick')).map(text);
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(ticks.every((tick) => /^\d+$/.test(tick))).toBe(true);
    expect(text(elements(policy, byClass('axis'))[0]!)).toBe('time since trace start (min)');
    expect(html).not.toMatch(/>[^<]*\d\.\d{3}[^<]*</);
  });

  it.each([
    ['45 s', 's', 45],
    ['one hour', 'min', 3600],
    ['five hours', 'h', 5 * 3600],
    ['a day', 'h', 86_400],
    ['two weeks', 'days', 14 * 86_400],
  ])('puts a time axis over %s in %s, 6 to 13 ticks at whole units', (_name, unit, span) => {
    const axis = timeAxis(span);
    expect(axis.unit).toBe(unit);
    expect(axis.ticks.length).toBeGreaterThanOrEqual(6);
    expect(axis.ticks.length).toBeLessThanOrEqual(13);
    expect(axis.ticks.every((tick) => Number.isInteger(tick / axis.unitSeconds))).toBe(true);
  });

  it("splits the policy's nodes of each flavor by AZ, with each AZ's share of the node-time", () => {
    const split = sectionChart(GPU, 'policy: nodes per AZ');
    const areas = elements(
      split,
      (element) => element.name === 'path' && element.attributes['data-series'] !== undefined,
    );
    const labels = areas.map((area) => area.attributes['data-series']!);
    expect(labels).toHaveLength(2);
    const shares = labels.map((label) => /^(cn-north-4[ab]) \((\d+) % of node-time\)$/.exec(label));
    expect(shares.map((share) => share?.[1]).sort()).toEqual(['cn-north-4a', 'cn-north-4b']);
    const total = shares.reduce((sum, share) => sum + Number(share![2]), 0);
    expect(total).toBeGreaterThanOrEqual(99);
    expect(total).toBeLessThanOrEqual(101);
    expect(sectionChart(NPU, 'policy: nodes per AZ')).toBeDefined();
  });

  it('draws nodes and available so that they stay apart where they coincide: thick solid and thin dashed', () => {
    const policy = sectionChart(GPU, 'policy: demand vs nodes');
    const line = (label: string) =>
      elements(
        policy,
        (element) => element.name === 'path' && element.attributes['data-series'] === label,
      )[0]!;
    const nodes = line('nodes');
    const available = line('available');
    expect(Number(nodes.attributes['stroke-width'])).toBeGreaterThanOrEqual(
      2 * Number(available.attributes['stroke-width']),
    );
    expect(nodes.attributes['stroke-dasharray']).toBeUndefined();
    expect(available.attributes['stroke-dasharray']).toBeDefined();
  });

  it("counts in each flavor's table the PATCHes and batch-deletes that changed that flavor, not the pool's total", () => {
    const [overall] = elements(page, byName('table'));
    const poolRows = tableRows(overall!);
    const header = poolRows[0]!;
    const patchColumn = header.indexOf('PATCHes');
    const policyPatches = Number(poolRows.find((row) => row[0]!.endsWith('policy'))![patchColumn]);
    const perFlavor = [GPU, NPU].map((flavor) => {
      const flavorTable = flavorSection(flavor).find((node) => node.name === 'div')!;
      const rows = tableRows(flavorTable);
      expect(rows[0]).toContain('batch-deletes');
      const policyRow = rows.find((row) => row[0]!.endsWith('policy'))!;
      const own = result.decisions.filter((mark) => mark.strategy === 'policy' && mark.flavor === flavor);
      const patches = own.filter((mark) => mark.request === 'patch').length;
      const deletes = own.filter((mark) => mark.request === 'batch-delete').length;
      expect(Number(policyRow[patchColumn])).toBe(patches);
      expect(Number(policyRow[rows[0]!.indexOf('batch-deletes')])).toBe(deletes);
      return patches;
    });
    expect(perFlavor).not.toEqual([policyPatches, policyPatches]);
  });

  it('shows strategies with identical waits as one line named for both, so neither hides the other', () => {
    const same = {
      ...result,
      flavors: result.flavors.filter((setup) => setup.flavor === GPU),
      waits: { ...result.waits, hpa: result.waits.keda },
    };
    const svg = chart(parseHtml(reportHtml(same)), 'wait-time distribution (share of jobs started within x)');
    const labels = elements(svg, byClass('legend')).map(text);
    expect(labels).toContain('keda = hpa');
    expect(labels).not.toContain('hpa');
  });

  it('keeps its tables within a 900 px window: wrapped to scroll on their own, and narrow enough not to need it', () => {
    expect(html).toMatch(/\.table-wrap \{[^}]*overflow-x: auto/);
    expect(html).toMatch(/svg \{[^}]*max-width: 100%/);
    for (const wrap of elements(page, byClass('table-wrap'))) {
      const rows = tableRows(wrap);
      // Widest unbreakable text per column at 13 px (7 px a character, generously) plus 12 px of padding.
      const widths = rows[0]!.map(
        (_, column) =>
          Math.max(
            ...rows.map((row) => Math.max(...(row[column] ?? '').split(/\s+/).map((word) => word.length))),
          ) *
            7 +
          12,
      );
      const first = Math.max(...rows.map((row) => row[0]!.length)) * 7 + 12;
      expect(first + widths.slice(1).reduce((sum, width) => sum + width, 0)).toBeLessThanOrEqual(900 - 32);
    }
  });
});

describe('report.html of a local run', () => {
  const policy = parsePolicy({
    pool: 'pool-local',
    scaleIn: 'nodes',
    flavors: {
      [GPU]: { minCount: 1, maxCount: 8, unitsPerNode: 8, azs: { 'cn-north-4a': 1, 'cn-north-4b': 1 } },
    },
  });
  const setups = flavorSetupsFromPolicy(policy);
  const startEpochMs = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const at = (tS: number) => new Date(startEpochMs + tS * 1000).toISOString();
  const state = (tS: number, a: number, b: number, creating = 0): FlavorState => ({
    flavor: GPU,
    az: '*',
    target: a + b,
    creating,
    available: a + b - creating,
    deleting: 0,
    abnormal: 0,
    azs: [
      { az: 'cn-north-4a', target: a, creating, available: a - creating, deleting: 0, abnormal: 0 },
      { az: 'cn-north-4b', target: b, creating: 0, available: b, deleting: 0, abnormal: 0 },
    ],
  });
  const activity = (tS: number, fields: Partial<Activity>): Activity => ({
    pool: 'pool-local',
    id: `a${tS}`,
    at: at(tS),
    flavor: GPU,
    status: 'NoChange',
    action: 'none',
    reasons: [],
    latencyMs: 5,
    correlationId: `c${tS}`,
    ...fields,
  });
  const recorder = new RunRecorder(setups);
  recorder.observe(0, [state(0, 1, 0)], { [GPU]: 0 });
  recorder.observe(60, [state(60, 2, 2, 1)], { [GPU]: 32 });
  recorder.observe(400, [state(400, 2, 2)], { [GPU]: 32 });
  recorder.observe(2000, [state(2000, 1, 1)], { [GPU]: 8 });
  recorder.observe(3600, [state(3600, 1, 0)], { [GPU]: 0 });
  recorder.patches = 1;
  recorder.scaleOperations = 2;
  // Newest first, as the activities are listed.
  recorder.recordActivities(
    [
      activity(2000, {
        status: 'Successful',
        action: 'scale',
        before: { count: 4 },
        after: { count: 2 },
        nodes: ['n-3', 'n-4'],
        reasons: ['demand 8 units → 1 node', 'removing n-3, n-4 by name'],
      }),
      activity(1500, {
        status: 'Failed',
        action: 'scale',
        before: { count: 4 },
        after: { count: 4 },
        errorMessage: 'HTTP 500 ModelArts.0001',
        reasons: ['demand 8 units → 1 node'],
      }),
      activity(600, {
        before: { count: 4 },
        after: { count: 4 },
        reasons: ['stabilized: highest recommendation in last 300 s is 4 → 4', 'unchanged at 4'],
      }),
      activity(60, {
        status: 'Successful',
        action: 'scale',
        before: { count: 1 },
        after: { count: 4 },
        reasons: ['demand 32 units → 4 nodes', 'scale 1 → 4'],
      }),
    ],
    startEpochMs,
  );
  const jobs = parseTrace(`job_id,submit_s,flavor,units,duration_s\nj1,30,${GPU},32,1800`);
  const result = recorder.result({
    pool: 'pool-local',
    jobs,
    outcomes: [{ job: jobs[0]!, startS: 400, finishS: 2200, preemptions: 0 }],
    preempted: { [GPU]: 0 },
    settings: {
      provision_delay_s: 300,
      provision_jitter_s: 0,
      sweep_seconds: 60,
      event_latency_s: 0,
      seed: 0,
      start: new Date(startEpochMs).toISOString(),
      policy_scale_in: 'nodes',
    },
  });
  const local = parseHtml(
    reportHtml(result, {
      traceName: 'tiny.csv',
      policyName: 'demo-policy.json',
      localRun: {
        pool: 'the ModelArts simulator',
        dryRun: false,
        speed: 60,
        sweepSeconds: 60,
        provisionDelaySeconds: 300,
        demand: 'events',
        dropEvents: 0.1,
        durationLimitSeconds: 120,
        stopReason: 'finished',
        realSeconds: 60.5,
      },
    }),
  );

  it('is titled a local run and lists its own settings, none of the simulator-only ones', () => {
    expect(text(elements(local, byName('title'))[0]!)).toBe('Local run: pool-local');
    expect(text(elements(local, byName('h1'))[0]!)).toBe('Local run: pool-local');
    const meta = text(elements(local, byClass('meta'))[0]!);
    expect(meta).toContain('pool on the ModelArts simulator');
    expect(meta).toContain('at 60x (1 s = 60 s of trace), evaluator every 1 min');
    expect(meta).toContain('demand: events, 10 % of job events dropped');
    expect(meta).toContain('ran 1 min 1 s of real time (limit 2 min), 1 h of trace');
    expect(meta).toContain('the trace was done and the pool at rest');
    expect(meta).not.toMatch(/seed|events evaluated after|tail/);
  });

  it("marks the run's PATCH, batch-delete, hold and failed PATCH from its activities, with their reasons", () => {
    const svg = chart(local, 'policy: demand vs nodes');
    expect(count(marksOf(svg, 'patch'))).toBe(1);
    expect(count(marksOf(svg, 'batch-delete'))).toBe(1);
    expect(titleOf(marksOf(svg, 'patch')[0]!)).toBe('1 min: PATCH 1 → 4 nodes: demand 32 units → 4 nodes');
    expect(titleOf(marksOf(svg, 'batch-delete')[0]!)).toBe(
      '33 min 20 s: batch-delete 4 → 2 nodes: demand 8 units → 1 node',
    );
    const held = marksOf(svg, 'decision').map(titleOf);
    expect(held).toContain(
      '10 min: nothing sent at 4 nodes: stabilized: highest recommendation in last 300 s is 4 → 4',
    );
    expect(held).toContain('25 min: nothing sent at 4 nodes: PATCH failed: HTTP 500 ModelArts.0001');
  });

  it('splits the nodes by AZ from the per-AZ rows the run recorded', () => {
    const split = chart(local, 'policy: nodes per AZ');
    const labels = elements(split, byClass('legend')).map(text);
    expect(labels.map((label) => label.split(' ')[0]).sort()).toEqual(['cn-north-4a', 'cn-north-4b']);
  });
});
