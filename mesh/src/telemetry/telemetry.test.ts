import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAccessLog, redactQuery } from './access-log.ts';
import { defaultBuckets, IstioMetrics } from './metrics.ts';
import { type RequestRecord, requestChannel, type WorkloadIdentity } from './record.ts';
import { startTelemetry, type Telemetry } from './server.ts';

const gateway: WorkloadIdentity = Object.freeze({
  workload: 'istio-ingressgateway',
  namespace: 'istio-system',
  app: 'istio-ingressgateway',
  version: 'unknown',
});

const backV1 = Object.freeze({
  workload: 'back-v1',
  namespace: 'music',
  app: 'back',
  version: 'v1',
  service: 'back.music.svc.cluster.local',
  serviceName: 'back',
});

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    reporter: 'source',
    startTime: Date.UTC(2026, 10, 25, 13, 24, 57, 930),
    durationMs: 3.4,
    upstreamServiceTimeMs: 2.6,
    method: 'GET',
    path: '/back/api/tracks?page=1',
    protocol: 'HTTP/1.1',
    authority: 'localhost:8080',
    status: 200,
    responseFlags: '-',
    requestBytes: 0,
    responseBytes: 180,
    requestId: '9f69865b-eed1-409b-8c12-12436234a191',
    userAgent: 'curl/8.5.0',
    forwardedFor: '127.0.0.1',
    upstreamHost: '127.0.0.1:41234',
    upstreamCluster: 'outbound|8080|v1|back.music.svc.cluster.local',
    routeName: 'back-gw-virtualservice.music/back',
    source: gateway,
    destination: backV1,
    mirror: false,
    ...overrides,
  };
}

/** Sample lines of one metric whose labels include every `label="value"` given. */
function samples(text: string, metric: string, ...labels: string[]): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) && labels.every((label) => line.includes(label)));
}

function value(line: string | undefined): number {
  return Number(line?.slice(line.lastIndexOf(' ') + 1));
}

describe('Istio metrics from request records', () => {
  it('counts each record under its reporter (caller side and inbound side), with every istio_stats label in its order', () => {
    const metrics = new IstioMetrics();
    metrics.record(record());
    metrics.record(record({ reporter: 'destination' }));
    metrics.record(record({ durationMs: 0.3 }));
    metrics.record(record({ reporter: 'destination', durationMs: 0.3 }));
    const text = metrics.render();

    const totals = samples(text, 'istio_requests_total');
    expect(totals).toHaveLength(2);
    expect(value(samples(text, 'istio_requests_total', 'reporter="source"')[0])).toBe(2);
    expect(value(samples(text, 'istio_requests_total', 'reporter="destination"')[0])).toBe(2);
    expect(samples(text, 'istio_requests_total', 'reporter="source"')[0]).toBe(
      'istio_requests_total{reporter="source",source_workload="istio-ingressgateway",' +
        'source_canonical_service="istio-ingressgateway",source_canonical_revision="latest",' +
        'source_workload_namespace="istio-system",source_principal="unknown",source_app="istio-ingressgateway",' +
        'source_version="unknown",source_cluster="Kubernetes",destination_workload="back-v1",' +
        'destination_workload_namespace="music",destination_principal="unknown",destination_app="back",' +
        'destination_version="v1",destination_service="back.music.svc.cluster.local",' +
        'destination_canonical_service="back",destination_canonical_revision="v1",' +
        'destination_service_name="back",destination_service_namespace="music",' +
        'destination_cluster="Kubernetes",request_protocol="http",response_code="200",' +
        'grpc_response_status="",response_flags="-",connection_security_policy="unknown"} 2',
    );
    expect(samples(text, 'istio_requests_total', 'reporter="destination"')[0]).toContain(
      'connection_security_policy="none"',
    );
  });

  it("fills histograms with Envoy's default buckets, cumulative, with sum and count", () => {
    const metrics = new IstioMetrics();
    for (const reporter of ['source', 'destination'] as const) {
      metrics.record(record({ reporter, durationMs: 0.3, requestBytes: 0, responseBytes: 180 }));
      metrics.record(record({ reporter, durationMs: 3.4, requestBytes: 20, responseBytes: 180 }));
      metrics.record(record({ reporter, durationMs: 70, requestBytes: 20, responseBytes: 4000 }));
    }
    const text = metrics.render();

    expect(text).toContain('# TYPE istio_request_duration_milliseconds histogram\n');
    const duration = samples(text, 'istio_request_duration_milliseconds_bucket', 'reporter="source"');
    expect(duration.map((line) => /le="([^"]+)"/.exec(line)?.[1])).toEqual([
      ...defaultBuckets.map(String),
      '+Inf',
    ]);
    const bucket = (le: string) => value(duration.find((line) => line.includes(`le="${le}"`)));
    expect([bucket('0.5'), bucket('1'), bucket('5'), bucket('50'), bucket('100'), bucket('+Inf')]).toEqual([
      1, 1, 2, 2, 3, 3,
    ]);
    expect(
      value(samples(text, 'istio_request_duration_milliseconds_sum', 'reporter="source"')[0]),
    ).toBeCloseTo(73.7);
    expect(value(samples(text, 'istio_request_duration_milliseconds_count', 'reporter="source"')[0])).toBe(3);
    const responseBytes = samples(text, 'istio_response_bytes_bucket', 'reporter="destination"');
    expect(value(responseBytes.find((line) => line.includes('le="1000"')))).toBe(2);
    expect(value(responseBytes.find((line) => line.includes('le="10000"')))).toBe(3);
    expect(value(samples(text, 'istio_request_bytes_sum', 'reporter="source"')[0])).toBe(40);
  });

  it('keeps codes and response flags apart, each reporter with its own (503 UF inbound, 503 - at the caller)', () => {
    const metrics = new IstioMetrics();
    metrics.record(record());
    metrics.record(
      record({ status: 503, responseFlags: 'UH', upstreamHost: undefined, upstreamCluster: undefined }),
    );
    metrics.record(record({ status: 503, responseFlags: 'URX' }));
    metrics.record(record({ reporter: 'destination', status: 503, responseFlags: 'UF' }));
    metrics.record(
      record({
        status: 404,
        responseFlags: 'NR',
        destination: undefined,
        upstreamHost: undefined,
        routeName: undefined,
      }),
    );
    const text = metrics.render();

    expect(samples(text, 'istio_requests_total', 'response_flags="UH"')).toHaveLength(1);
    expect(samples(text, 'istio_requests_total', 'response_flags="UH"', 'reporter="source"')).toHaveLength(1);
    expect(samples(text, 'istio_requests_total', 'response_flags="URX"', 'reporter="source"')).toHaveLength(
      1,
    );
    expect(
      samples(
        text,
        'istio_requests_total',
        'response_flags="UF"',
        'reporter="destination"',
        'response_code="503"',
      ),
    ).toHaveLength(1);
    expect(samples(text, 'istio_requests_total', 'reporter="destination"')).toHaveLength(1);
    const noRoute = samples(text, 'istio_requests_total', 'response_flags="NR"');
    expect(noRoute).toHaveLength(1);
    // The gateway does not fall back on the Host header (Istio disables it for gateways).
    expect(noRoute[0]).toContain('destination_service="unknown"');
    expect(noRoute[0]).toContain('response_code="404"');
  });

  it('uses the Host header as destination_service when a sidecar finds no route', () => {
    const metrics = new IstioMetrics();
    const front = { workload: 'front-v1', namespace: 'music', app: 'front', version: 'v1' };
    metrics.record(
      record({
        source: front,
        authority: 'elsewhere:8080',
        status: 404,
        responseFlags: 'NR',
        destination: undefined,
        upstreamHost: undefined,
      }),
    );
    const [line] = samples(metrics.render(), 'istio_requests_total');
    expect(line).toContain('destination_service="elsewhere"');
    expect(line).toContain('destination_service_name="elsewhere"');
  });

  it('counts a mirrored copy at the destination only', () => {
    const metrics = new IstioMetrics();
    const backV2 = { ...backV1, workload: 'back-v2', version: 'v2' };
    metrics.record(record({ destination: backV2, mirror: true, status: 503, responseFlags: 'UH' }));
    metrics.record(record({ reporter: 'destination', destination: backV2, mirror: true }));
    const text = metrics.render();
    const totals = samples(text, 'istio_requests_total');
    expect(totals).toHaveLength(1);
    expect(totals[0]).toContain('reporter="destination"');
    expect(totals[0]).toContain('destination_version="v2"');
  });

  it('escapes label values and renders nothing before the first request', () => {
    const metrics = new IstioMetrics();
    expect(metrics.render()).toBe('');
    metrics.record(
      record({
        source: { workload: 'a"b\\c', namespace: 'music', app: 'x', version: 'v1' },
        destination: undefined,
      }),
    );
    expect(metrics.render()).toContain('source_workload="a\\"b\\\\c"');
  });

  it('holds one series per combination, however many requests', () => {
    const metrics = new IstioMetrics();
    for (let i = 0; i < 1000; i++)
      metrics.record(
        record({
          reporter: i % 2 === 0 ? 'source' : 'destination',
          durationMs: i % 7,
          source: { ...gateway },
        }),
      );
    expect(metrics.seriesCount).toBe(2);
  });
});

describe('access log', () => {
  it('hides the values of credential-like query parameters and keeps the rest of the path', () => {
    const line = formatAccessLog(
      record({ path: '/callback?code=abc123&state=xyz&Access_Token=eyJhbGci.e30.sig&page=2&API_KEY=k1' }),
    );
    expect(line).toContain(
      '"GET /callback?code=[redacted]&state=xyz&Access_Token=[redacted]&page=2&API_KEY=[redacted] HTTP/1.1"',
    );
    expect(line).not.toMatch(/abc123|eyJhbGci|k1/);
  });

  it('redacts token, password, secret, sig and auth parameters in any case, and nothing else', () => {
    expect(redactQuery('/a?token=t&Password=p&client_secret=s&sig=g&X-Amz-Signature=v&authkey=a')).toBe(
      '/a?token=[redacted]&Password=[redacted]&client_secret=[redacted]&sig=[redacted]&X-Amz-Signature=[redacted]&authkey=[redacted]',
    );
    expect(redactQuery('/back/api/tracks?page=1&size=20&q=keynote')).toBe(
      '/back/api/tracks?page=1&size=20&q=keynote',
    );
    expect(redactQuery('/no/query')).toBe('/no/query');
  });

  it("writes Istio's default text format, %ROUTE_NAME% last", () => {
    const line = formatAccessLog(
      record({ downstreamRemoteAddress: '127.0.0.1:50312', downstreamLocalAddress: '127.0.0.1:8080' }),
    );
    expect(line).toBe(
      '[2026-11-25T13:24:57.930Z] "GET /back/api/tracks?page=1 HTTP/1.1" 200 - via_upstream - "-" 0 180 3 2 ' +
        '"127.0.0.1" "curl/8.5.0" "9f69865b-eed1-409b-8c12-12436234a191" "localhost:8080" "127.0.0.1:41234" ' +
        'outbound|8080|v1|back.music.svc.cluster.local - 127.0.0.1:8080 127.0.0.1:50312 - ' +
        'back-gw-virtualservice.music/back',
    );
  });

  it('prints - for every value the request did not have', () => {
    const line = formatAccessLog(
      record({
        status: 404,
        responseFlags: 'NR',
        upstreamServiceTimeMs: undefined,
        requestId: undefined,
        userAgent: undefined,
        forwardedFor: undefined,
        upstreamHost: undefined,
        upstreamCluster: undefined,
        routeName: undefined,
        destination: undefined,
        durationMs: 0.2,
        responseBytes: 0,
      }),
    );
    expect(line).toBe(
      '[2026-11-25T13:24:57.930Z] "GET /back/api/tracks?page=1 HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - ' +
        '"-" "-" "-" "localhost:8080" "-" - - - - - -',
    );
  });

  it('writes each line with its own outcome, sizes, upstream and route, also when only one of them changes', () => {
    const base = { downstreamRemoteAddress: '127.0.0.1:50312', downstreamLocalAddress: '127.0.0.1:8080' };
    const lines = [
      record(base),
      record({ ...base, status: 503, responseFlags: 'UH' }),
      record({ ...base, authority: 'back:8080' }),
      record({ ...base, upstreamHost: '127.0.0.1:41235' }),
      record({ ...base, reporter: 'destination', upstreamCluster: 'inbound|8080||' }),
      record({ ...base, routeName: 'other.music/0' }),
      record({
        ...base,
        downstreamRemoteAddress: '127.0.0.1:50313',
        upstreamLocalAddress: '127.0.0.1:40000',
      }),
      record({ ...base, requestBytes: 12 }),
      record({ ...base, responseBytes: 0, durationMs: 1234.5, protocol: 'HTTP/1.0' }),
      record(base),
    ].map(formatAccessLog);
    const fields = (line: string) => line.split(' ');
    expect(fields(lines[0] as string).slice(4, 7)).toEqual(['200', '-', 'via_upstream']);
    expect(fields(lines[1] as string).slice(4, 7)).toEqual(['503', 'UH', 'no_healthy_upstream']);
    expect(lines[2]).toContain('"back:8080" "127.0.0.1:41234"');
    expect(lines[3]).toContain('"localhost:8080" "127.0.0.1:41235"');
    expect(lines[4]).toContain(' inbound|8080|| - 127.0.0.1:8080 ');
    expect(lines[5]).toMatch(/ - other\.music\/0$/);
    expect(lines[6]).toContain(' 127.0.0.1:40000 127.0.0.1:8080 127.0.0.1:50313 - ');
    expect(fields(lines[7] as string).slice(9, 13)).toEqual(['12', '180', '3', '2']);
    expect(fields(lines[8] as string).slice(3, 4)).toEqual(['HTTP/1.0"']);
    expect(fields(lines[8] as string).slice(9, 13)).toEqual(['0', '0', '1234', '2']);
    expect(lines[9]).toBe(lines[0]);
    const later = formatAccessLog(record({ ...base, startTime: Date.UTC(2026, 10, 25, 13, 24, 58, 7) }));
    expect(later.startsWith('[2026-11-25T13:24:58.007Z] "GET ')).toBe(true);
  });

  it("names the outcome of Envoy's own answers in %RESPONSE_CODE_DETAILS%", () => {
    const details = (responseFlags: string, status: number) =>
      formatAccessLog(record({ responseFlags, status })).split(' ')[6];
    expect(details('UH', 503)).toBe('no_healthy_upstream');
    expect(details('UF,URX', 503)).toBe('upstream_reset_before_response_started{connection_failure}');
    expect(details('FI', 500)).toBe('fault_filter_abort');
    expect(details('DI', 200)).toBe('via_upstream');
  });
});

describe('telemetry server', () => {
  let telemetry: Telemetry;
  const lines: string[] = [];

  beforeEach(async () => {
    lines.length = 0;
    telemetry = await startTelemetry({
      statsPort: 0,
      host: '127.0.0.1',
      accessLog: (line) => lines.push(line),
    });
  });

  afterEach(async () => {
    await telemetry.close();
  });

  it('serves records published on the channel at /stats/prometheus, and logs each one', async () => {
    expect(telemetry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stats\/prometheus$/);
    requestChannel.publish(record());
    requestChannel.publish(record({ reporter: 'destination' }));
    requestChannel.publish(
      record({
        reporter: 'destination',
        mirror: true,
        destination: { ...backV1, workload: 'back-v2', version: 'v2' },
      }),
    );

    const response = await request(telemetry.url);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.body.text();
    expect(samples(text, 'istio_requests_total')).toHaveLength(3);
    expect(
      value(samples(text, 'istio_requests_total', 'reporter="destination"', 'destination_version="v2"')[0]),
    ).toBe(1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^\[2026-11-25T13:24:57\.930Z\] "GET \/back\/api\/tracks\?page=1 HTTP\/1\.1" 200 /,
    );
  });

  it('keeps serving after malformed requests, bodies cut short and resets', async () => {
    const { port } = new URL(telemetry.url);
    const inputs = [
      'POST /stats/prometheus HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n',
      'POST /stats/prometheus HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\nxxxx',
      'GET / HTTP/1.1\nHost: x\n\n',
      'FOO\x00 / HTTP/1.1\r\n\r\n',
    ];
    await Promise.all(
      inputs.map(
        (input, i) =>
          new Promise<void>((resolve) => {
            const socket = connect(Number(port), '127.0.0.1', () =>
              socket.write(input, () => (i % 2 === 0 ? socket.resetAndDestroy() : socket.end())),
            );
            socket.on('error', () => {});
            socket.on('close', () => resolve());
            socket.resume();
          }),
      ),
    );
    expect((await request(telemetry.url)).statusCode).toBe(200);
  });

  it('answers 404 elsewhere, and stops listening to the channel once closed', async () => {
    const other = await request(telemetry.url.replace('/stats/prometheus', '/metrics'));
    expect(other.statusCode).toBe(404);
    await other.body.dump();

    await telemetry.close();
    expect(requestChannel.hasSubscribers).toBe(false);
    requestChannel.publish(record());
    expect(lines).toHaveLength(0);
  });
});
