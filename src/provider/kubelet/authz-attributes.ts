// How the kubelet turns a request into a SubjectAccessReview (kubelet's auth.go, classic
// mapping): everything is on `nodes/<node>`; the subresource follows the path; the verb
// follows the method, except on the streaming endpoints. There burstlet departs from the
// kubelet: a WebSocket upgrade is a GET, so the kubelet authorizes a WebSocket exec as `get`
// and `get nodes/proxy`, granted as read-only, runs commands in every container
// (kubernetes#136550, left open upstream). Exec, attach, port-forward and run are `create`
// whatever the method, as kube-apiserver does for pods/exec with
// AuthorizePodWebsocketUpgradeCreatePermission. README, "Kubelet API authorization".
export interface KubeletAuthzAttributes {
  verb: string;
  resource: 'nodes';
  subresource: string;
  name: string;
}

const VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function isSubpath(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

const STREAMING = ['/exec', '/attach', '/portForward', '/run'];

export function kubeletAuthzAttributes(method: string, path: string, nodeName: string): KubeletAuthzAttributes {
  const pathname = path.split('?')[0] ?? '/';
  let subresource = 'proxy';
  if (isSubpath(pathname, '/stats')) subresource = 'stats';
  else if (isSubpath(pathname, '/metrics')) subresource = 'metrics';
  else if (isSubpath(pathname, '/logs')) subresource = 'log';
  const verb = STREAMING.some((p) => isSubpath(pathname, p)) ? 'create' : (VERBS[method.toUpperCase()] ?? method.toLowerCase());
  return { verb, resource: 'nodes', subresource, name: nodeName };
}

/** The kubelet's 403 body, byte for byte. */
export function forbiddenMessage(user: string, attrs: KubeletAuthzAttributes): string {
  return `Forbidden (user=${user}, verb=${attrs.verb}, resource=${attrs.resource}, subresource(s)=[${attrs.subresource}])\n`;
}
