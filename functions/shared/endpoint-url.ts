/**
 * Facts about the host of an endpoint URL, read from the WHATWG-parsed hostname: whether it is loopback and
 * whether it is an IP literal. The URL parser has already turned decimal, octal and hex IPv4 forms
 * (`2852039166`, `0251.0376.0251.0376`, `0xa9fea9fe`) into dotted quads and IPv6 into its bracketed short form.
 */

const LOOPBACK_HOSTNAMES = new Set(['localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The transport rule for endpoints an operator names on the command line or in the environment (DynamoDB
 * Local, the SQS emulator): https, or plain http to a loopback host. ModelArts endpoints follow the stricter
 * allowlist of `endpoint-allowlist.ts`.
 */
export function isHttpsOrLoopbackUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

/** What an IP literal reaches; named in refusals so an operator sees why the address is dangerous. */
export type IpAddressKind = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'public';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Kind(octets: readonly number[]): IpAddressKind {
  const [a = 0, b = 0] = octets;
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  // Carrier-grade NAT space: as internal as the private ranges.
  if (a === 100 && b >= 64 && b <= 127) return 'private';
  if (a >= 224) return 'multicast';
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address in the URL parser's short form (`fe80::1`, `::ffff:a9fe:a9fe`). */
function ipv6Groups(address: string): number[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const groups =
    halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail] : head;
  return groups.length === 8 &&
    groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : undefined;
}

function ipv6Kind(groups: readonly number[]): IpAddressKind {
  const first = groups[0] ?? 0;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return ipv4Kind([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  }
  if (groups.every((group) => group === 0)) return 'unspecified';
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return 'loopback';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  // Unique local addresses (fc00::/7, AWS's fd00:ec2::254 among them) and the retired site-local fec0::/10.
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfec0) return 'private';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/** The kind of address a parsed URL hostname is, or undefined when it is a DNS name. */
export function ipAddressKind(hostname: string): IpAddressKind | undefined {
  const v4 = IPV4.exec(hostname);
  if (v4) return ipv4Kind(v4.slice(1).map(Number));
  if (hostname.startsWith('[') && hostname.endsWith(']')) {
    const groups = ipv6Groups(hostname.slice(1, -1));
    // Anything bracketed is an IPv6 literal to the URL parser, even a form this reader does not expand.
    return groups ? ipv6Kind(groups) : 'public';
  }
  return undefined;
}
