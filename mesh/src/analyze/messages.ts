/**
 * The istioctl analyze messages the runtime implements, with Istio's codes, levels and templates
 * (istio/istio pkg/config/analysis/msg/messages.yaml), and the runtime's own MESH0001.
 */

export type Level = 'Error' | 'Warning' | 'Info';

export interface MessageType {
  readonly code: string;
  readonly name: string;
  readonly level: Level;
}

export const messageTypes = {
  ReferencedResourceNotFound: { code: 'IST0101', name: 'ReferencedResourceNotFound', level: 'Error' },
  SchemaValidationError: { code: 'IST0106', name: 'SchemaValidationError', level: 'Error' },
  ConflictingMeshGatewayVirtualServiceHosts: {
    code: 'IST0109',
    name: 'ConflictingMeshGatewayVirtualServiceHosts',
    level: 'Error',
  },
  VirtualServiceDestinationPortSelectorRequired: {
    code: 'IST0112',
    name: 'VirtualServiceDestinationPortSelectorRequired',
    level: 'Error',
  },
  PortNameIsNotUnderNamingConvention: {
    code: 'IST0118',
    name: 'PortNameIsNotUnderNamingConvention',
    level: 'Info',
  },
  VirtualServiceUnreachableRule: { code: 'IST0130', name: 'VirtualServiceUnreachableRule', level: 'Warning' },
  VirtualServiceIneffectiveMatch: { code: 'IST0131', name: 'VirtualServiceIneffectiveMatch', level: 'Info' },
  VirtualServiceHostNotFoundInGateway: {
    code: 'IST0132',
    name: 'VirtualServiceHostNotFoundInGateway',
    level: 'Warning',
  },
  IngressRouteRulesNotAffected: { code: 'IST0140', name: 'IngressRouteRulesNotAffected', level: 'Warning' },
  ConflictingGateways: { code: 'IST0145', name: 'ConflictingGateways', level: 'Error' },
  DestinationRuleSubsetNotSelectPods: {
    code: 'IST0173',
    name: 'DestinationRuleSubsetNotSelectPods',
    level: 'Error',
  },
  UnknownDestinationRuleHost: { code: 'IST0174', name: 'UnknownDestinationRuleHost', level: 'Warning' },
  /**
   * Not Istio's: a kind or field that Istio (or Kubernetes) accepts and the local runtime does not
   * implement, so `mesh apply` refuses it. A Warning: the object is fine on a cluster.
   */
  NotImplementedLocally: { code: 'MESH0001', name: 'NotImplementedLocally', level: 'Warning' },
} as const satisfies Record<string, MessageType>;

export interface ResourceOrigin {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly file?: string | undefined;
  /** Line in `file` of the field at fault, else of the object's first field. */
  readonly line?: number | undefined;
}

export interface AnalysisMessage {
  readonly code: string;
  readonly name: string;
  readonly level: Level;
  readonly origin: ResourceOrigin;
  /** Istio's wording. */
  readonly message: string;
  /** What it means for this app, in words a tutorial reader understands. */
  readonly hint?: string | undefined;
  /** The field at fault, when known (`spec.http[0].route`). */
  readonly field?: string | undefined;
}

export function message(
  type: MessageType,
  origin: ResourceOrigin,
  text: string,
  hint?: string,
  field?: string,
): AnalysisMessage {
  return Object.freeze({
    code: type.code,
    name: type.name,
    level: type.level,
    origin,
    message: text,
    hint,
    field,
  });
}

/**
 * `Error [IST0101] (VirtualService music/back-virtualservice tutorial.yaml:12) Referenced ...`, as
 * istioctl prints it (pkg/config/analysis/diag/message.go `Origin`).
 */
export function formatMessage(msg: AnalysisMessage): string {
  const { kind, namespace, name, file, line: at } = msg.origin;
  const full = namespace ? `${namespace}/${name}` : name;
  const where = file ? ` ${file}${at ? `:${at}` : ''}` : '';
  const line = `${msg.level} [${msg.code}] (${kind} ${full}${where}) ${msg.message}`;
  return msg.hint ? `${line}\n    ${msg.hint}` : line;
}

export function hasErrors(messages: readonly AnalysisMessage[]): boolean {
  return messages.some((msg) => msg.level === 'Error');
}
