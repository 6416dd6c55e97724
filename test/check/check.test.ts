import { describe, expect, it } from 'vitest';
import { checkManifests, type CheckOptions, type CheckReport } from '../../src/check/check.ts';
import { ManifestError, parseManifests, sortManifests } from '../../src/check/manifests.ts';

const node = { name: 'burstlet-cci', clusterDomain: 'cluster.local', clusterDNS: ['10.247.3.10'], hostResolvConf: null, overflow: 'truncate' } as const;
const run = (yaml: string, over: { node?: Partial<CheckOptions['node']>; networking?: boolean } = {}): CheckReport =>
  checkManifests(sortManifests(parseManifests(yaml)), { node: { ...node, ...over.node }, networking: over.networking ?? false });

const tolerant = 'tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]';
/** A Deployment whose pod spec is `spec` (YAML flow mapping entries). */
const deployment = (spec: string, meta = ''): string => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}${meta}}
    spec: {${tolerant}, ${spec}}
`;
const app = (extra = ''): string => `containers: [{name: app, image: busybox${extra}}]`;
const reasons = (r: CheckReport): string[] => r.templates.flatMap((t) => t.findings.map((f) => `${f.severity}:${f.reason}`));

describe('checkManifests: can it burst (the translator\'s verdict)', () => {
  it.each([
    ['a plain Deployment', deployment(app()), true, undefined],
    ['a DaemonSet', deployment(app()).replace('kind: Deployment', 'kind: DaemonSet'), false, 'UnsupportedDaemonSet'],
    ['hostNetwork', deployment(`hostNetwork: true, ${app()}`), false, 'UnsupportedHostNetwork'],
    ['hostPath /var/log', deployment(`${app()}, volumes: [{name: v, hostPath: {path: /var/log}}]`), false, 'UnsupportedVolume'],
    ['hostPath /etc/localtime', deployment(`${app()}, volumes: [{name: v, hostPath: {path: /etc/localtime}}]`), true, undefined],
    ['a PersistentVolumeClaim', deployment(`${app()}, volumes: [{name: v, persistentVolumeClaim: {claimName: data}}]`), false, 'UnsupportedVolume'],
    ['a GPU', deployment(app(', resources: {limits: {nvidia.com/gpu: 1}}')), false, 'UnsupportedResource'],
    ['privileged', deployment(app(', securityContext: {privileged: true}')), false, 'PrivilegedNotSupported'],
    ['more than the largest flavor', deployment(app(', resources: {limits: {cpu: 65}}')), false, 'FlavorTooLarge'],
    ['an env source CCI cannot resolve', deployment(app(', env: [{name: X, valueFrom: {fileKeyRef: {path: a, key: b}}}]')), false, 'UnsupportedEnvVar'],
    ['a container without a name', deployment('containers: [{image: busybox}]'), false, 'InvalidManifest'],
    ['no containers', deployment('containers: []'), false, 'InvalidManifest'],
    ['env that is not a list (the API server would reject it)', deployment(app(', env: 5')), false, 'InvalidManifest'],
  ])('%s', (_name, yaml, canBurst, reason) => {
    const [t] = run(yaml).templates;
    expect(t).toMatchObject({ kind: expect.any(String), canBurst });
    expect(t!.refusal?.reason).toBe(reason);
  });

  it('fails the whole check when one template cannot burst', () => {
    expect(run(deployment(app())).ok).toBe(true);
    expect(run(`${deployment(app())}---\n${deployment(`hostNetwork: true, ${app()}`)}`).ok).toBe(false);
  });
});

describe('checkManifests: which pods a manifest creates', () => {
  const spec = `spec: {${tolerant}, restartPolicy: Never, ${app()}}`;
  it.each([
    ['Pod', `{apiVersion: v1, kind: Pod, metadata: {name: p}, ${spec}}`, 'spec'],
    ['Job', `{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {template: {${spec}}}}`, 'spec.template.spec'],
    ['CronJob', `{apiVersion: batch/v1, kind: CronJob, metadata: {name: c}, spec: {schedule: '* * * * *', jobTemplate: {spec: {template: {${spec}}}}}}`, 'spec.jobTemplate.spec.template.spec'],
    ['StatefulSet', `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: s}, spec: {serviceName: s, template: {${spec}}}}`, 'spec.template.spec'],
    ['ReplicaSet', `{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: r}, spec: {template: {${spec}}}}`, 'spec.template.spec'],
    ['ReplicationController', `{apiVersion: v1, kind: ReplicationController, metadata: {name: r}, spec: {template: {${spec}}}}`, 'spec.template.spec'],
    ['PodTemplate', `{apiVersion: v1, kind: PodTemplate, metadata: {name: t}, template: {${spec}}}`, 'template.spec'],
  ])('%s', (kind, yaml, specPath) => {
    expect(run(yaml).templates).toMatchObject([{ kind, specPath, canBurst: true, namespace: 'default' }]);
  });

  it('reads every document, JSON and Lists, and names what it does not check', () => {
    const yaml = `${deployment(app())}---\n{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}]}},{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}]}\n---\n`;
    const r = run(yaml);
    expect(r.templates.map((t) => [t.kind, t.name, t.document])).toEqual([['Deployment', 'web', 1], ['Pod', 'p', 2]]);
    expect(r.ignored).toEqual([{ kind: 'Namespace', name: 'team', file: '-', document: 2 }]);
  });

  it.each([
    ['not YAML', 'a: [', /document 1: Flow sequence/],
    ['a document that is no object', '--- 5', /document 1: not a Kubernetes object/],
    ['an object without kind', 'apiVersion: v1\nmetadata: {name: x}', /not a Kubernetes object \(it needs a "kind"\)/],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nkind: X`, /document 1: Excessive alias count/],
  ])('refuses %s naming the document', (_name, yaml, message) => {
    expect(() => parseManifests(yaml)).toThrow(ManifestError);
    expect(() => parseManifests(yaml)).toThrow(message);
  });
});

describe('checkManifests: flavor and why', () => {
  it.each([
    ['defaults', app(), false, '250m', '512Mi', [['app', '250m', 'default', '512Mi', 'default']]],
    ['the sidecar counts with networking', app(), true, '500m', '1Gi', [['burstlet-network', '250m', 'limit', '128Mi', 'limit'], ['app', '250m', 'default', '512Mi', 'default']]],
    ['YAML numbers as quantities; limit over request', app(', resources: {requests: {cpu: 1, memory: 1Gi}, limits: {memory: 3Gi}}'), false, '1', '3Gi', [['app', '1', 'request', '3Gi', 'limit']]],
    ['a larger init container', `initContainers: [{name: init, image: x, resources: {limits: {cpu: 2, memory: 4Gi}}}], ${app()}`, false, '2', '4Gi',
      [['app', '250m', 'default', '512Mi', 'default'], ['init', '2', 'limit', '4Gi', 'limit']]],
  ])('%s', (_name, spec, networking, cpu, memory, containers) => {
    const flavor = run(deployment(spec), { networking }).templates[0]!.flavor!;
    expect([flavor.cpu, flavor.memory]).toEqual([cpu, memory]);
    expect(flavor.containers.map((c) => [c.name, c.cpu, c.cpuFrom, c.memory, c.memoryFrom])).toEqual(containers);
    expect(flavor.why).toContain(`${cpu} CPU / ${memory} is the smallest CCI 2.0 flavor that holds it`);
  });
});

describe('checkManifests: resolv.conf for the --cluster-dns given', () => {
  it.each([
    ['ClusterFirst', app(), {}, 'nameserver 10.247.3.10\nsearch team.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n', []],
    ['no --cluster-dns', app(), { clusterDNS: [] }, 'nameserver 127.0.0.1\nsearch .\n', ['MissingClusterDNS']],
    ['more than 3 nameservers, truncated', `dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]}, ${app()}`, {},
      'nameserver 10.247.3.10\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch team.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n', ['DNSConfigForming']],
    ['dnsPolicy None', `dnsPolicy: None, dnsConfig: {nameservers: [198.18.0.53], searches: [corp]}, ${app()}`, {}, 'nameserver 198.18.0.53\nsearch corp\n', []],
  ])('%s', (_name, spec, dns, resolvConf, events) => {
    const t = run(deployment(spec), { node: dns }).templates[0]!;
    expect(t.resolvConf).toBe(resolvConf);
    expect(t.events.map((e) => e.reason)).toEqual(events);
  });

  it('refuses more than 3 nameservers with --dns-nameserver-overflow=reject', () => {
    const t = run(deployment(`dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]}, ${app()}`), { node: { overflow: 'reject' } }).templates[0]!;
    expect(t).toMatchObject({ canBurst: false, refusal: { reason: 'DNSNameserverLimitExceeded' } });
  });
});

describe('checkManifests: CCE constraints met', () => {
  it.each([
    ['nothing', deployment(app()), []],
    ['an init container calling a Service', deployment(`initContainers: [{name: wait, image: busybox, command: [sh, -c, 'until nc -z db 5432; do sleep 1; done']}], ${app()}`), ['warning:InitContainerCallsService']],
    ['an init container that calls nothing', deployment(`initContainers: [{name: setup, image: busybox, command: [cp, -r, /src, /dst]}], ${app()}`), []],
    ['a postStart hook calling a Service', deployment(app(', lifecycle: {postStart: {exec: {command: [curl, "http://config:8080/"]}}}')), ['warning:PostStartHookCallsService']],
    ['a postStart hook', deployment(app(', lifecycle: {postStart: {exec: {command: [touch, /ready]}}}')), ['info:PostStartHookBlocks']],
    ['an app calling a Service without networking', deployment(app(', command: [wget, "http://api:8080/"]')), ['warning:NoServiceAccess']],
    ['hostPort', deployment(app(', ports: [{containerPort: 80, hostPort: 80}]')), ['warning:HostPortIgnored']],
    ['a TCP startupProbe', deployment(app(', startupProbe: {tcpSocket: {port: 80}}')), ['info:TCPStartupProbe']],
    ['a pinned flavor', deployment(app(), ', annotations: {resource.cci.io/pod-size-specs: "2.00_4.0"}'), ['warning:FlavorPinIgnored']],
    ['no toleration', deployment(app()).replace(`${tolerant}, `, ''), ['info:NotScheduledOnVirtualNode']],
    ['a nodeSelector for another node', deployment(`nodeSelector: {kubernetes.io/hostname: cluster-node-1}, ${app()}`), ['info:NotScheduledOnVirtualNode']],
    ['a nodeSelector for the virtual node', deployment(`nodeSelector: {type: virtual-kubelet}, ${app()}`), []],
    ['a ConfigMap not among the manifests', deployment(app(', envFrom: [{configMapRef: {name: cfg}}]')), ['info:WaitsForObject']],
    ['a ConfigMap among them', `${deployment(app(', envFrom: [{configMapRef: {name: cfg}}]'))}---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: team}, data: {A: b}}`, []],
    ['a Secret with stringData among them', `${deployment(app(', env: [{name: P, valueFrom: {secretKeyRef: {name: s, key: p}}}]'))}---\n{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: team}, stringData: {p: x}}`, []],
    ['the cluster\'s own kube-root-ca.crt', deployment(`${app(', volumeMounts: [{name: ca, mountPath: /ca}]')}, volumes: [{name: ca, configMap: {name: kube-root-ca.crt}}]`), []],
  ])('%s', (_name, yaml, expected) => {
    const r = run(yaml);
    expect(reasons(r)).toEqual(expected);
    expect(r.ok).toBe(true);
  });

  it('marks heuristic findings as such', () => {
    const r = run(deployment(`initContainers: [{name: wait, image: busybox, command: [nslookup, db.team.svc.cluster.local]}], ${app()}`));
    expect(r.templates[0]!.findings[0]).toMatchObject({ heuristic: true, message: expect.stringContaining('heuristic') });
  });

  it('lists the events burstlet node posts with networking (init containers, postStart hooks)', () => {
    const r = run(deployment(`initContainers: [{name: i, image: x}], ${app(', lifecycle: {postStart: {exec: {command: [true]}}}')}`), { networking: true });
    expect(r.templates[0]!.events.map((e) => e.reason)).toEqual(['NetworkUnavailableToInitContainers', 'PostStartHookBeforeNetwork']);
  });

  const lb = (annotations: string): string =>
    `{apiVersion: v1, kind: Service, metadata: {name: lb, annotations: {${annotations}}}, spec: {type: LoadBalancer, ports: [{port: 80}]}}`;
  it.each([
    ['a custom health-check port', lb(`kubernetes.io/elb.health-check-option: '{"protocol":"TCP","monitor_port":"22"}'`), ['error:LoadBalancerHealthCheckPort', 'info:LoadBalancerSecurityGroup'], false],
    ['per-port health checks with a monitor_port', lb(`kubernetes.io/elb.health-check-options: '[{"target_service_port":"TCP:80","monitor_port":"22"}]'`), ['error:LoadBalancerHealthCheckPort', 'info:LoadBalancerSecurityGroup'], false],
    ['a health check on the Service port', lb(`kubernetes.io/elb.health-check-option: '{"protocol":"TCP"}'`), ['info:LoadBalancerSecurityGroup'], true],
    ['a ClusterIP Service', '{apiVersion: v1, kind: Service, metadata: {name: c}, spec: {ports: [{port: 80}]}}', [], true],
  ])('Service: %s', (_name, yaml, expected, ok) => {
    const r = run(yaml);
    expect(r.services[0]!.findings.map((f) => `${f.severity}:${f.reason}`)).toEqual(expected);
    expect(r.ok).toBe(ok);
  });
});
