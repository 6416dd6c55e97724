// TokenReview and SubjectAccessReview against the cluster, for the kubelet's auth.
import type { KubeClient } from '../../kube/client.ts';
import type { ReviewClient, UserInfo } from './auth.ts';
import type { KubeletAuthzAttributes } from './authz-attributes.ts';

interface TokenReviewStatus {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}
interface SubjectAccessReviewStatus {
  status?: { allowed?: boolean };
}

export function kubeReviewClient(kube: KubeClient): ReviewClient {
  return {
    async tokenReview(token: string): Promise<UserInfo | null> {
      const review = await kube.request<TokenReviewStatus>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      const user = review.status?.user;
      if (!review.status?.authenticated || !user?.username) return null;
      return { username: user.username, groups: user.groups ?? [], uid: user.uid, extra: user.extra };
    },
    async subjectAccessReview(user: UserInfo, attrs: KubeletAuthzAttributes): Promise<boolean> {
      const review = await kube.request<SubjectAccessReviewStatus>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            groups: user.groups,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            resourceAttributes: { verb: attrs.verb, resource: attrs.resource, subresource: attrs.subresource, name: attrs.name },
          },
        },
      });
      return review.status?.allowed === true;
    },
  };
}
