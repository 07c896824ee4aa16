import { type FieldReader, isPort } from './fields.ts';
import {
  containerFields,
  containerPortFields,
  deploymentSpecFields,
  envVarFields,
  httpGetFields,
  labelSelectorFields,
  objectFields,
  objectMetaFields,
  podSpecFields,
  podTemplateFields,
  probeFields,
  servicePortFields,
  serviceSpecFields,
  statefulSetSpecFields,
} from './kubernetes-fields.ts';
import type {
  ConfigMap,
  Container,
  Deployment,
  EnvFromSource,
  EnvVar,
  HttpGetProbe,
  KeyRef,
  Service,
  Source,
  WorkloadKind,
} from './model.ts';

/** A Deployment or a StatefulSet: the runtime reads the same fields of both (replicas, pod template). */
export function parseDeployment(
  doc: FieldReader,
  source: Source,
  kind: WorkloadKind = 'Deployment',
): Deployment {
  doc.only(objectFields);
  const spec = doc.child('spec');
  spec.only(kind === 'Deployment' ? deploymentSpecFields : statefulSetSpecFields);
  const template = spec.child('template');
  template.only(podTemplateFields);
  const podLabels = template.child('metadata').labels('labels');
  template.child('metadata').only(objectMetaFields);
  const selector = spec.child('selector');
  selector.only(labelSelectorFields);
  const matchLabels = selector.labels('matchLabels');
  for (const [key, value] of Object.entries(matchLabels)) {
    if (podLabels[key] !== value) {
      spec.report(
        spec.error(`selector.matchLabels ${key}=${value} does not match the pod template's labels`),
      );
    }
  }
  const podSpec = template.child('spec');
  podSpec.only(podSpecFields);
  const containers = podSpec.items('containers', parseContainer, true);
  if (containers.length === 0 && podSpec.optionalList('containers').length === 0)
    throw template.error('needs at least one container', `${template.path}.spec.containers`);
  return Object.freeze({
    kind,
    ...source,
    replicas: spec.optionalInteger('replicas', 1),
    podLabels,
    podAnnotations: template.child('metadata').labels('annotations'),
    containers: Object.freeze(containers),
  });
}

function parseContainer(container: FieldReader): Container {
  container.only(containerFields);
  return Object.freeze({
    name: container.string('name'),
    image: container.string('image'),
    ports: Object.freeze(
      container.items('ports', (port) => {
        port.only(containerPortFields);
        return { name: port.optionalString('name'), containerPort: port.port('containerPort') };
      }),
    ),
    command: optionalStrings(container, 'command'),
    args: optionalStrings(container, 'args'),
    envFrom: Object.freeze(container.items('envFrom', parseEnvFrom)),
    env: Object.freeze(container.items('env', parseEnvVar)),
    readinessProbe: container.optional('readinessProbe', parseProbe),
    livenessProbe: container.optional('livenessProbe', parseProbe),
  });
}

function parseEnvVar(env: FieldReader): EnvVar {
  env.only(envVarFields);
  const name = env.string('name');
  if (!env.has('valueFrom')) {
    const value = env.child('value').value ?? '';
    if (typeof value !== 'string') throw env.error('must be a string (quote numbers)', `${env.path}.value`);
    return { name, value };
  }
  const valueFrom = env.child('valueFrom');
  const sources = ['secretKeyRef', 'configMapKeyRef', 'fieldRef'];
  valueFrom.only(
    sources,
    ['resourceFieldRef'],
    `is not supported locally (supported: ${sources.join(', ')})`,
  );
  const given = [...sources, 'resourceFieldRef'].filter((source) => valueFrom.has(source));
  if (given.length !== 1) throw valueFrom.error(`needs exactly one of ${sources.join(', ')}`);
  // Refused by name above; reaching here means its problem is being collected.
  if (given[0] === 'resourceFieldRef') return { name, value: '' };
  if (valueFrom.has('secretKeyRef'))
    return { name, secretKeyRef: parseKeyRef(valueFrom.child('secretKeyRef')) };
  if (valueFrom.has('configMapKeyRef')) {
    return { name, configMapKeyRef: parseKeyRef(valueFrom.child('configMapKeyRef')) };
  }
  const fieldRef = valueFrom.child('fieldRef');
  fieldRef.only(['fieldPath', 'apiVersion']);
  const fieldPath = fieldRef.string('fieldPath');
  if (!supportedFieldPath.test(fieldPath)) {
    throw fieldRef.error(
      `${fieldPath} is not supported locally (supported: metadata.name, metadata.namespace, metadata.labels['<key>'], status.podIP)`,
      `${fieldRef.path}.fieldPath`,
    );
  }
  return { name, fieldRef: { fieldPath } };
}

/** The downward API fields a local replica has (kubernetes `pkg/apis/core/validation` lists the rest). */
const supportedFieldPath = /^(metadata\.name|metadata\.namespace|status\.podIP|metadata\.labels\['[^']+'\])$/;

function parseKeyRef(ref: FieldReader): KeyRef {
  ref.only(['name', 'key', 'optional']);
  return Object.freeze({ name: ref.string('name'), key: ref.string('key'), optional: optionalBoolean(ref) });
}

function parseEnvFrom(source: FieldReader): EnvFromSource {
  source.only(['prefix', 'configMapRef', 'secretRef']);
  const refs = (['configMapRef', 'secretRef'] as const).filter((key) => source.has(key));
  if (refs.length !== 1) throw source.error('needs exactly one of configMapRef, secretRef');
  const key = refs[0] as 'configMapRef' | 'secretRef';
  const ref = source.child(key);
  ref.only(['name', 'optional']);
  const prefix = source.has('prefix') ? source.string('prefix') : '';
  return Object.freeze({
    kind: key === 'configMapRef' ? 'ConfigMap' : 'Secret',
    name: ref.string('name'),
    prefix,
    optional: optionalBoolean(ref),
  });
}

function optionalBoolean(reader: FieldReader, key = 'optional'): boolean {
  if (!reader.has(key)) return false;
  const value = reader.child(key).value;
  if (typeof value !== 'boolean') throw reader.error('must be true or false', `${reader.path}.${key}`);
  return value;
}

/** `command` and `args`: lists of strings, empty ones allowed, as Kubernetes takes them. */
function optionalStrings(container: FieldReader, key: string): readonly string[] | undefined {
  if (!container.has(key)) return undefined;
  return Object.freeze(
    container.list(key).map((item) => {
      if (typeof item.value !== 'string') throw item.error('must be a string (quote numbers)');
      return item.value;
    }),
  );
}

const configMapKey = /^[-._a-zA-Z0-9]+$/;

/** A ConfigMap's `data`: values are strings, keys as the API server allows them. */
export function parseConfigMap(doc: FieldReader, source: Source): ConfigMap {
  doc.only(
    ['apiVersion', 'kind', 'metadata', 'data'],
    ['binaryData', 'immutable'],
    'is not supported locally (supported: data)',
  );
  const data = doc.labels('data');
  for (const key of Object.keys(data)) {
    if (!configMapKey.test(key) || key === '.' || key === '..' || key.length > 253)
      throw doc.error('keys must consist of letters, digits, `-`, `_` or `.`', `data.${key}`);
  }
  return Object.freeze({ kind: 'ConfigMap', ...source, data });
}

function parseProbe(probe: FieldReader): HttpGetProbe | undefined {
  probe.only(probeFields);
  if (!probe.has('httpGet')) return undefined;
  const httpGet = probe.child('httpGet');
  httpGet.only(httpGetFields);
  const port = httpGet.child('port').value;
  if (!(typeof port === 'string' && port !== '') && !(typeof port === 'number' && isPort(port))) {
    throw httpGet.error('must be a port number (1..65535) or a port name', `${httpGet.path}.port`);
  }
  return Object.freeze({
    path: httpGet.optionalString('path') ?? '/',
    port,
    initialDelaySeconds: probe.optionalInteger('initialDelaySeconds', 0),
    periodSeconds: probe.optionalInteger('periodSeconds', 10, 1),
    timeoutSeconds: probe.optionalInteger('timeoutSeconds', 1, 1),
    failureThreshold: probe.optionalInteger('failureThreshold', 3, 1),
  });
}

export function parseService(doc: FieldReader, source: Source): Service {
  doc.only(objectFields);
  const spec = doc.child('spec');
  spec.only(serviceSpecFields);
  const ports = spec.items(
    'ports',
    (port) => {
      port.only(servicePortFields);
      const number = port.port('port');
      if (!port.has('targetPort')) return servicePort(port, number, number);
      const target = port.child('targetPort').value;
      if (!(typeof target === 'string' && target !== '') && !(typeof target === 'number' && isPort(target))) {
        throw port.error('must be a port number (1..65535) or a port name', `${port.path}.targetPort`);
      }
      return servicePort(port, number, target);
    },
    true,
  );
  return Object.freeze({
    kind: 'Service',
    ...source,
    selector: spec.labels('selector'),
    ports: Object.freeze(ports),
  });
}

function servicePort(port: FieldReader, number: number, targetPort: number | string) {
  return Object.freeze({
    name: port.optionalString('name'),
    port: number,
    targetPort,
    appProtocol: port.optionalString('appProtocol'),
  });
}
