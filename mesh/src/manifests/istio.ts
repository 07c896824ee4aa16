import type { FieldReader } from './fields.ts';
import type {
  Gateway,
  HttpMatchRequest,
  HttpRoute,
  HttpRouteDestination,
  Source,
  StringMatch,
  VirtualService,
} from './model.ts';

const notYet = 'is not supported by the local runtime yet';

export function parseGateway(doc: FieldReader, source: Source): Gateway {
  const spec = doc.child('spec');
  const servers = spec.list('servers').map((server) => {
    const port = server.child('port');
    return Object.freeze({
      port: Object.freeze({
        number: port.integer('number', 1),
        name: port.string('name'),
        protocol: port.string('protocol').toUpperCase(),
      }),
      hosts: Object.freeze(server.stringList('hosts')),
    });
  });
  return Object.freeze({ kind: 'Gateway', ...source, selector: spec.labels('selector'), servers });
}

export function parseVirtualService(doc: FieldReader, source: Source): VirtualService {
  const spec = doc.child('spec');
  spec.only(['hosts', 'gateways', 'http', 'exportTo'], notYet);
  const gateways = spec.has('gateways') ? spec.stringList('gateways') : ['mesh'];
  return Object.freeze({
    kind: 'VirtualService',
    ...source,
    hosts: Object.freeze(spec.stringList('hosts')),
    gateways: Object.freeze(gateways),
    http: Object.freeze(spec.optionalList('http').map(parseHttpRoute)),
  });
}

function parseHttpRoute(route: FieldReader): HttpRoute {
  route.only(['name', 'match', 'route'], notYet);
  const destinations = route.list('route').map(parseDestination);
  if (destinations.length === 0) throw route.error('needs at least one destination', `${route.path}.route`);
  return Object.freeze({
    name: route.optionalString('name'),
    match: Object.freeze(route.optionalList('match').map(parseMatch)),
    route: Object.freeze(destinations),
  });
}

function parseMatch(match: FieldReader): HttpMatchRequest {
  match.only(['name', 'uri'], notYet);
  return Object.freeze({
    name: match.optionalString('name'),
    uri: match.has('uri') ? parseStringMatch(match.child('uri')) : undefined,
  });
}

function parseStringMatch(field: FieldReader): StringMatch {
  field.only(['exact', 'prefix'], notYet);
  const keys = Object.keys(field.record());
  if (keys.length !== 1) throw field.error('needs exactly one of exact, prefix');
  const value = field.child(keys[0] as string).value;
  if (typeof value !== 'string') throw field.error('must be a string', `${field.path}.${keys[0]}`);
  return keys[0] === 'exact' ? { exact: value } : { prefix: value };
}

function parseDestination(item: FieldReader): HttpRouteDestination {
  item.only(['destination', 'weight'], notYet);
  const destination = item.child('destination');
  destination.only(['host', 'port'], notYet);
  return Object.freeze({
    host: destination.string('host'),
    port: destination.has('port') ? destination.child('port').integer('number', 1) : undefined,
    weight: item.has('weight') ? item.integer('weight') : undefined,
  });
}
