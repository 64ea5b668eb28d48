import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of s3rver that answers a missing key the way S3 answers a caller without
 * s3:ListBucket on the bucket: 403 AccessDenied instead of 404 NoSuchKey (S3 will not tell such a
 * caller whether the key exists). s3rver has no IAM, so without this no test could see the
 * difference. Buckets named in `listable` behave as if the caller had ListBucket on them.
 */
export interface S3PermissionProxy {
  endpoint: string;
  /** Buckets the caller may list; change it between requests. */
  listable: Set<string>;
  /** Missing-key answers turned into 403 so far. */
  readonly denied: number;
  stop(): Promise<void>;
}

const ACCESS_DENIED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>' +
  '<RequestId>PROXY</RequestId><HostId>PROXY</HostId></Error>';

/** Starts the proxy on 127.0.0.1 in front of an s3rver endpoint (path-style requests). */
export async function startS3PermissionProxy(target: string): Promise<S3PermissionProxy> {
  const upstream = new URL(target);
  const state = { listable: new Set<string>(), denied: 0 };
  const server: Server = createServer((req, res) => {
    const bucket = (req.url ?? '/').split('?')[0]!.split('/')[1] ?? '';
    const objectRequest = /^\/[^/]+\/.+/.test((req.url ?? '/').split('?')[0]!);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const missingKey =
            answer.statusCode === 404 &&
            objectRequest &&
            (req.method === 'HEAD' || body.toString('utf8').includes('<Code>NoSuchKey</Code>'));
          if (missingKey && !state.listable.has(bucket)) {
            state.denied++;
            const denied = req.method === 'HEAD' ? '' : ACCESS_DENIED;
            res.writeHead(403, {
              'content-type': 'application/xml',
              'content-length': Buffer.byteLength(denied),
              'x-amz-request-id': 'PROXY',
            });
            res.end(denied);
            return;
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          res.end(body);
        });
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502).end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get listable() {
      return state.listable;
    },
    set listable(value) {
      state.listable = value;
    },
    get denied() {
      return state.denied;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
