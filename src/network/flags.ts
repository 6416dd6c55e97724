// The networking flags of `burstlet node`; the node command spreads `networkFlags` into its own.
import { boolFlag, enumFlag, intFlag, ipAddress, stringFlag } from '../flags/flags.ts';
import { DEFAULT_PROXY_MODE, PROXY_MODES } from './sidecar-injection.ts';
import { serviceRefFlag } from './service-ref.ts';

export const DEFAULT_SIDECAR_IMAGE = 'burstlet/network:0.1.0';
export const DEFAULT_SERVICE_DIRECTORY_PORT = 10270;

export const networkFlags = {
  'enable-networking': boolFlag(
    'Inject the burstlet-network sidecar into every burst pod, making ClusterIP Services and cluster DNS reachable from it',
  ),
  'sidecar-image': stringFlag('Image of the burstlet-network sidecar', DEFAULT_SIDECAR_IMAGE, 'an image reference'),
  'sidecar-proxy-mode': enumFlag(
    'How the sidecars take Service traffic to endpoints: nftables (DNAT in the pod\'s kernel, as kube-proxy; the image needs nft and conntrack) ' +
      'or userspace (listeners in the sidecar that dial endpoints, trying the next when a dial fails)',
    DEFAULT_PROXY_MODE,
    PROXY_MODES,
  ),
  'service-directory-address': {
    ...stringFlag('Address burst pods reach this node at, for the sidecars\' service directory (empty = --node-ip)', '', 'an IP address'),
    parse: ipAddress,
  },
  'service-directory-service': serviceRefFlag(
    'Service (namespace/name) whose endpoints are this Deployment\'s replicas on the directory port: a sidecar that cannot reach the address it was given tries them, ' +
      'so pods started before a leader handover find the new leader (empty = none)',
  ),
  'service-directory-port': intFlag(
    'Port of the sidecars\' service directory, a plain-HTTP WebSocket listener on --address where both ends prove they hold the pod\'s ' +
      'credential and every message is authenticated (not encrypted: see README, "Service directory transport")',
    DEFAULT_SERVICE_DIRECTORY_PORT, 1, 65535,
  ),
  'service-directory-tls': boolFlag(
    'Serve the service directory on the kubelet port over TLS instead of --service-directory-port: its contents are then encrypted too, ' +
      'at about four times the memory per connected sidecar',
  ),
} as const;
