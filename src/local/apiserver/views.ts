// Resources served in one API but stored as another (events.k8s.io/v1 Events live in core/v1
// Event storage): the storage definition and the conversions both ways.
import { eventFieldSelectorToCore, eventFromCore, eventToCore } from './event-conversion.ts';
import { queryValue, type Query } from './encoding.ts';
import { findResource, type ResourceDef } from './resources.ts';
import type { KubeObject } from './store.ts';

export interface StorageView {
  /** The definition objects are stored under. */
  def: ResourceDef;
  toStorage(o: KubeObject): KubeObject;
  fromStorage(o: KubeObject): KubeObject;
  /** The query with selectors rewritten to stored field names. */
  query(q: Query): Query;
}

const identity = (o: KubeObject): KubeObject => o;

export function viewFor(def: ResourceDef): StorageView {
  if (def.group === 'events.k8s.io') {
    return {
      def: findResource('', 'v1', 'events')!,
      toStorage: eventToCore,
      fromStorage: eventFromCore,
      query: (q) => {
        const fs = queryValue(q, 'fieldSelector');
        return fs === undefined ? q : { ...q, fieldSelector: eventFieldSelectorToCore(fs) };
      },
    };
  }
  return { def, toStorage: identity, fromStorage: identity, query: (q) => q };
}
