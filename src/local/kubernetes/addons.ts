// What the real control plane gets on top of its own bootstrap objects before the add-ons run:
// RBAC for CoreDNS and metrics-server (their upstream manifests' rules, bound to the users of
// their client certificates) and the metrics.k8s.io APIService. Created with the admin identity.
import type { V1ClusterRole, V1ClusterRoleBinding, V1RoleBinding, V1Service, RbacV1Subject } from '@kubernetes/client-node';
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { COMPONENT_USERS } from './certs.ts';
import { isAlreadyExists } from '../../kube/errors.ts';

const user = (name: string): RbacV1Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const readOnly = ['get', 'list', 'watch'];

function clusterRoleBinding(name: string, role: string, subject: RbacV1Subject): V1ClusterRoleBinding {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [subject] };
}

/** kubeadm's system:coredns role. */
const corednsRole: V1ClusterRole = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'system:coredns' },
  rules: [
    { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  ],
};

/** metrics-server's components.yaml roles. */
const metricsServerRoles: V1ClusterRole[] = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'system:metrics-server' },
    rules: [
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: readOnly },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: 'system:aggregated-metrics-reader',
      labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' },
    },
    rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: readOnly }],
  },
];

const metricsServerAuthReader: V1RoleBinding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'metrics-server-auth-reader', namespace: 'kube-system' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
  subjects: [user(COMPONENT_USERS['metrics-server'])],
};

/**
 * The Service the APIService names. metrics-server runs on the host's loopback, which no
 * Endpoints may hold (validation refuses 127.0.0.0/8), and there is no kube-proxy to carry a
 * ClusterIP: an ExternalName of 127.0.0.1 is what the aggregator's cluster routing dials as is.
 */
const metricsServerService: V1Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'metrics-server', namespace: 'kube-system', labels: { 'k8s-app': 'metrics-server' } },
  spec: { type: 'ExternalName', externalName: '127.0.0.1' },
};

function metricsApiService(port: number, caPem: string): object {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: 'v1beta1.metrics.k8s.io', labels: { 'k8s-app': 'metrics-server' } },
    spec: {
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      service: { name: 'metrics-server', namespace: 'kube-system', port },
      caBundle: Buffer.from(caPem).toString('base64'),
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  };
}

const PATHS: Record<string, string> = {
  ClusterRole: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings',
  Service: '/api/v1/namespaces/kube-system/services',
  APIService: '/apis/apiregistration.k8s.io/v1/apiservices',
};

/** The objects, in creation order (roles before the APIService that makes them needed). */
export function addonObjects(metricsServerPort: number, caPem: string): { kind: string; body: object }[] {
  const objects: { kind: string; body: object }[] = [
    corednsRole,
    clusterRoleBinding('system:coredns', 'system:coredns', user(COMPONENT_USERS.coredns)),
    ...metricsServerRoles,
    clusterRoleBinding('system:metrics-server', 'system:metrics-server', user(COMPONENT_USERS['metrics-server'])),
    clusterRoleBinding('metrics-server:system:auth-delegator', 'system:auth-delegator', user(COMPONENT_USERS['metrics-server'])),
    metricsServerAuthReader,
    metricsServerService,
    metricsApiService(metricsServerPort, caPem),
  ].map((body) => ({ kind: (body as { kind: string }).kind, body }));
  return objects;
}

/** Creates the add-ons' objects (an object that exists already is left as it is). */
export async function createAddonObjects(adminKubeconfig: string, metricsServerPort: number, caPem: string): Promise<void> {
  const client = await KubeClient.create(loadKubeConfig(adminKubeconfig));
  try {
    for (const { kind, body } of addonObjects(metricsServerPort, caPem)) {
      try {
        await client.request('POST', PATHS[kind]!, { body });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  } finally {
    await client.close();
  }
}
