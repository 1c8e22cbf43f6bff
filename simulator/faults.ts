import type { RandomSource } from './random';

/** What an injected fault does to a matching request. */
export type FaultAction =
  /** 429 `APIGW.0308`, with `Retry-After` when `retryAfterSeconds` is set. */
  | { type: 'throttle'; retryAfterSeconds?: number }
  /** A server or gateway error with the documented body for that status. */
  | { type: 'error'; status: 500 | 502 | 503 | 504 }
  /** Responds normally, `ms` later; later rules still apply. */
  | { type: 'latency'; ms: number }
  /** Destroys the socket before any response. */
  | { type: 'drop' }
  /** Handles the request (a PATCH or a batch-delete takes effect), then destroys the socket: the answer is lost. */
  | { type: 'lose-response' };

export interface FaultRule {
  /** HTTP method to match; any when absent. */
  method?: string;
  /** Path to match, without query: a RegExp, or a pattern in which `*` stands for one path segment. Any when absent. */
  path?: string | RegExp;
  /** Chance in [0, 1] that a matching request is hit, drawn from the simulator's seeded random source. @default 1 */
  probability?: number;
  /** Only the n-th matching requests (1-based) are hit. */
  nth?: number[];
  /** The rule retires after hitting this many requests. */
  times?: number;
  action: FaultAction;
}

/** The faults chosen for one request: an added delay and at most one terminal action. */
export interface FaultDecision {
  delayMs: number;
  terminal?: Exclude<FaultAction, { type: 'latency' }>;
  descriptions: string[];
}

interface RuleState {
  rule: FaultRule;
  matched: number;
  fired: number;
}

export class FaultInjector {
  private rules: RuleState[] = [];

  constructor(private readonly random: RandomSource) {}

  setRules(rules: FaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, matched: 0, fired: 0 }));
  }

  decide(method: string, path: string): FaultDecision {
    const decision: FaultDecision = { delayMs: 0, descriptions: [] };
    for (const state of this.rules) {
      if (decision.terminal) break;
      const { rule } = state;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path !== undefined && !pathMatches(rule.path, path)) continue;
      state.matched += 1;
      if (rule.times !== undefined && state.fired >= rule.times) continue;
      if (rule.nth && !rule.nth.includes(state.matched)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      state.fired += 1;
      decision.descriptions.push(describe(rule.action));
      if (rule.action.type === 'latency') decision.delayMs += rule.action.ms;
      else decision.terminal = rule.action;
    }
    return decision;
  }
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path);
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${source}/?$`).test(path);
}

function describe(action: FaultAction): string {
  switch (action.type) {
    case 'throttle':
      return 'throttle';
    case 'error':
      return `error ${action.status}`;
    case 'latency':
      return `latency ${action.ms}ms`;
    case 'drop':
      return 'drop';
    case 'lose-response':
      return 'lose-response';
  }
}
