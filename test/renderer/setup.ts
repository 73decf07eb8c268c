import { createPinia, setActivePinia } from 'pinia';
import { clientFrom, setClient } from '../../src/renderer/src/api/client';
import { createDispatcher } from '../../src/main/server/dispatch';
import { fakeServices } from '../contract/fake-services';

/** The renderer over the real dispatcher (validation, error mapping) and in-memory services. */
export function installFakeLab() {
  const services = fakeServices();
  const dispatch = createDispatcher(services, { 'host.pickFolder': async () => '/picked/folder' });
  setClient(clientFrom('test', (c, p) => dispatch(c, p), (l) => services.subscribe(l)));
  const pinia = createPinia();
  setActivePinia(pinia);
  return { services, pinia };
}

export const flush = () => new Promise((r) => setTimeout(r, 0));
