/**
 * A TCP proxy in front of an emulator that can be taken down and brought back on the same port.
 * While down it refuses connections and cuts open ones, which is what clients see when a real
 * endpoint fails; the emulator behind it keeps its state, as a real service would after an outage.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  /** A proxy for the host and port of an endpoint URL. */
  static for(endpoint: string): FaultProxy {
    const url = new URL(endpoint);
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    return new FaultProxy(port, url.hostname);
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
