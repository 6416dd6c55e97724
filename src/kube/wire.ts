// The @kubernetes/client-node model types declare timestamps as `Date`, but burstlet moves raw
// JSON, where they are RFC 3339 strings. `Wire<T>` is the honest type of such JSON.
import type { V1Node, V1Pod } from '@kubernetes/client-node';

export type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type Pod = Wire<V1Pod>;
export type PodStatus = NonNullable<Pod['status']>;
export type ContainerStatus = NonNullable<PodStatus['containerStatuses']>[number];
export type PodCondition = NonNullable<PodStatus['conditions']>[number];
export type Node = Wire<V1Node>;
export type NodeStatus = NonNullable<Node['status']>;

/** Views a decoded-JSON value typed with client-node's `Date` fields as what it is. */
export function asWire<T>(value: T): Wire<T> {
  return value as unknown as Wire<T>;
}

/** Kubernetes' timestamp format: RFC 3339 in seconds. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
