import type { Source } from '../manifests/model.ts';

/**
 * Oldest first, as Istio orders rules (pilot/pkg/model/config.go `configCompareByCreationTime`):
 * by `metadata.creationTimestamp`, equal times by name then namespace. An object without one was
 * created locally when applied, after any written time: those keep their apply order.
 */
export function byCreation<T extends Source>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => {
    if (a.createdAt === undefined || b.createdAt === undefined) {
      if (a.createdAt === b.createdAt) return 0;
      return a.createdAt === undefined ? 1 : -1;
    }
    if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
  });
}
