/**
 * The IstioOperator fields deploy/istio-install uses, for the strict field check:
 * @kubernetes-models/istio types IstioOperator without a spec. From istio/istio
 * operator/pkg/apis/types.go (IstioOperatorSpec) and the MeshConfig / ProxyConfig protos
 * (istio/api mesh/v1alpha1); add a field here when the file starts using it.
 */
export interface IstioOperatorManifest {
  apiVersion: 'install.istio.io/v1alpha1';
  kind: 'IstioOperator';
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: IstioOperatorSpec;
}

export interface IstioOperatorSpec {
  profile?: string;
  installPackagePath?: string;
  hub?: string;
  tag?: string;
  namespace?: string;
  revision?: string;
  compatibilityVersion?: string;
  meshConfig?: MeshConfig;
  components?: Record<string, unknown>;
  values?: Values;
  unvalidatedValues?: unknown;
}

export interface MeshConfig {
  accessLogFile?: string;
  accessLogEncoding?: 'TEXT' | 'JSON';
  accessLogFormat?: string;
  enableTracing?: boolean;
  outboundTrafficPolicy?: { mode?: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
  defaultConfig?: ProxyConfig;
  trustDomain?: string;
}

export interface ProxyConfig {
  holdApplicationUntilProxyStarts?: boolean;
  proxyMetadata?: Record<string, string>;
}

export interface Values {
  global?: Record<string, unknown>;
  pilot?: { env?: Record<string, string>; resources?: unknown; autoscaleEnabled?: boolean };
  gateways?: Record<string, unknown>;
  meshConfig?: MeshConfig;
}
