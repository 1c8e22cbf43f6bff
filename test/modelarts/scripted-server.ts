/** A loopback HTTP server that answers each request with the next scripted reply and records what it got. */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Reply = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Replies used in order; when they run out, `fallback` answers. */
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

export function errorBody(
  status: number,
  code: string,
  msg: string,
  headers: Record<string, string> = {},
): Reply {
  return json(status, { error_code: code, error_msg: msg }, headers);
}

/** Closes the connection without answering. */
export const dropConnection: Reply = (req) => {
  req.socket.destroy();
};

/** Answers after `ms`, or never when the client gives up first. */
export function slow(ms: number, reply: Reply): Reply {
  return (req, res, body) => {
    const timer = setTimeout(() => {
      if (!res.destroyed) reply(req, res, body);
    }, ms);
    res.on('close', () => clearTimeout(timer));
  };
}

export async function startScriptedServer(
  fallback: Reply = errorBody(500, 'TEST.0000', 'no scripted reply'),
): Promise<ScriptedServer> {
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      (queue.shift() ?? fallback)(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
