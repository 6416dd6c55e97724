// The layers of src/, bottom to top. A folder imports only from folders of lower layers (and
// within itself): nothing sideways, nothing upward. eslint.config.js makes this one
// no-restricted-imports rule per folder; test/architecture/layers.test.ts resolves every import
// in src/ (dynamic ones too) against the same table. README.md ("Layout") says what each holds.
export const LAYERS = [
  { name: 'leaf', folders: ['log', 'tls', 'net', 'program'] },
  { name: 'base', folders: ['kube', 'streams', 'flags'] },
  { name: 'backend', folders: ['cci', 'scheduling'] },
  { name: 'features', folders: ['network', 'provider', 'policy'] },
  { name: 'providers', folders: ['cci-provider'] },
  { name: 'programs', folders: ['sidecar', 'local', 'mock-cci', 'check'] },
  { name: 'command', folders: ['cli'] },
];

/** Imports the layer order would allow but the design does not (`to`: a folder, or a file under src/). */
export const FORBIDDEN = [
  { from: 'provider', to: 'cci', why: 'the generic virtual node knows nothing of CCI; cci-provider is CCI as its provider' },
  { from: 'mock-cci', to: 'cci/flavor.ts', why: 'the mock states CCI\'s flavor rules itself, so that it catches a translator flavor bug' },
];

