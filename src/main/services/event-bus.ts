import type { LabEvent } from '../../shared/events';

export class EventBus {
  private readonly listeners = new Set<(event: LabEvent) => void>();

  subscribe(listener: (event: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LabEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A broken subscriber (a closed window, a dropped socket) must not stop the experiment.
      }
    }
  }
}
