import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbLocalStartError, freePort, startDynamoDbLocal } from '../../local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../local/stack';

/**
 * Invariant 9, local half: every component of the local stack (DynamoDB Local, fauxqs, the ModelArts
 * simulator) listens on 127.0.0.1 and nowhere else. Read from the kernel's socket tables on Linux, and checked
 * from outside on every platform by connecting through the machine's other addresses.
 */

interface Listener {
  address: string;
  port: number;
  inode: string;
}

/** `0100007F` → `127.0.0.1`: /proc/net/tcp writes each 32-bit word in host (little-endian) order. */
function ipv4FromProc(hex: string): string {
  return [6, 4, 2, 0].map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16)).join('.');
}

function ipv6FromProc(hex: string): string {
  const bytes: string[] = [];
  for (let word = 0; word < 4; word += 1) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (const offset of [6, 4, 2, 0]) bytes.push(chunk.slice(offset, offset + 2));
  }
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! + bytes[2 * i + 1]!).toLowerCase());
  if (groups.slice(0, 5).every((g) => g === '0000') && groups[5] === 'ffff') {
    return `::ffff:${ipv4FromProc(hex.slice(24, 32))}`;
  }
  // The URL parser writes the canonical short form: `::1`, `::`.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Every TCP socket in the LISTEN state (0A) of this network namespace. */
function listeners(): Listener[] {
  const found: Listener[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4FromProc],
    ['/proc/net/tcp6', ipv6FromProc],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [addressHex = '', portHex = ''] = (fields[1] ?? '').split(':');
      if (fields[3] !== '0A') continue;
      found.push({ address: decode(addressHex), port: Number.parseInt(portHex, 16), inode: fields[9] ?? '' });
    }
  }
  return found;
}

/** Socket inodes a process holds, from its file descriptors (readable for one's own processes, no root). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return inodes;
}

/** Direct children of this process: DynamoDB Local's Java process among them. */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        // Field 4 of stat is the parent pid; the command name before it may hold spaces, so cut after ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    });
}

function commandOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
}

const isLoopback = (address: string): boolean =>
  /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);

/** The machine's addresses other than loopback: what a neighbour on the network would connect to. */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4')
    .map((entry) => entry!.address);
}

/** Whether a TCP connection to `host:port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

let stack: LocalStack;
let ports: Record<'DynamoDB Local' | 'fauxqs' | 'ModelArts simulator', number>;

beforeAll(async () => {
  // Its own DynamoDB Local (not the run's shared one), started the way `npm start` starts it.
  stack = await startLocalStack({
    tablePrefix: `sockets-${randomUUID().slice(0, 8)}-`,
    queueName: `sockets-${randomUUID().slice(0, 8)}`,
    simulator: { auth: false },
  });
  ports = {
    'DynamoDB Local': Number(new URL(stack.dynamoDb.endpoint).port),
    fauxqs: Number(new URL(stack.sqs.endpoint).port),
    'ModelArts simulator': Number(new URL(stack.simulator!.url).port),
  };
});

afterAll(() => stack?.stop());

describe('reading the socket tables', () => {
  it.each([
    ['0100007F', '127.0.0.1', ipv4FromProc],
    ['00000000', '0.0.0.0', ipv4FromProc],
    ['0202000A', '10.0.2.2', ipv4FromProc],
    ['00000000000000000000000001000000', '::1', ipv6FromProc],
    ['00000000000000000000000000000000', '::', ipv6FromProc],
    ['0000000000000000FFFF00000100007F', '::ffff:127.0.0.1', ipv6FromProc],
    ['000080FE00000000FF0C5802FEB1A6AA', 'fe80::258:cff:aaa6:b1fe', ipv6FromProc],
  ])('%s reads as %s', (hex, address, decode) => {
    expect(decode(hex)).toBe(address);
  });
});

describe.skipIf(process.platform !== 'linux')(
  'the local stack in the kernel socket tables (Linux /proc)',
  () => {
    it.each(['DynamoDB Local', 'fauxqs', 'ModelArts simulator'] as const)(
      '%s listens on 127.0.0.1 only',
      (component) => {
        const port = ports[component];
        const onPort = listeners().filter((listener) => listener.port === port);
        expect(onPort.map((listener) => listener.address)).toEqual(['127.0.0.1']);
      },
    );

    it("DynamoDB Local's Java process listens on loopback and nowhere else", () => {
      const java = childPids().filter((pid) => commandOf(pid).includes('DynamoDbLocalOnLoopback'));
      expect(java).toHaveLength(1);
      const held = socketInodes(java[0]!);
      const own = listeners().filter((listener) => held.has(listener.inode));
      expect(own.map((listener) => listener.port)).toContain(ports['DynamoDB Local']);
      expect(own.filter((listener) => !isLoopback(listener.address))).toEqual([]);
    });

    it('this process (fauxqs and the simulator run in it) listens on loopback and nowhere else', () => {
      const held = socketInodes(process.pid);
      const own = listeners().filter((listener) => held.has(listener.inode));
      expect(own.map((listener) => listener.port)).toEqual(
        expect.arrayContaining([ports.fauxqs, ports['ModelArts simulator']]),
      );
      expect(own.filter((listener) => !isLoopback(listener.address))).toEqual([]);
    });
  },
);

describe('the local stack seen from the network', () => {
  const addresses = externalAddresses();

  it.skipIf(addresses.length === 0)(
    'refuses connections through every non-loopback address of the machine',
    async () => {
      for (const [component, port] of Object.entries(ports)) {
        expect(await accepts('127.0.0.1', port), `${component} on 127.0.0.1`).toBe(true);
        for (const address of addresses) {
          expect(await accepts(address, port), `${component} on ${address}:${port}`).toBe(false);
        }
      }
    },
  );
});

describe('DynamoDB Local without a Java compiler', () => {
  it('does not start, says a JDK is needed, and leaves nothing listening', async () => {
    // A JDK limited to the Java SE modules behaves like a JRE: no jdk.compiler to run the launcher from source.
    vi.stubEnv('JDK_JAVA_OPTIONS', '--limit-modules java.se');
    try {
      const port = await freePort();
      const error = await startDynamoDbLocal({ port }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DynamoDbLocalStartError);
      expect((error as Error).message).toMatch(/needs a JDK 17 or later \(with javac\), not only a JRE/);
      expect(await accepts('127.0.0.1', port)).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
