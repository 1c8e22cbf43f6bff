import net from 'node:net';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/**
 * Runs `start` with every server it starts on all interfaces (host `0.0.0.0`, `::` or none) listening on
 * 127.0.0.1 instead. fauxqs binds 0.0.0.0 whatever host it is given; the local stack must stay on loopback.
 * Only listens made while `start` runs are moved, and only towards loopback.
 */
export async function onLoopback<T>(start: () => Promise<T>): Promise<T> {
  const original = net.Server.prototype.listen;
  const moved = function (this: net.Server, ...args: unknown[]): net.Server {
    const [first] = args;
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      const options = first as net.ListenOptions;
      if (options.path === undefined && WILDCARD_HOSTS.has(options.host ?? '')) {
        args[0] = { ...options, host: '127.0.0.1' };
      }
    } else if (typeof first === 'number' && (typeof args[1] !== 'string' || WILDCARD_HOSTS.has(args[1]))) {
      args.splice(1, typeof args[1] === 'string' ? 1 : 0, '127.0.0.1');
    }
    return (original as (...listenArgs: unknown[]) => net.Server).apply(this, args);
  };
  net.Server.prototype.listen = moved as typeof net.Server.prototype.listen;
  try {
    return await start();
  } finally {
    net.Server.prototype.listen = original;
  }
}
