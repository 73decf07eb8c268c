/**
 * Runs async jobs at most `concurrency` at a time, lowest priority value first (FIFO among equals).
 * The IMP driver gives ticket rounds precedence over controls, since each ticket round unlocks more work.
 */
export class JobQueue {
  private running = 0;
  private seq = 0;
  private readonly waiting: { priority: number; seq: number; start: () => void }[] = [];

  constructor(readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  schedule<T>(priority: number, job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running += 1;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running -= 1;
            this.next();
          });
      };
      this.waiting.push({ priority, seq: this.seq++, start });
      this.waiting.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}
