/**
 * The fields of the Kubernetes 1.32 types the runtime decodes (k8s.io/api core/v1, apps/v1,
 * meta/v1), so that a misspelt one is an unknown field as kubectl's strict decoding says, while
 * a real one the runtime has no use for locally (resources, volumes, securityContext...) passes.
 * Types below these are not checked here; the cluster's API server checks them.
 */

export const objectMetaFields: readonly string[] = Object.freeze([
  'annotations',
  'creationTimestamp',
  'deletionGracePeriodSeconds',
  'deletionTimestamp',
  'finalizers',
  'generateName',
  'generation',
  'labels',
  'managedFields',
  'name',
  'namespace',
  'ownerReferences',
  'resourceVersion',
  'selfLink',
  'uid',
]);

export const objectFields: readonly string[] = Object.freeze([
  'apiVersion',
  'kind',
  'metadata',
  'spec',
  'status',
]);

export const labelSelectorFields: readonly string[] = Object.freeze(['matchExpressions', 'matchLabels']);

export const deploymentSpecFields: readonly string[] = Object.freeze([
  'minReadySeconds',
  'paused',
  'progressDeadlineSeconds',
  'replicas',
  'revisionHistoryLimit',
  'selector',
  'strategy',
  'template',
]);

export const statefulSetSpecFields: readonly string[] = Object.freeze([
  'minReadySeconds',
  'ordinals',
  'persistentVolumeClaimRetentionPolicy',
  'podManagementPolicy',
  'replicas',
  'revisionHistoryLimit',
  'selector',
  'serviceName',
  'template',
  'updateStrategy',
  'volumeClaimTemplates',
]);

export const podTemplateFields: readonly string[] = Object.freeze(['metadata', 'spec']);

export const podSpecFields: readonly string[] = Object.freeze([
  'activeDeadlineSeconds',
  'affinity',
  'automountServiceAccountToken',
  'containers',
  'dnsConfig',
  'dnsPolicy',
  'enableServiceLinks',
  'ephemeralContainers',
  'hostAliases',
  'hostIPC',
  'hostNetwork',
  'hostPID',
  'hostUsers',
  'hostname',
  'imagePullSecrets',
  'initContainers',
  'nodeName',
  'nodeSelector',
  'os',
  'overhead',
  'preemptionPolicy',
  'priority',
  'priorityClassName',
  'readinessGates',
  'resourceClaims',
  'resources',
  'restartPolicy',
  'runtimeClassName',
  'schedulerName',
  'schedulingGates',
  'securityContext',
  'serviceAccount',
  'serviceAccountName',
  'setHostnameAsFQDN',
  'shareProcessNamespace',
  'subdomain',
  'terminationGracePeriodSeconds',
  'tolerations',
  'topologySpreadConstraints',
  'volumes',
]);

export const containerFields: readonly string[] = Object.freeze([
  'args',
  'command',
  'env',
  'envFrom',
  'image',
  'imagePullPolicy',
  'lifecycle',
  'livenessProbe',
  'name',
  'ports',
  'readinessProbe',
  'resizePolicy',
  'resources',
  'restartPolicy',
  'securityContext',
  'startupProbe',
  'stdin',
  'stdinOnce',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'tty',
  'volumeDevices',
  'volumeMounts',
  'workingDir',
]);

export const containerPortFields: readonly string[] = Object.freeze([
  'containerPort',
  'hostIP',
  'hostPort',
  'name',
  'protocol',
]);

export const envVarFields: readonly string[] = Object.freeze(['name', 'value', 'valueFrom']);

export const probeFields: readonly string[] = Object.freeze([
  'exec',
  'failureThreshold',
  'grpc',
  'httpGet',
  'initialDelaySeconds',
  'periodSeconds',
  'successThreshold',
  'tcpSocket',
  'terminationGracePeriodSeconds',
  'timeoutSeconds',
]);

export const httpGetFields: readonly string[] = Object.freeze([
  'host',
  'httpHeaders',
  'path',
  'port',
  'scheme',
]);

export const serviceSpecFields: readonly string[] = Object.freeze([
  'allocateLoadBalancerNodePorts',
  'clusterIP',
  'clusterIPs',
  'externalIPs',
  'externalName',
  'externalTrafficPolicy',
  'healthCheckNodePort',
  'internalTrafficPolicy',
  'ipFamilies',
  'ipFamilyPolicy',
  'loadBalancerClass',
  'loadBalancerIP',
  'loadBalancerSourceRanges',
  'ports',
  'publishNotReadyAddresses',
  'selector',
  'sessionAffinity',
  'sessionAffinityConfig',
  'trafficDistribution',
  'type',
]);

export const servicePortFields: readonly string[] = Object.freeze([
  'appProtocol',
  'name',
  'nodePort',
  'port',
  'protocol',
  'targetPort',
]);
