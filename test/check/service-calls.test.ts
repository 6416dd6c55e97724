import { describe, expect, it } from 'vitest';
import { serviceCalls } from '../../src/check/service-calls.ts';

const ctx = { services: new Set(['config', 'web']), clusterDomain: 'cluster.local' };
const sh = (script: string): string[] => ['sh', '-c', script];

describe('serviceCalls (heuristic)', () => {
  it.each([
    ['the Kubernetes docs init container', sh('until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting; sleep 2; done'), ['myservice.$….svc.cluster.local']],
    ['a full Service DNS name in a URL', ['curl', '-sf', 'http://db.team.svc.cluster.local:5432/'], ['http://db.team.svc.cluster.local:5432/']],
    ['name.namespace.svc', ['wget', '-qO-', 'http://api.shop.svc/health'], ['http://api.shop.svc/health']],
    ['curl of a one-label URL host', sh('curl -sf http://backend:8080/ready && echo ok'), ['curl http://backend:8080/ready']],
    ['nc of a one-label host', sh('until nc -z db 5432; do sleep 1; done'), ['nc db']],
    ['a Service of the manifests, bare', ['curl', 'config'], ['curl config']],
    ['a Service-link variable', sh('curl http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/'), ['$WEB_SERVICE_HOST']],
    ['a tool by path', ['/usr/bin/nslookup', 'redis'], ['nslookup redis']],
  ])('finds %s', (_name, command, evidence) => {
    expect(serviceCalls(command, ctx)).toEqual(evidence);
  });

  it.each([
    ['no tool', ['sleep', 'infinity']],
    ['an external FQDN', ['curl', '-sf', 'https://example.com/install.sh']],
    ['localhost', ['curl', 'http://localhost:8080/']],
    ['an IP address', ['nc', '-z', '198.18.0.7', '80']],
    ['curl option values are not hosts', ['curl', '-o', 'out', '-X', 'POST', 'https://example.com/']],
    ['a word after the tool\'s command ends', sh('nc -z 198.18.0.1 80 && echo done')],
    ['a service-account path alone', ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace']],
  ])('finds nothing for %s', (_name, command) => {
    expect(serviceCalls(command, ctx)).toEqual([]);
  });
});
