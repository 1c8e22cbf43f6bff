import { z } from 'zod';
import { ipAddressKind, isLoopbackHost } from './endpoint-url';

/**
 * Where signed ModelArts requests may go (ARCHITECTURE.md invariant 9): https to a host matching the
 * deployment's patterns; never an IP literal; plain http, or anything else to a loopback host, only where a
 * local run or a test enables loopback. The policy schema, the Lambdas' configuration, the ModelArts client
 * and the CLI all judge endpoints with `checkEndpoint`.
 *
 * A DNS name that matches a pattern is trusted as it is: nothing is resolved here, so the patterns must name
 * only domains whose DNS the operator trusts (Huawei Cloud's, by default).
 */

/**
 * Huawei Cloud's public ModelArts endpoints, `https://modelarts.{region}.myhuaweicloud.com`, and
 * `myhuaweicloud.cn` for `ap-southeast-1` (Huawei's SDK region tables).
 */
export const HUAWEI_CLOUD_MODELARTS_HOSTS: readonly string[] = [
  'modelarts.*.myhuaweicloud.com',
  'modelarts.*.myhuaweicloud.cn',
];

export interface EndpointAllowlist {
  /** Host patterns, lowercase; `*` stands for exactly one DNS label, such as a region id. */
  readonly hosts: readonly string[];
  /** Loopback hosts (`127.0.0.0/8`, `localhost`, `[::1]`) over http or https: local runs and tests only. */
  readonly loopback: boolean;
}

export const DEFAULT_ENDPOINT_ALLOWLIST: EndpointAllowlist = {
  hosts: HUAWEI_CLOUD_MODELARTS_HOSTS,
  loopback: false,
};

export type EndpointVerdict = { allowed: true; url: URL } | { allowed: false; reason: string };

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a host pattern is unusable, or undefined when it is a valid one. */
export function hostPatternProblem(pattern: string): string | undefined {
  const labels = pattern.split('.');
  if (labels.length < 2) return 'needs at least two labels, e.g. modelarts.*.example.com';
  for (const label of labels) {
    if (label === '*') continue;
    if (label.includes('*')) return '`*` must stand alone as one whole label';
    if (!DNS_LABEL.test(label)) return `label "${label}" is not a lowercase DNS label`;
  }
  if (labels.slice(-2).includes('*')) return 'the last two labels must be fixed, not `*`';
  // No top-level domain is numeric: such a pattern could only ever match an IP address.
  if (/^\d+$/.test(labels.at(-1) ?? '')) return 'must be a DNS name, not an IP address';
  return undefined;
}

/** A comma-separated list of host patterns (an environment variable, a flag), validated and lowercased. */
export const EndpointHostsSchema = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((pattern) => pattern.trim().toLowerCase())
      .filter((pattern) => pattern !== ''),
  )
  .pipe(
    z
      .array(
        z.string().superRefine((pattern, ctx) => {
          const problem = hostPatternProblem(pattern);
          if (problem) ctx.addIssue({ code: 'custom', message: `host pattern "${pattern}" ${problem}` });
        }),
      )
      .min(1, 'must list at least one host pattern, e.g. modelarts.*.myhuaweicloud.com'),
  );

function matchesPattern(hostname: string, pattern: string): boolean {
  const host = hostname.split('.');
  const wanted = pattern.split('.');
  return (
    host.length === wanted.length &&
    wanted.every((label, index) => {
      const actual = host[index] ?? '';
      return label === '*' ? DNS_LABEL.test(actual) : label === actual;
    })
  );
}

/** Whether a signed request may go to `endpoint`; a refusal says why in words an operator can act on. */
export function checkEndpoint(endpoint: string, allowlist: EndpointAllowlist): EndpointVerdict {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { allowed: false, reason: 'is not a URL' };
  }
  if (url.username || url.password) return { allowed: false, reason: 'must not carry user information' };
  if (url.search || url.hash) return { allowed: false, reason: 'must not carry a query or a fragment' };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { allowed: false, reason: `must be an https URL, not ${url.protocol.slice(0, -1)}` };
  }
  const host = url.hostname;
  if (isLoopbackHost(host)) {
    return allowlist.loopback
      ? { allowed: true, url }
      : {
          allowed: false,
          reason: `names the loopback host ${host}, allowed only where a local run or a test enables loopback`,
        };
  }
  if (url.protocol === 'http:') return { allowed: false, reason: 'must be https: plain http is refused' };
  const kind = ipAddressKind(host);
  if (kind !== undefined) {
    return {
      allowed: false,
      reason: `names the IP address ${host} (${kind}); an endpoint must be a DNS name matching the allowlist`,
    };
  }
  if (url.port !== '') {
    return { allowed: false, reason: `must use the https port 443, not ${url.port}` };
  }
  if (!allowlist.hosts.some((pattern) => matchesPattern(host, pattern))) {
    return {
      allowed: false,
      reason: `host ${host} is not in the endpoint allowlist (${allowlist.hosts.join(', ') || 'empty'})`,
    };
  }
  return { allowed: true, url };
}
