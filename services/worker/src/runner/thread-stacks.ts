/**
 * Reads where a blocked pool thread's code is, from the pool process: an inspector session on
 * this process attaches to the worker thread (NodeWorker domain) and pauses it. Node hands
 * inspector messages to a thread through V8 interrupts, which reach code spinning in
 * `while (true) {}` and a thread parked in `Atomics.wait` alike. The thread is resumed at once;
 * nothing else of it changes. Used only when a thread is found blocked, so it costs nothing before.
 */
import { Session } from 'node:inspector';

interface CallFrame {
  functionName: string;
  /** Often empty for modules; the script's URL comes with its scriptParsed event. */
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

interface WorkerMessage {
  id?: number;
  method?: string;
  params?: { callFrames?: CallFrame[]; scriptId?: string; url?: string };
}

const MAX_FRAMES = 10;

const describeFrame = (frame: CallFrame, scripts: Map<string, string>): string => {
  const url = frame.url || scripts.get(frame.location.scriptId) || '<unknown>';
  const { lineNumber, columnNumber } = frame.location;
  return `${frame.functionName || '<anonymous>'} (${url}:${lineNumber + 1}:${columnNumber + 1})`;
};

export class ThreadStacks {
  private session?: Session;
  /** Inspector session id of each attached thread, by thread id. */
  private readonly attached = new Map<number, string>();
  private readonly attachWaiters = new Map<number, () => void>();
  private readonly pausedWaiters = new Map<string, (frames: CallFrame[]) => void>();
  /** Script URLs by id, per inspector session, from the scripts the thread reports. */
  private readonly scripts = new Map<string, Map<string, string>>();
  private nextId = 1;

  private connect(): Session {
    if (this.session) return this.session;
    const session = new Session();
    session.connect();
    session.on('NodeWorker.attachedToWorker', (message) => {
      const { sessionId, workerInfo } = message.params as {
        sessionId: string;
        workerInfo: { workerId: string };
      };
      const threadId = Number(workerInfo.workerId);
      this.attached.set(threadId, sessionId);
      this.attachWaiters.get(threadId)?.();
    });
    session.on('NodeWorker.detachedFromWorker', (message) => {
      const { sessionId } = message.params as { sessionId: string };
      for (const [threadId, id] of this.attached)
        if (id === sessionId) this.attached.delete(threadId);
    });
    session.on('NodeWorker.receivedMessageFromWorker', (message) => {
      const { sessionId, message: text } = message.params as { sessionId: string; message: string };
      // Only the pause and the scripts' URLs matter (the thread reports every parsed script).
      const paused = text.startsWith('{"method":"Debugger.paused"');
      if (!paused && !text.startsWith('{"method":"Debugger.scriptParsed"')) return;
      const parsed = JSON.parse(text) as WorkerMessage;
      if (paused) {
        this.pausedWaiters.get(sessionId)?.(parsed.params?.callFrames ?? []);
      } else if (parsed.params?.scriptId && parsed.params.url) {
        const scripts = this.scripts.get(sessionId) ?? new Map<string, string>();
        scripts.set(parsed.params.scriptId, parsed.params.url);
        this.scripts.set(sessionId, scripts);
      }
    });
    session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    this.session = session;
    return session;
  }

  private send(sessionId: string, method: string): void {
    this.session?.post('NodeWorker.sendMessageToWorker', {
      sessionId,
      message: JSON.stringify({ id: this.nextId++, method }),
    });
  }

  /** The thread's top frames, innermost first; undefined if it gave none within `timeoutMs`. */
  async stackOf(threadId: number, timeoutMs: number): Promise<string[] | undefined> {
    this.connect();
    const deadline = new Promise<undefined>((resolve) =>
      setTimeout(() => resolve(undefined), timeoutMs).unref(),
    );
    const sessionId =
      this.attached.get(threadId) ??
      (await Promise.race([
        new Promise<string>((resolve) =>
          this.attachWaiters.set(threadId, () => resolve(this.attached.get(threadId)!)),
        ),
        deadline,
      ]));
    this.attachWaiters.delete(threadId);
    if (!sessionId) return undefined;
    const frames = await Promise.race([
      new Promise<CallFrame[]>((resolve) => {
        this.pausedWaiters.set(sessionId, resolve);
        this.send(sessionId, 'Debugger.enable');
        this.send(sessionId, 'Debugger.pause');
      }),
      deadline,
    ]);
    this.pausedWaiters.delete(sessionId);
    // Let it run on (a paused thread could not even be terminated) and stop debugging it.
    this.send(sessionId, 'Debugger.resume');
    this.send(sessionId, 'Debugger.disable');
    const scripts = this.scripts.get(sessionId) ?? new Map<string, string>();
    this.scripts.delete(sessionId);
    return frames?.slice(0, MAX_FRAMES).map((frame) => describeFrame(frame, scripts));
  }

  close(): void {
    this.session?.disconnect();
    this.session = undefined;
    this.attached.clear();
  }
}
