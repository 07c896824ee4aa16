import type { PathNormalization } from './resolve.ts';

/** Mesh-wide data path settings, the local counterparts of istiod's and meshconfig's. */
export interface MeshSettings {
  /**
   * Mirrored requests carry `<host>-shadow` as their authority. istiod's
   * `DISABLE_SHADOW_HOST_SUFFIX` defaults to true since 1.28 (no suffix); `deploy/istio-install`
   * sets it to "false", so the suffix stays, and so it does here by default.
   */
  readonly shadowHostSuffix: boolean;
  /** meshconfig `pathNormalization.normalization`; Istio's DEFAULT is BASE. */
  readonly pathNormalization: PathNormalization;
}

export const defaultMeshSettings: MeshSettings = Object.freeze({
  shadowHostSuffix: true,
  pathNormalization: 'BASE',
});
