import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchApplyError } from '../../../src/local/apiserver/patch.ts';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'side:1' },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
  status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
});

describe('JSON patch', () => {
  const labels = (o: unknown) => (o as ReturnType<typeof pod>).metadata.labels;
  const finalizers = (o: unknown) => (o as ReturnType<typeof pod>).metadata.finalizers;
  it.each([
    ['add to a map', [{ op: 'add', path: '/metadata/labels/c', value: '3' }], labels, { a: '1', b: '2', c: '3' }],
    ['append to a list', [{ op: 'add', path: '/metadata/finalizers/-', value: 'y' }], finalizers, ['x', 'y']],
    ['insert into a list', [{ op: 'add', path: '/metadata/finalizers/0', value: 'w' }], finalizers, ['w', 'x']],
    ['replace', [{ op: 'replace', path: '/spec/containers/1/image', value: 'side:2' }], (o: unknown) => (o as ReturnType<typeof pod>).spec.containers[1]!.image, 'side:2'],
    ['remove', [{ op: 'remove', path: '/metadata/labels/a' }], labels, { b: '2' }],
    ['move', [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/z' }], labels, { b: '2', z: '1' }],
    ['copy', [{ op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/z' }], labels, { a: '1', b: '2', z: '1' }],
    ['test then replace', [{ op: 'test', path: '/metadata/labels/a', value: '1' }, { op: 'replace', path: '/metadata/labels/a', value: '9' }], labels, { a: '9', b: '2' }],
    ['escaped pointer', [{ op: 'add', path: '/metadata/labels/example.com~1x', value: 'y' }], labels, { a: '1', b: '2', 'example.com/x': 'y' }],
  ])('%s', (_name, ops, pick, expected) => {
    expect(pick(applyJsonPatch(pod(), ops))).toEqual(expected);
  });

  it.each([
    ['failed test', [{ op: 'test', path: '/metadata/labels/a', value: 'nope' }]],
    ['missing path', [{ op: 'replace', path: '/metadata/nothing/x', value: 1 }]],
    ['remove missing key', [{ op: 'remove', path: '/metadata/labels/zz' }]],
    ['index out of range', [{ op: 'add', path: '/metadata/finalizers/5', value: 'q' }]],
    ['unknown op', [{ op: 'frob', path: '/x' }]],
    ['not a list', { op: 'add' }],
  ])('rejects %s', (_name, ops) => {
    expect(() => applyJsonPatch(pod(), ops)).toThrow(PatchApplyError);
  });

  it('tests values regardless of key order', () => {
    const doc = { spec: { selector: { a: '1', b: '2' } } };
    expect(applyJsonPatch(doc, [{ op: 'test', path: '/spec/selector', value: { b: '2', a: '1' } }])).toEqual(doc);
  });

  it('does not modify its input', () => {
    const original = pod();
    applyJsonPatch(original, [{ op: 'remove', path: '/metadata/labels/a' }]);
    expect(original).toEqual(pod());
  });
});

describe('merge patch', () => {
  it.each([
    ['sets and deletes keys', { metadata: { labels: { a: null, c: '3' } } }, { a: undefined, b: '2', c: '3' }],
    ['replaces lists whole', { metadata: { finalizers: ['z'] } }, ['z']],
  ])('%s', (_n, patch, expected) => {
    const out = applyMergePatch(pod(), patch) as ReturnType<typeof pod>;
    const got = 'finalizers' in (patch.metadata as object) ? out.metadata.finalizers : out.metadata.labels;
    expect(got).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('replaces the containers list (no merge keys in merge patch)', () => {
    const out = applyMergePatch(pod(), { spec: { containers: [{ name: 'app', image: 'app:2' }] } }) as ReturnType<typeof pod>;
    expect(out.spec.containers).toEqual([{ name: 'app', image: 'app:2' }]);
  });
});

describe('strategic merge patch', () => {
  const smp = (patch: unknown) => applyStrategicMergePatch(pod(), patch, 'Pod') as ReturnType<typeof pod>;

  it('merges containers by name, keeping the others and untouched fields', () => {
    const out = smp({ spec: { containers: [{ name: 'app', image: 'app:2' }] } });
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([['app', 'app:2'], ['side', 'side:1']]);
    expect(out.spec.containers[0]!.env).toHaveLength(2);
  });

  it('merges env by name and ports by containerPort', () => {
    const out = smp({ spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'x' }, { name: 'C', value: '3' }], ports: [{ containerPort: 443 }] }] } });
    expect(out.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'x' }, { name: 'C', value: '3' }]);
    expect(out.spec.containers[0]!.ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }]);
  });

  it('adds a new container', () => {
    expect(smp({ spec: { containers: [{ name: 'new', image: 'n' }] } }).spec.containers.map((c) => c.name)).toEqual(['app', 'side', 'new']);
  });

  it('deletes a list element with $patch: delete', () => {
    expect(smp({ spec: { containers: [{ name: 'side', $patch: 'delete' }] } }).spec.containers.map((c) => c.name)).toEqual(['app']);
  });

  it('replaces a list with $patch: replace', () => {
    const out = smp({ spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } });
    expect(out.spec.containers).toEqual([{ name: 'only', image: 'o' }]);
  });

  it('replaces a map with $patch: replace and deletes one with $patch: delete', () => {
    expect(smp({ metadata: { labels: { $patch: 'replace', z: '9' } } }).metadata.labels).toEqual({ z: '9' });
    expect(smp({ metadata: { labels: { $patch: 'delete' } } }).metadata.labels).toBeUndefined();
  });

  it('orders with $setElementOrder', () => {
    const out = smp({ spec: { $setElementOrder: undefined, '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }], containers: [{ name: 'app', image: 'app:3' }] } });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['side', 'app']);
  });

  it('treats tolerations as atomic, as Kubernetes does', () => {
    expect(smp({ spec: { tolerations: [{ key: 'other', operator: 'Exists' }] } }).spec.tolerations).toEqual([{ key: 'other', operator: 'Exists' }]);
  });

  it('unions finalizers and deletes from them with $deleteFromPrimitiveList', () => {
    expect(smp({ metadata: { finalizers: ['y', 'x'] } }).metadata.finalizers).toEqual(['x', 'y']);
    expect(smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }).metadata.finalizers).toEqual([]);
  });

  it('merges status conditions by type', () => {
    const out = smp({ status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
  });

  it('honours $retainKeys on volumes', () => {
    const out = smp({ spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'configMap'], configMap: { name: 'cm' } }] } }) as unknown as { spec: { volumes: unknown[] } };
    expect(out.spec.volumes).toEqual([{ name: 'v', configMap: { name: 'cm' } }]);
  });

  it('deletes keys set to null', () => {
    expect(smp({ metadata: { labels: { a: null } } }).metadata.labels).toEqual({ b: '2' });
  });
});
