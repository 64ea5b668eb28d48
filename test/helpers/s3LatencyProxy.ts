import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of s3rver that holds every request for a fixed delay before forwarding
 * it: S3's per-request latency (tens of milliseconds from Lambda) on a local server that answers
 * in about one. It counts requests and the most it saw in flight at once, so a test can tell a
 * copy that runs several requests at a time from one that runs them one by one.
 */
export interface S3LatencyProxy {
  endpoint: string;
  readonly requests: number;
  readonly maxInFlight: number;
  stop(): Promise<void>;
}

export async function startS3LatencyProxy(target: string, delayMs: number): Promise<S3LatencyProxy> {
  const upstream = new URL(target);
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.once('close', () => stats.inFlight--);
    req.pause();
    setTimeout(() => {
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(forward);
      req.resume();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return stats.requests;
    },
    get maxInFlight() {
      return stats.maxInFlight;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
