import { type FieldReader, isPort } from './fields.ts';
import type { Container, Deployment, EnvVar, HttpGetProbe, Service, Source, WorkloadKind } from './model.ts';

/** A Deployment or a StatefulSet: the runtime reads the same fields of both (replicas, pod template). */
export function parseDeployment(
  doc: FieldReader,
  source: Source,
  kind: WorkloadKind = 'Deployment',
): Deployment {
  const spec = doc.child('spec');
  const template = spec.child('template');
  const podLabels = template.child('metadata').labels('labels');
  const matchLabels = spec.child('selector').labels('matchLabels');
  for (const [key, value] of Object.entries(matchLabels)) {
    if (podLabels[key] !== value) {
      throw spec.error(`selector.matchLabels ${key}=${value} does not match the pod template's labels`);
    }
  }
  const containers = template.child('spec').list('containers').map(parseContainer);
  if (containers.length === 0)
    throw template.error('needs at least one container', `${template.path}.spec.containers`);
  return Object.freeze({
    kind,
    ...source,
    replicas: spec.optionalInteger('replicas', 1),
    podLabels,
    containers: Object.freeze(containers),
  });
}

function parseContainer(container: FieldReader): Container {
  return Object.freeze({
    name: container.string('name'),
    image: container.string('image'),
    ports: Object.freeze(
      container.optionalList('ports').map((port) => ({
        name: port.optionalString('name'),
        containerPort: port.port('containerPort'),
      })),
    ),
    env: Object.freeze(container.optionalList('env').map(parseEnvVar)),
    readinessProbe: parseProbe(container, 'readinessProbe'),
    livenessProbe: parseProbe(container, 'livenessProbe'),
  });
}

function parseEnvVar(env: FieldReader): EnvVar {
  const name = env.string('name');
  if (!env.has('valueFrom')) {
    const value = env.child('value').value ?? '';
    if (typeof value !== 'string') throw env.error('must be a string (quote numbers)', `${env.path}.value`);
    return { name, value };
  }
  const valueFrom = env.child('valueFrom');
  valueFrom.only(['secretKeyRef'], 'only secretKeyRef is supported locally');
  const ref = valueFrom.child('secretKeyRef');
  return { name, secretKeyRef: { name: ref.string('name'), key: ref.string('key') } };
}

function parseProbe(container: FieldReader, key: string): HttpGetProbe | undefined {
  if (!container.has(key)) return undefined;
  const probe = container.child(key);
  if (!probe.has('httpGet')) return undefined;
  const httpGet = probe.child('httpGet');
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
  const spec = doc.child('spec');
  const ports = spec.list('ports').map((port) => {
    const number = port.port('port');
    const target = port.has('targetPort') ? port.child('targetPort').value : number;
    if (!(typeof target === 'string' && target !== '') && !(typeof target === 'number' && isPort(target))) {
      throw port.error('must be a port number (1..65535) or a port name', `${port.path}.targetPort`);
    }
    return Object.freeze({ name: port.optionalString('name'), port: number, targetPort: target });
  });
  return Object.freeze({
    kind: 'Service',
    ...source,
    selector: spec.labels('selector'),
    ports: Object.freeze(ports),
  });
}
