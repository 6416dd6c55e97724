// The networking flags of `burstlet node`; the node command spreads `networkFlags` into its own.
import { boolFlag, ipAddress, stringFlag } from '../cli/flags.ts';

export const DEFAULT_SIDECAR_IMAGE = 'burstlet/network:0.1.0';

export const networkFlags = {
  'enable-networking': boolFlag(
    'Inject the burstlet-network sidecar into every burst pod, making ClusterIP Services and cluster DNS reachable from it',
  ),
  'sidecar-image': stringFlag('Image of the burstlet-network sidecar', DEFAULT_SIDECAR_IMAGE, 'an image reference'),
  'service-directory-address': {
    ...stringFlag('Address burst pods reach this node\'s kubelet port at, for the sidecars\' service directory (empty = --node-ip)', '', 'an IP address'),
    parse: ipAddress,
  },
} as const;
