// Shared builders for translation tests.
import type { V1ConfigMap, V1Container, V1Pod, V1PodSpec, V1Secret, V1Service } from '@kubernetes/client-node';
import type { TranslateInput } from '../../../src/cci-provider/translate/translate-pod.ts';

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function pod(spec: Partial<V1PodSpec> = {}, meta: Partial<NonNullable<V1Pod['metadata']>> = {}): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'team', uid: 'uid-1', labels: { app: 'web' }, annotations: { note: 'hi' }, ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox' }], nodeName: 'burst-1', serviceAccountName: 'default', ...spec },
  };
}

export const container = (over: Partial<V1Container> = {}): V1Container => ({ name: 'app', image: 'busybox', ...over });

export const configMap = (name: string, data: Record<string, string>, binaryData?: Record<string, string>): V1ConfigMap =>
  ({ metadata: { name, namespace: 'team' }, data, binaryData });

export const secret = (name: string, data: Record<string, string>, type = 'Opaque'): V1Secret =>
  ({ metadata: { name, namespace: 'team' }, type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });

export const service = (namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[] = [{ port: 80 }]): V1Service =>
  ({ metadata: { name, namespace }, spec: { clusterIP, ports } });

export function input(p: V1Pod, over: { configMaps?: V1ConfigMap[]; secrets?: V1Secret[]; services?: V1Service[]; token?: string } = {}, node: Partial<TranslateInput['node']> = {}): TranslateInput {
  return {
    pod: p,
    node: { name: 'burst-1', clusterDomain: 'cluster.local', clusterDNS: ['198.19.0.10'], hostResolvConf: null, overflow: 'truncate', ...node },
    lookups: {
      configMaps: new Map((over.configMaps ?? []).map((c) => [c.metadata!.name!, c])),
      secrets: new Map((over.secrets ?? []).map((s) => [s.metadata!.name!, s])),
      services: over.services ?? [],
      ...(over.token === undefined ? {} : { serviceAccountToken: over.token }),
    },
  };
}
