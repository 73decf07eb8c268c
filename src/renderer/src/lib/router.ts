import { watch } from 'vue';
import { useUiStore, VIEWS, type ViewName } from '../stores/ui';
import { useExperimentsStore } from '../stores/experiments';
import { useTicketsStore } from '../stores/tickets';
import { useDatasetsStore } from '../stores/datasets';

/**
 * An address per view and per dataset, experiment, run and ticket, in the URL's hash (the query keeps
 * browser mode's token, and Electron loads a file):
 *   #/datasets/mnist  #/wizard  #/runs/e_abc?runs=0:ticket:2,0:reinit:2  #/tickets/t_abc  #/compare?e=e_a,e_b&t=t_c
 * Reload keeps the place, a link can be shared, and back/forward walk the views the user opened.
 */
export interface Route {
  view: ViewName;
  id: string | null;
  query: Record<string, string[]>;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?');
  const [view, id] = path.split('/').map((s) => decodeURIComponent(s));
  const query: Record<string, string[]> = {};
  for (const part of qs.split('&').filter(Boolean)) {
    const [k, v = ''] = part.split('=');
    query[decodeURIComponent(k!)] = decodeURIComponent(v).split(',').filter(Boolean);
  }
  // An unknown view is not a place: its second part is no dataset id either.
  if (!VIEWS.includes(view as ViewName)) return { view: 'datasets', id: null, query: {} };
  return { view: view as ViewName, id: id || null, query };
}

export function formatHash(r: Route): string {
  const q = Object.entries(r.query)
    .filter(([, v]) => v.length)
    .map(([k, v]) => `${encodeURIComponent(k)}=${v.map((x) => encodeURIComponent(x).replace(/%3A/gi, ':')).join(',')}`)
    .join('&');
  return `#/${r.view}${r.id ? `/${encodeURIComponent(r.id)}` : ''}${q ? `?${q}` : ''}`;
}

/** Starts mirroring the stores into the address and back; returns the stop function. */
export function startRouter(): () => void {
  const ui = useUiStore();
  const experiments = useExperimentsStore();
  const tickets = useTicketsStore();
  const datasets = useDatasetsStore();
  let applying = false;

  const current = (): Route => {
    switch (ui.view) {
      case 'datasets':
        return { view: 'datasets', id: datasets.selectedId, query: {} };
      case 'runs':
        return { view: 'runs', id: experiments.selectedId, query: { runs: ui.shownRuns } };
      case 'tickets':
        return { view: 'tickets', id: tickets.selectedId, query: {} };
      case 'compare':
        return { view: 'compare', id: null, query: { e: ui.compareExperiments, t: ui.compareTickets } };
      default:
        return { view: ui.view, id: null, query: {} };
    }
  };
  const apply = (r: Route) => {
    applying = true;
    ui.view = r.view;
    if (r.view === 'datasets' && r.id) datasets.selectedId = r.id;
    if (r.view === 'runs') {
      if (r.id) experiments.selectedId = r.id;
      ui.shownRuns = r.query['runs'] ?? [];
    }
    if (r.view === 'tickets' && r.id) tickets.selectedId = r.id;
    if (r.view === 'compare') {
      ui.compareExperiments = r.query['e'] ?? [];
      ui.compareTickets = r.query['t'] ?? [];
    }
    // Let the watchers see the applied state before writing the address again.
    queueMicrotask(() => (applying = false));
  };

  if (location.hash.length > 1) apply(parseHash(location.hash));
  else history.replaceState(history.state, '', formatHash(current()));

  const stop = watch(
    () => formatHash(current()),
    (hash, before) => {
      if (hash === location.hash) return;
      // Another view or another experiment/ticket is a new history entry; a first automatic selection or a
      // change of the runs shown replaces the entry.
      const a = parseHash(before);
      const b = parseHash(hash);
      const sameEntry = a.view === b.view && (a.id === b.id || a.id === null);
      if (applying || sameEntry) history.replaceState(history.state, '', hash);
      else history.pushState(null, '', hash);
    },
  );
  const onPop = () => apply(parseHash(location.hash));
  window.addEventListener('popstate', onPop);
  // A hash typed or pasted into the address bar.
  window.addEventListener('hashchange', onPop);
  return () => {
    stop();
    window.removeEventListener('popstate', onPop);
    window.removeEventListener('hashchange', onPop);
  };
}
