import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { V1ClusterRole, V1Deployment, V1Role, V1Service } from '@kubernetes/client-node';
import { defineSubcommand, parseFlags } from '../../src/flags/flags.ts';
import { dnsFlags } from '../../src/network/dns/flags.ts';
import nodeCommand from '../../src/cli/node.ts';
import { POLICIES } from '../../src/policy/policy.ts';
import { PROFILE_GROUP, PROFILE_PLURAL, PROFILE_VERSION } from '../../src/policy/profile.ts';
import { EXCLUDED_NAMESPACES } from '../../src/policy/service.ts';

const dir = join(import.meta.dirname, '../../manifests');
const load = (file: string): Record<string, unknown>[] =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Record<string, unknown>;
  });
const yamlFiles = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const objects = yamlFiles.flatMap(load);
const find = <T>(kind: string, name: string): T => {
  const found = objects.find((o) => o.kind === kind && (o.metadata as { name: string }).name === name);
  if (!found) throw new Error(`no ${kind} ${name} in manifests/`);
  return found as T;
};

describe('manifests/', () => {
  it('the Kustomization lists every .yaml file (so -k and -f apply the same objects)', () => {
    const [k] = load('Kustomization') as { kind: string; resources: string[] }[];
    expect(k!.kind).toBe('Kustomization');
    expect([...k!.resources].sort()).toEqual(yamlFiles);
  });

  it('the Deployment is the CCE add-on one and runs burstlet node', () => {
    const d = find<V1Deployment>('Deployment', 'cceaddon-virtual-kubelet-virtual-kubelet');
    expect(d.metadata?.namespace).toBe('kube-system');
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.command).toEqual(['burstlet', 'node']);
    expect(d.spec!.template.spec!.serviceAccountName).toBe('burstlet');
    const names = c.args!.map((a) => a.replace(/=.*/, ''));
    expect(names).toEqual(expect.arrayContaining(['--nodename', '--cci-endpoint', '--cci-namespace', '--cci-token-file', '--cluster-dns', '--cluster-domain', '--enable-networking']));
    const tokenDir = c.volumeMounts!.find((m) => m.name === 'cci-credentials')!.mountPath;
    expect(c.args).toContain(`--cci-token-file=${tokenDir}/token`);
  });

  it('the Deployment DNS args pass the node command\'s DNS flags', () => {
    const d = find<V1Deployment>('Deployment', 'cceaddon-virtual-kubelet-virtual-kubelet');
    const args = d.spec!.template.spec!.containers[0]!.args!;
    const dnsArgs = args.filter((a) => Object.keys(dnsFlags).includes(a.slice(2).replace(/=.*/, '')));
    const command = defineSubcommand({ name: 'node', summary: '', flags: { ...dnsFlags }, run() {} });
    expect(parseFlags(command, dnsArgs)).toEqual({
      'cluster-dns': ['198.19.0.10'], 'cluster-domain': 'cluster.local', 'resolv-conf': '', 'dns-nameserver-overflow': 'truncate',
    });
  });

  it('every Deployment arg parses with burstlet node\'s own flags', () => {
    const d = find<V1Deployment>('Deployment', 'cceaddon-virtual-kubelet-virtual-kubelet');
    const c = d.spec!.template.spec!.containers[0]!;
    // The kubelet expands $(VAR) from the container env before burstlet sees it.
    const env = new Map(c.env!.map((e) => [e.name, e.name === 'POD_IP' ? '198.18.3.4' : e.value ?? '']));
    const args = c.args!.map((a) => a.replace(/\$\((\w+)\)/g, (_m, v: string) => env.get(v) ?? ''));
    const v = parseFlags(nodeCommand, args);
    expect(v['node-ip']).toBe('198.18.3.4');
    expect(v['client-ca-file']).toBe('/etc/burstlet/cluster-ca/ca.crt');
    expect(v['enable-networking']).toBe(true);
  });

  it('RBAC grants exactly what burstlet touches', () => {
    const role = find<V1ClusterRole>('ClusterRole', 'burstlet');
    const grants = role.rules!.flatMap((r) => r.apiGroups!.flatMap((g) => r.resources!.map((res) => `${g}/${res}${r.resourceNames ? `[${r.resourceNames.join(',')}]` : ''}: ${r.verbs.join(',')}`))).sort();
    expect(grants).toEqual([
      '/configmaps: list,watch',
      '/events: create,patch',
      '/namespaces[kube-system]: get',
      '/nodes/status: patch',
      '/nodes: create,patch,delete,list',
      '/pods/status: patch',
      '/pods: list,watch,delete',
      '/secrets: get,list,watch',
      '/serviceaccounts/token: create',
      '/services: list,watch',
      'authentication.k8s.io/tokenreviews: create',
      'authorization.k8s.io/subjectaccessreviews: create',
      'discovery.k8s.io/endpointslices: list,watch',
    ]);
    const lease = find<V1Role>('Role', 'burstlet-node-lease');
    expect(lease.metadata?.namespace).toBe('kube-node-lease');
    expect(lease.rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
  });

  it('bindings point the roles at the burstlet ServiceAccount', () => {
    const sa = { kind: 'ServiceAccount', name: 'burstlet', namespace: 'kube-system' };
    find('ServiceAccount', 'burstlet');
    expect((find('ClusterRoleBinding', 'burstlet') as { subjects: unknown[] }).subjects).toEqual([sa]);
    expect((find('RoleBinding', 'burstlet-node-lease') as { subjects: unknown[] }).subjects).toEqual([sa]);
    expect((find('ClusterRoleBinding', 'burstlet-policy') as { subjects: unknown[] }).subjects).toEqual([sa]);
    expect((find('RoleBinding', 'burstlet-policy') as { subjects: unknown[] }).subjects).toEqual([sa]);
    expect((find('RoleBinding', 'burstlet-leader-election') as { subjects: unknown[] }).subjects).toEqual([sa]);
  });

  it('high availability: replicas that elect a leader on the node\'s Lease, one per machine, ready as standbys, evicted one at a time', () => {
    const d = find<V1Deployment>('Deployment', 'cceaddon-virtual-kubelet-virtual-kubelet');
    const spec = d.spec!.template.spec!;
    const c = spec.containers[0]!;
    expect(d.spec!.replicas).toBeGreaterThanOrEqual(2);
    const v = parseFlags(nodeCommand, c.args!.map((a) => a.replace('$(POD_IP)', '198.18.3.4')));
    expect(v['leader-elect']).toBe(true);
    // The Role names the Lease the flags choose.
    const role = find<V1Role>('Role', 'burstlet-leader-election');
    expect(role.metadata?.namespace).toBe(v['leader-elect-resource-namespace']);
    expect(role.rules!.find((r) => r.resourceNames)!.resourceNames).toEqual([v['leader-elect-resource-name'] || `burstlet-node-${v.nodename}`]);
    expect(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: d.spec!.selector.matchLabels },
    });
    // Standbys serve the webhook, not the kubelet port: readiness on the kubelet port would keep them unready.
    expect(c.readinessProbe?.tcpSocket?.port).toBe('webhook');
    const pdb = find<{ spec: { maxUnavailable: number; selector: unknown } }>('PodDisruptionBudget', 'burstlet');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: d.spec!.selector });
    // Sidecars find the new leader's directory among the replicas: the Service the flag names
    // selects them, on the directory port.
    const [ns, name] = v['service-directory-service'].split('/');
    const dir = find<V1Service>('Service', name!);
    expect(dir.metadata?.namespace).toBe(ns);
    expect(dir.spec?.selector).toEqual(d.spec!.selector.matchLabels);
    const port = c.ports!.find((p) => p.containerPort === v['service-directory-port'])!;
    expect(dir.spec?.ports?.[0]?.targetPort).toBe(port.name);
  });

  it('the burst policy\'s grants: reads for what it matches, writes only to its own objects', () => {
    const rules = find<V1ClusterRole>('ClusterRole', 'burstlet-policy').rules!;
    const grants = rules.flatMap((r) => r.apiGroups!.flatMap((g) => r.resources!.map((res) => `${g}/${res}${r.resourceNames ? `[${r.resourceNames.join(',')}]` : ''}: ${r.verbs.join(',')}`))).sort();
    expect(grants).toEqual([
      '/namespaces: list,watch',
      '/nodes: list,watch',
      '/pods/eviction: create',
      '/pods: patch',
      'admissionregistration.k8s.io/mutatingwebhookconfigurations[burstlet]: get,update',
      'apps/deployments: get,list,watch',
      'apps/replicasets: get,list,watch',
      'apps/statefulsets: get,list,watch',
      'batch/jobs: get,list,watch',
      'scheduling.cci.io/scheduleprofiles/status: patch',
      'scheduling.cci.io/scheduleprofiles: list,watch',
    ]);
    const role = find<V1Role>('Role', 'burstlet-policy');
    expect(role.metadata?.namespace).toBe('kube-system');
    expect(role.rules!.filter((r) => r.verbs.some((v) => v !== 'create')).every((r) => r.resourceNames?.length === 1)).toBe(true);
  });

  it('the webhook: Ignore on failure, kube-system left out, pod creations only, the Service in front of the Deployment\'s port', () => {
    const mwc = find<{ webhooks: { failurePolicy: string; sideEffects: string; admissionReviewVersions: string[]; namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] }; rules: { operations: string[]; resources: string[] }[]; clientConfig: { service: { namespace: string; name: string; path: string; port: number } } }[] }>('MutatingWebhookConfiguration', 'burstlet');
    const [w] = mwc.webhooks;
    expect(w).toMatchObject({ failurePolicy: 'Ignore', sideEffects: 'None', admissionReviewVersions: ['v1'], rules: [{ operations: ['CREATE'], resources: ['pods'] }] });
    expect(w!.namespaceSelector.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...EXCLUDED_NAMESPACES] }]);
    const d = find<V1Deployment>('Deployment', 'cceaddon-virtual-kubelet-virtual-kubelet');
    const c = d.spec!.template.spec!.containers[0]!;
    const v = parseFlags(nodeCommand, c.args!.map((a) => a.replace(/\$\(\w+\)/g, '198.18.3.4')));
    expect(v['webhook-service']).toEqual({ namespace: w!.clientConfig.service.namespace, name: w!.clientConfig.service.name });
    expect(w!.clientConfig.service.path).toBe('/mutate');
    expect(v['webhook-configuration']).toBe('burstlet');
    const svc = find<{ metadata: { namespace: string }; spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] } }>('Service', 'burstlet-webhook');
    expect(svc.metadata.namespace).toBe(w!.clientConfig.service.namespace);
    expect(svc.spec.ports[0]!.port).toBe(w!.clientConfig.service.port);
    expect(c.ports!.find((p) => p.name === svc.spec.ports[0]!.targetPort)?.containerPort).toBe(v['webhook-port']);
    expect(svc.spec.selector).toEqual(d.spec!.selector.matchLabels);
  });

  it('the ScheduleProfile CRD: CCE\'s group, version and fields, every strategy burstlet knows and no other', () => {
    const crd = find<{ spec: { group: string; names: { plural: string }; versions: { name: string; subresources: unknown; schema: { openAPIV3Schema: { properties: { spec: { required: string[]; properties: Record<string, { enum?: string[]; properties?: Record<string, { properties?: Record<string, { minimum?: number }> }> }> } } } } }[] } }>('CustomResourceDefinition', `${PROFILE_PLURAL}.${PROFILE_GROUP}`);
    expect(crd.spec.group).toBe(PROFILE_GROUP);
    expect(crd.spec.names.plural).toBe(PROFILE_PLURAL);
    const [version] = crd.spec.versions;
    expect(version!.name).toBe(PROFILE_VERSION);
    expect(version!.subresources).toEqual({ status: {} });
    const spec = version!.schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['objectLabels', 'strategy']);
    expect(spec.properties.strategy!.enum).toEqual([...POLICIES]);
    expect(spec.properties.location!.properties!.local!.properties!.maxNum!.minimum).toBe(0);
  });
});
