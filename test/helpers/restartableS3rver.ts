import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * An s3rver on 127.0.0.1 that can be crashed (SIGKILL) and restarted on the same port and data
 * folder, so a client keeps its endpoint and the objects written before the crash survive,
 * as they would on S3 during an outage. (test/helpers/s3rver.ts gives a fresh server per test;
 * this one exists for fault injection.)
 */
export class RestartableS3rver {
  private child: ChildProcess | null = null;
  port = 0;

  constructor(
    private readonly directory: string,
    private readonly buckets: string[],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts (or restarts) the server; the first start picks a free port, later ones reuse it. */
  async start(): Promise<void> {
    if (this.child !== null) return;
    const options = {
      address: '127.0.0.1',
      port: this.port,
      silent: true,
      directory: this.directory,
      configureBuckets: this.buckets.map((name) => ({ name })),
    };
    // --openssl-legacy-provider: s3rver's listing continuation tokens use DES (see s3rver.ts).
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        '-e',
        CHILD_SCRIPT,
        createRequire(import.meta.url).resolve('s3rver'),
        JSON.stringify(options),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    this.port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
      child.on('message', (m: { port: number }) => resolve(m.port));
    });
    child.removeAllListeners('exit');
    this.child = child;
  }

  /** Crashes the server: open connections drop, new ones are refused until `start`. */
  async crash(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

const CHILD_SCRIPT = `
const S3rver = require(process.argv[1]);
const server = new S3rver(JSON.parse(process.argv[2]));
server.run().then((address) => process.send({ port: address.port }));
process.on('disconnect', () => process.exit(0));
`;
