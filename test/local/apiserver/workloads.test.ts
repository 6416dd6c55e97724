import { describe, expect, it } from 'vitest';
import { defaultContainer } from '../../../src/local/apiserver/defaults.ts';
import type { KubeObject } from '../../../src/local/apiserver/store.ts';
import { defaultWorkload, validateWorkload, validateWorkloadUpdate } from '../../../src/local/apiserver/workloads.ts';
import { toScale } from '../../../src/local/apiserver/scale.ts';

const deployment = (spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'web', namespace: 'team', uid: 'u1' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, ...spec },
});
const created = (kind: string, o: KubeObject): KubeObject => defaultWorkload(kind, o, defaultContainer);
const fields = (kind: string, o: KubeObject): (string | undefined)[] => validateWorkload(kind, created(kind, o)).map((c) => c.field);

describe('apps/v1 and batch/v1 defaults', () => {
  it('defaults a Deployment as kube-apiserver does', () => {
    const d = created('Deployment', deployment());
    expect(d.spec).toMatchObject({
      replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, securityContext: {},
        containers: [{ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }] } },
    });
    expect(d.spec).not.toHaveProperty('template.spec.tolerations');
  });

  it('gives a Job its generated selector and pod labels', () => {
    const j = created('Job', { metadata: { name: 'pi', namespace: 'team', uid: 'u9' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'perl' }] } } } });
    expect(j.spec).toMatchObject({
      parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u9' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u9', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u9', 'job-name': 'pi' } } },
    });
    expect(validateWorkload('Job', j)).toEqual([]);
  });
});

describe('validateWorkload', () => {
  it.each([
    ['a valid Deployment', 'Deployment', deployment(), []],
    ['no selector', 'Deployment', deployment({ selector: undefined }), ['spec.selector']],
    ['a selector the template does not match', 'Deployment', deployment({ selector: { matchLabels: { app: 'db' } } }), ['spec.template.metadata.labels']],
    ['an empty selector', 'ReplicaSet', deployment({ selector: {} }), ['spec.selector']],
    ['negative replicas', 'StatefulSet', deployment({ replicas: -1 }), ['spec.replicas']],
    ['a container without image', 'Deployment', deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } }), ['spec.template.spec.containers[0].image']],
    ['restartPolicy Never in a Deployment', 'Deployment', deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } }), ['spec.template.spec.restartPolicy']],
    ['maxSurge and maxUnavailable both 0', 'Deployment', deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }), ['spec.strategy.rollingUpdate.maxUnavailable']],
    ['Recreate with rollingUpdate', 'Deployment', deployment({ strategy: { type: 'Recreate', rollingUpdate: {} } }), ['spec.strategy.rollingUpdate']],
  ] as [string, string, KubeObject, string[]][])('%s', (_name, kind, o, expected) => {
    expect(fields(kind, o)).toEqual(expected);
  });

  it('refuses a Job whose pods restart Always', () => {
    const j = created('Job', { metadata: { name: 'pi', uid: 'u' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } });
    expect(validateWorkload('Job', j).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  });
});

describe('validateWorkloadUpdate', () => {
  it.each([
    ['the selector', 'Deployment', { selector: { matchLabels: { app: 'web', v: '2' } } }, ['spec.selector']],
    ['a StatefulSet\'s serviceName', 'StatefulSet', { serviceName: 'other' }, ['spec']],
    ['a StatefulSet\'s replicas and template', 'StatefulSet', { replicas: 5 }, []],
    ['a Job\'s template', 'Job', { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'other' }] } } }, ['spec.template']],
  ] as [string, string, Record<string, unknown>, string[]][])('may not change %s', (_name, kind, change, expected) => {
    const old = created(kind, deployment());
    const next = { ...old, spec: { ...(old.spec as object), ...change } };
    expect(validateWorkloadUpdate(kind, next, old).map((c) => c.field)).toEqual(expected);
  });
});

it('toScale shows replicas and the selector string', () => {
  const d = { ...created('Deployment', deployment({ replicas: 3 })), status: { replicas: 2 } };
  d.metadata.resourceVersion = '7';
  expect(toScale(d)).toEqual({
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: 'web', namespace: 'team', uid: 'u1', resourceVersion: '7', creationTimestamp: undefined },
    spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web' },
  });
});
