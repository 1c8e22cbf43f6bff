import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV, endpointAllowlistFromEnv, loadConfig } from '../../functions/shared/config';
import {
  DEFAULT_ENDPOINT_ALLOWLIST,
  type EndpointAllowlist,
  EndpointHostsSchema,
  checkEndpoint,
  hostPatternProblem,
} from '../../functions/shared/endpoint-allowlist';
import { ipAddressKind } from '../../functions/shared/endpoint-url';
import { PolicyValidationError, parsePolicy } from '../../functions/shared/engine';
import { InsecureEndpointError, ModelArtsClient } from '../../functions/shared/modelarts';
import { TABLE_KEYS, TABLES } from '../../functions/shared/store/tables';

const DEPLOYED = DEFAULT_ENDPOINT_ALLOWLIST;
const LOCAL: EndpointAllowlist = { ...DEFAULT_ENDPOINT_ALLOWLIST, loopback: true };
const CUSTOM: EndpointAllowlist = {
  hosts: ['modelarts.cn-north-4.myhuaweicloud.com', '*.example.com'],
  loopback: false,
};

function reasonFor(endpoint: string, allowlist: EndpointAllowlist): string {
  const verdict = checkEndpoint(endpoint, allowlist);
  return verdict.allowed ? 'allowed' : verdict.reason;
}

describe('the endpoint allowlist', () => {
  it.each([
    ['a Huawei Cloud region', 'https://modelarts.cn-north-4.myhuaweicloud.com', DEPLOYED],
    [
      'another region, with a trailing slash',
      'https://modelarts.ap-southeast-3.myhuaweicloud.com/',
      DEPLOYED,
    ],
    ['ap-southeast-1 on myhuaweicloud.cn', 'https://modelarts.ap-southeast-1.myhuaweicloud.cn', DEPLOYED],
    ['upper case, normalised by the URL parser', 'https://MODELARTS.CN-NORTH-4.MYHUAWEICLOUD.COM', DEPLOYED],
    ['the explicit default port', 'https://modelarts.cn-north-4.myhuaweicloud.com:443', DEPLOYED],
    ['an exact host of a custom list', 'https://modelarts.cn-north-4.myhuaweicloud.com', CUSTOM],
    ['one label under a custom wildcard', 'https://modelarts-private.example.com', CUSTOM],
    ['loopback http where enabled', 'http://127.0.0.1:9001', LOCAL],
    ['another loopback address where enabled', 'http://127.8.9.10:8080', LOCAL],
    ['localhost over https where enabled', 'https://localhost:8443', LOCAL],
    ['IPv6 loopback where enabled', 'http://[::1]:8080', LOCAL],
  ])('allows %s', (_name, endpoint, allowlist) => {
    expect(reasonFor(endpoint, allowlist)).toBe('allowed');
  });

  it.each([
    ['not a URL', 'modelarts.cn-north-4', DEPLOYED, 'is not a URL'],
    [
      'another scheme',
      'ftp://modelarts.cn-north-4.myhuaweicloud.com',
      DEPLOYED,
      'must be an https URL, not ftp',
    ],
    [
      'user information',
      'https://user:pw@modelarts.cn-north-4.myhuaweicloud.com',
      DEPLOYED,
      'must not carry user information',
    ],
    [
      'a query',
      'https://modelarts.cn-north-4.myhuaweicloud.com?x=1',
      DEPLOYED,
      'must not carry a query or a fragment',
    ],
    [
      'plain http to an allowed host',
      'http://modelarts.cn-north-4.myhuaweicloud.com',
      LOCAL,
      'must be https: plain http is refused',
    ],
    [
      'the Lambda Runtime API',
      'http://127.0.0.1:9001',
      DEPLOYED,
      'names the loopback host 127.0.0.1, allowed only where a local run or a test enables loopback',
    ],
    [
      'the Lambda extensions API over https',
      'https://localhost:2773',
      DEPLOYED,
      'names the loopback host localhost, allowed only where a local run or a test enables loopback',
    ],
    [
      'the instance metadata service',
      'https://169.254.169.254',
      LOCAL,
      'names the IP address 169.254.169.254 (link-local); an endpoint must be a DNS name matching the allowlist',
    ],
    [
      'metadata in decimal',
      'https://2852039166',
      DEPLOYED,
      'names the IP address 169.254.169.254 (link-local)',
    ],
    [
      'metadata in octal',
      'https://0251.0376.0251.0376',
      DEPLOYED,
      'names the IP address 169.254.169.254 (link-local)',
    ],
    ['metadata in hex', 'https://0xa9fea9fe', DEPLOYED, 'names the IP address 169.254.169.254 (link-local)'],
    [
      'metadata with a trailing dot',
      'https://169.254.169.254.',
      DEPLOYED,
      'names the IP address 169.254.169.254 (link-local)',
    ],
    [
      'metadata over IPv6',
      'https://[fd00:ec2::254]',
      DEPLOYED,
      'names the IP address [fd00:ec2::254] (private)',
    ],
    ['metadata as a mapped IPv6', 'https://[::ffff:169.254.169.254]', DEPLOYED, '(link-local)'],
    ['a private address', 'https://10.1.2.3', DEPLOYED, 'names the IP address 10.1.2.3 (private)'],
    ['a carrier-grade NAT address', 'https://100.64.0.1', DEPLOYED, '(private)'],
    ['a 172.16/12 address', 'https://172.31.255.255', DEPLOYED, '(private)'],
    ['a 192.168/16 address', 'https://192.168.0.10', DEPLOYED, '(private)'],
    [
      'the unspecified address, which reaches this host',
      'https://0.0.0.0',
      LOCAL,
      'names the IP address 0.0.0.0 (unspecified)',
    ],
    ['a single-number host', 'https://0', LOCAL, 'names the IP address 0.0.0.0 (unspecified)'],
    ['an IPv6 link-local address', 'https://[fe80::1]', DEPLOYED, '(link-local)'],
    ['a public address', 'https://8.8.8.8', DEPLOYED, 'names the IP address 8.8.8.8 (public)'],
    [
      'a mapped loopback, even where loopback is enabled',
      'http://[::ffff:127.0.0.1]:9001',
      LOCAL,
      'must be https',
    ],
    ['a mapped loopback over https', 'https://[::ffff:127.0.0.1]:9001', LOCAL, '(loopback)'],
    [
      'another port',
      'https://modelarts.cn-north-4.myhuaweicloud.com:9001',
      DEPLOYED,
      'must use the https port 443, not 9001',
    ],
    [
      'a host outside the list',
      'https://modelarts.example.com',
      DEPLOYED,
      'host modelarts.example.com is not in the endpoint allowlist (modelarts.*.myhuaweicloud.com, modelarts.*.myhuaweicloud.cn)',
    ],
    [
      'a look-alike suffix',
      'https://modelarts.cn-north-4.myhuaweicloud.com.evil.example',
      DEPLOYED,
      'is not in the endpoint allowlist',
    ],
    [
      'a look-alike prefix',
      'https://evilmodelarts.cn-north-4.myhuaweicloud.com',
      DEPLOYED,
      'is not in the endpoint allowlist',
    ],
    [
      'two labels for one wildcard',
      'https://modelarts.a.b.myhuaweicloud.com',
      DEPLOYED,
      'is not in the endpoint allowlist',
    ],
    [
      'an empty wildcard label',
      'https://modelarts..myhuaweicloud.com',
      DEPLOYED,
      'is not in the endpoint allowlist',
    ],
    [
      'a trailing dot',
      'https://modelarts.cn-north-4.myhuaweicloud.com.',
      DEPLOYED,
      'is not in the endpoint allowlist',
    ],
    [
      'a name resolving to loopback',
      'https://127.0.0.1.nip.io',
      DEPLOYED,
      'is not in the endpoint allowlist',
    ],
    ['a subdomain of localhost', 'http://api.localhost:9001', LOCAL, 'must be https'],
    [
      'a second level under a custom wildcard',
      'https://a.b.example.com',
      CUSTOM,
      'is not in the endpoint allowlist',
    ],
  ])('refuses %s', (_name, endpoint, allowlist, reason) => {
    expect(reasonFor(endpoint, allowlist)).toContain(reason);
  });

  it('refuses every IPv4 address in every notation the URL parser reads, loopback aside only where enabled', () => {
    const notations = (octets: number[]): string[] => {
      const value = octets.reduce((sum, octet) => sum * 256 + octet, 0);
      return [
        octets.join('.'),
        String(value),
        `0x${value.toString(16)}`,
        octets.map((octet) => `0${octet.toString(8)}`).join('.'),
        `${octets.slice(0, 3).join('.')}.${octets[3]}.`,
      ];
    };
    const octets = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(
        octets,
        fc.constantFrom(DEPLOYED, LOCAL, CUSTOM),
        fc.boolean(),
        (address, allowlist, https) => {
          for (const host of notations(address)) {
            const verdict = checkEndpoint(`${https ? 'https' : 'http'}://${host}`, allowlist);
            const loopbackAllowed = allowlist.loopback && address[0] === 127;
            expect(verdict.allowed, host).toBe(loopbackAllowed);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses every IPv6 address but ::1 where loopback is enabled', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.constantFrom(DEPLOYED, LOCAL), (address, allowlist) => {
        const url = `https://[${address}]`;
        const hostname = new URL(url).hostname;
        expect(checkEndpoint(url, allowlist).allowed).toBe(allowlist.loopback && hostname === '[::1]');
        expect(ipAddressKind(hostname)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it('refuses any host a list does not name, and matches only whole labels', () => {
    fc.assert(
      fc.property(fc.domain(), (domain) => {
        const matched = /^modelarts\.[a-z0-9-]+\.myhuaweicloud\.(com|cn)$/.test(domain);
        expect(checkEndpoint(`https://${domain}`, DEPLOYED).allowed).toBe(matched);
      }),
      { numRuns: 300 },
    );
  });
});

describe('host patterns', () => {
  it.each([
    ['modelarts.*.myhuaweicloud.com', undefined],
    ['modelarts.cn-north-4.myhuaweicloud.com', undefined],
    ['*.example.com', undefined],
    ['example', 'needs at least two labels'],
    ['*.com', 'the last two labels must be fixed'],
    ['modelarts.*', 'the last two labels must be fixed'],
    ['modelarts-*.example.com', '`*` must stand alone'],
    ['169.254.169.254', 'must be a DNS name, not an IP address'],
    ['*.*.254.254', 'must be a DNS name, not an IP address'],
    ['model_arts.example.com', 'is not a lowercase DNS label'],
    ['modelarts..example.com', 'is not a lowercase DNS label'],
  ])('%s', (pattern, problem) => {
    const found = hostPatternProblem(pattern);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('reads a comma-separated list, trimmed and lowercased, and names a bad pattern', () => {
    expect(EndpointHostsSchema.parse(' Modelarts.*.Example.com , a.example.org,')).toEqual([
      'modelarts.*.example.com',
      'a.example.org',
    ]);
    const bad = EndpointHostsSchema.safeParse('modelarts.*.example.com,*.com');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe(
      'host pattern "*.com" the last two labels must be fixed, not `*`',
    );
    expect(EndpointHostsSchema.safeParse(' , ').error?.issues[0]?.message).toMatch(
      /at least one host pattern/,
    );
  });
});

describe('the Lambda environment', () => {
  const tables = Object.fromEntries(TABLE_KEYS.map((key) => [TABLES[key].envVar, `t-${key}`]));

  it('defaults to Huawei Cloud hosts and no loopback', () => {
    expect(loadConfig(tables).modelArts.endpointAllowlist).toEqual(DEFAULT_ENDPOINT_ALLOWLIST);
    expect(endpointAllowlistFromEnv({})).toEqual(DEFAULT_ENDPOINT_ALLOWLIST);
  });

  it('reads the host patterns and the loopback switch', () => {
    const env = {
      ...tables,
      [ENV.modelArtsEndpointHosts]: 'modelarts.*.example.com',
      [ENV.modelArtsAllowLoopback]: 'true',
    };
    expect(loadConfig(env).modelArts.endpointAllowlist).toEqual({
      hosts: ['modelarts.*.example.com'],
      loopback: true,
    });
  });

  it.each([
    [
      { [ENV.modelArtsEndpoint]: 'http://127.0.0.1:9001' },
      ENV.modelArtsEndpoint,
      /loopback host 127\.0\.0\.1/,
    ],
    [{ [ENV.modelArtsEndpoint]: 'https://169.254.169.254' }, ENV.modelArtsEndpoint, /link-local/],
    [
      { [ENV.modelArtsEndpoint]: 'https://modelarts.example.com' },
      ENV.modelArtsEndpoint,
      /not in the endpoint allowlist/,
    ],
    [{ [ENV.modelArtsEndpointHosts]: '*.com' }, ENV.modelArtsEndpointHosts, /last two labels/],
    [{ [ENV.modelArtsAllowLoopback]: 'yes' }, ENV.modelArtsAllowLoopback, /./],
  ])('refuses %j naming %s', (extra, variable, message) => {
    let caught: unknown;
    try {
      loadConfig({ ...tables, ...extra });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as Error).message).toMatch(message);
  });

  it('accepts a loopback override only where loopback is enabled', () => {
    const env = {
      ...tables,
      [ENV.modelArtsEndpoint]: 'http://127.0.0.1:9001',
      [ENV.modelArtsAllowLoopback]: 'true',
    };
    expect(loadConfig(env).modelArts.endpointOverride).toBe('http://127.0.0.1:9001');
  });
});

describe('the policy and the client apply the same rule', () => {
  const policy = (endpoint: string) => ({
    pool: 'p',
    endpoint,
    flavors: { f: { maxCount: 2 } },
  });

  it('a policy outside the allowlist is invalid, naming the endpoint field and why', () => {
    let caught: unknown;
    try {
      parsePolicy(policy('https://169.254.169.254'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyValidationError);
    expect((caught as PolicyValidationError).field).toBe('endpoint');
    expect((caught as Error).message).toContain('169.254.169.254 (link-local)');
    expect(parsePolicy(policy('https://modelarts.cn-north-4.myhuaweicloud.com')).endpoint).toBe(
      'https://modelarts.cn-north-4.myhuaweicloud.com',
    );
    expect(() => parsePolicy(policy('https://modelarts.example.org'), { endpointAllowlist: CUSTOM })).toThrow(
      PolicyValidationError,
    );
  });

  it('a client given the allowlist refuses what it refuses, before any request', () => {
    const credentials = { ak: 'AK', sk: 'SK' };
    for (const endpoint of [
      'http://127.0.0.1:9001',
      'https://169.254.169.254',
      'https://modelarts.example.com',
    ]) {
      expect(
        () => new ModelArtsClient({ endpoint, projectId: 'p1', credentials, endpointAllowlist: DEPLOYED }),
      ).toThrow(InsecureEndpointError);
    }
    const allowed = new ModelArtsClient({
      endpoint: 'https://modelarts.cn-north-4.myhuaweicloud.com',
      projectId: 'p1',
      credentials,
      endpointAllowlist: DEPLOYED,
    });
    expect(allowed.endpoint.hostname).toBe('modelarts.cn-north-4.myhuaweicloud.com');
  });
});
