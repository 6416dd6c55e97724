// @peculiar/x509, loaded safely. It depends on tsyringe, which refuses to load without the
// reflect-metadata polyfill; nothing burstlet does uses decorator metadata, so a minimal
// stand-in suffices. It must exist before the library loads, hence the dynamic import.
import type * as X509 from '@peculiar/x509';

let loaded: Promise<typeof X509> | undefined;

function installReflectStandIn(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const meta = (target: object): Map<unknown, unknown> => {
    let m = store.get(target);
    if (!m) store.set(target, (m = new Map()));
    return m;
  };
  reflect.getMetadata = (key: unknown, target: object): unknown => meta(target).get(key);
  reflect.getOwnMetadata = reflect.getMetadata;
  reflect.hasMetadata = (key: unknown, target: object): boolean => meta(target).has(key);
  reflect.defineMetadata = (key: unknown, value: unknown, target: object): void => void meta(target).set(key, value);
  reflect.metadata = (key: unknown, value: unknown) => (target: object): void => void meta(target).set(key, value);
}

export function loadX509(): Promise<typeof X509> {
  loaded ??= (async () => {
    installReflectStandIn();
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(globalThis.crypto);
    return x509;
  })();
  return loaded;
}
