import { describe, expect, it } from 'vitest';
import { ManifestError } from '../src/errors.ts';
import { compile, gateway, services } from './support/mesh-harness.ts';

// What `mesh apply` and `mesh analyze` refuse, with the field's path and istiod's own words:
// pkg/config/validation/validation.go ValidateVirtualService, ValidateDestinationRule,
// validateExportTo, validateDestination, validateGatewayNames; virtualservice.go
// validateHTTPRoute, validateHTTPRouteConflict, validateHTTPRouteMatchRequest,
// validateAuthorityRewrite, ValidateHTTPHeaderOperationName, ValidateHTTPHeaderValue (cases of validation_test.go TestValidateVirtualService,
// TestValidateHTTPRoute, TestValidateDestination).

const base = `${services('back', 'front')}---${gateway}`;

const vs = (spec: string) => `${base}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: v, namespace: music }
spec:
${spec}`;

const dr = (spec: string) => `${base}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: d, namespace: music }
spec:
${spec}`;

/** The refusal's message, after `file: `. */
function refusal(yaml: string): string {
  try {
    compile(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).message.replace(/^test\.yaml \(document \d+\): /, '');
  }
  throw new Error('accepted');
}

const route = 'route: [{ destination: { host: back } }]';

describe('VirtualService validation', () => {
  it('refuses host * on a VirtualService bound to the mesh, and allows it on a gateway', () => {
    expect(refusal(vs(`  hosts: ["*"]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway',
    );
    expect(refusal(vs(`  hosts: ["*"]\n  gateways: [music-gateway, mesh]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway',
    );
    expect(() =>
      compile(vs(`  hosts: ["*"]\n  gateways: [music-gateway]\n  http: [{ ${route} }]\n`)),
    ).not.toThrow();
  });

  it('refuses invalid and duplicate hosts', () => {
    expect(refusal(vs(`  hosts: [a.example.com, "*.example.com"]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.hosts[1]: duplicate hosts in virtual service: a.example.com & *.example.com',
    );
    expect(refusal(vs(`  hosts: ["ba*ck"]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.hosts[0]: domain name "ba*ck" invalid (label "ba*ck" invalid)',
    );
    expect(refusal(vs(`  hosts: [back.1]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.hosts[0]: domain name "back.1" invalid (top level domain "1" cannot be all-numeric)',
    );
    expect(() => compile(vs(`  hosts: [10.0.0.1]\n  http: [{ ${route} }]\n`))).not.toThrow();
  });

  it('refuses a VirtualService without routes, and gateways on a delegate (no hosts)', () => {
    expect(refusal(vs('  hosts: [back]\n'))).toBe(
      'spec: http, tcp or tls must be provided in virtual service',
    );
    expect(refusal(vs(`  gateways: [music-gateway]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.gateways: delegate virtual service must have no gateways specified',
    );
  });

  it('refuses malformed gateway names', () => {
    expect(refusal(vs(`  hosts: [back]\n  gateways: ["/music-gateway"]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.gateways[0]: config namespace and gateway name cannot be empty',
    );
    expect(refusal(vs(`  hosts: [back]\n  gateways: ["music_ns/gw"]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.gateways[0]: invalid value for namespace: "music_ns"',
    );
  });

  it('refuses conflicting route actions in Istio’s words', () => {
    const redirect = 'redirect: { uri: /x }';
    expect(refusal(vs(`  hosts: [back]\n  http: [{ ${redirect}, ${route} }]\n`))).toBe(
      'spec.http[0]: HTTP route cannot contain both route and redirect',
    );
    expect(refusal(vs(`  hosts: [back]\n  http: [{ ${redirect}, rewrite: { uri: /y } }]\n`))).toBe(
      'spec.http[0]: HTTP route rule cannot contain both rewrite and redirect',
    );
    expect(
      refusal(
        vs(
          '  hosts: [back]\n  http: [{ directResponse: { status: 200 }, fault: { abort: { httpStatus: 500 } } }]\n',
        ),
      ),
    ).toBe('spec.http[0]: HTTP route cannot contain both fault and direct_response');
    expect(refusal(vs('  hosts: [back]\n  http: [{ name: empty }]\n'))).toBe(
      'spec.http[0]: HTTP route, redirect or direct_response is required',
    );
    expect(
      refusal(
        vs(
          `  hosts: [back]\n  http: [{ ${route}, mirror: { host: front }, mirrors: [{ destination: { host: front } }] }]\n`,
        ),
      ),
    ).toBe('spec.http[0]: HTTP route cannot contain both mirror and mirrors');
  });

  it('refuses rewriting the authority twice', () => {
    expect(
      refusal(
        vs(
          `  hosts: [back]\n  http: [{ ${route}, rewrite: { authority: a.example }, headers: { request: { set: { host: b.example } } } }]\n`,
        ),
      ),
    ).toBe(
      'spec.http[0]: authority header cannot be set multiple times: have "a.example", attempting to set "b.example"',
    );
  });

  it('refuses header operations on pseudo-headers or Host, and values or rewrites with control characters', () => {
    const headers = (h: string, extra = '') =>
      vs(`  hosts: [back]\n  http: [{ ${route}, headers: ${h}${extra} }]\n`);
    expect(refusal(headers('{ response: { set: { host: a } } }'))).toBe(
      'spec.http[0].headers.response.set.host: invalid header "host": cannot set Host header',
    );
    expect(refusal(headers('{ request: { remove: [":path"] } }'))).toBe(
      'spec.http[0].headers.request.remove[0]: invalid header ":path": header cannot have ":" prefix',
    );
    expect(refusal(headers('{ request: { add: { "x a": b } } }'))).toBe(
      'spec.http[0].headers.request.add.x a: header name x a is not a valid header name',
    );
    // A CR LF in a value would end the head line early: a second header, or a second response.
    expect(refusal(headers('{ response: { add: { x-split: "a\\r\\nset-cookie: s=1" } } }'))).toBe(
      'spec.http[0].headers.response.add.x-split: header value configuration "a\\r\\nset-cookie: s=1" is invalid: control character',
    );
    expect(refusal(vs(`  hosts: [back]\n  http: [{ redirect: { uri: "/a\\nb" } }]\n`))).toBe(
      'spec.http[0].redirect.uri: must not contain control characters',
    );
    expect(refusal(vs(`  hosts: [back]\n  http: [{ ${route}, rewrite: { authority: "a\\rb" } }]\n`))).toBe(
      'spec.http[0].rewrite.authority: must not contain control characters',
    );
    // Envoy takes a tab in a value, and Host is the authority on a request.
    expect(() => compile(headers('{ request: { set: { host: a.example, x-tab: "a\\tb" } } }'))).not.toThrow();
  });

  it('refuses empty prefixes and regexes except where Envoy takes them, and regexes RE2 refuses', () => {
    const match = (m: string) => vs(`  hosts: [back]\n  http: [{ match: [${m}], ${route} }]\n`);
    expect(refusal(match('{ headers: { x-user: { prefix: "" } } }'))).toBe(
      'spec.http[0].match[0].headers.x-user.prefix: "headers": prefix string match should not be empty',
    );
    expect(() => compile(match('{ uri: { prefix: "" } }'))).not.toThrow();
    expect(refusal(match('{ uri: { regex: "" } }'))).toBe(
      'spec.http[0].match[0].uri.regex: "uri": regex string match should not be empty',
    );
    expect(refusal(match(`{ uri: { regex: "${'a'.repeat(1025)}" } }`))).toBe(
      'spec.http[0].match[0].uri.regex: "uri": regex is too large, max length allowed is 1024',
    );
    expect(refusal(match('{ headers: { x-user: { regex: "*" } } }'))).toMatch(
      /^spec\.http\[0\]\.match\[0\]\.headers\.x-user\.regex: "headers": .*; Istio uses RE2 style regex-based match/,
    );
  });

  it('refuses destination host * and subset names that cannot be part of a cluster name', () => {
    expect(refusal(vs('  hosts: [back]\n  http: [{ route: [{ destination: { host: "*" } }] }]\n'))).toBe(
      'spec.http[0].route[0].destination.host: invalid destination host *',
    );
    expect(
      refusal(vs('  hosts: [back]\n  http: [{ route: [{ destination: { host: back, subset: V_1 } }] }]\n')),
    ).toBe('spec.http[0].route[0].destination.subset: subset name is invalid: V_1');
  });
});

describe('DestinationRule and exportTo validation', () => {
  it('refuses duplicate subset names and invalid ones', () => {
    expect(refusal(dr('  host: back\n  subsets: [{ name: v1 }, { name: v1 }]\n'))).toBe(
      'spec.subsets[1]: duplicate subset names: v1',
    );
    expect(refusal(dr('  host: back\n  subsets: [{ name: "v.1" }]\n'))).toBe(
      'spec.subsets[0].name: subset name is invalid: v.1',
    );
  });

  it('refuses exportTo entries Istio refuses', () => {
    expect(refusal(dr('  host: back\n  exportTo: [music, "."]\n'))).toBe(
      'spec.exportTo[1]: duplicate entries in exportTo: . and current namespace music',
    );
    expect(refusal(dr('  host: back\n  exportTo: ["*", shop]\n'))).toBe(
      'spec.exportTo: cannot have both public (*) and non-public exportTo values for a resource',
    );
    expect(refusal(vs(`  hosts: [back]\n  exportTo: ["~"]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.exportTo[0]: exportTo ~ (none) is not allowed for Istio configuration objects',
    );
    expect(refusal(vs(`  hosts: [back]\n  exportTo: [shop_1]\n  http: [{ ${route} }]\n`))).toBe(
      'spec.exportTo[0]: only .,*, or a valid DNS 1123 label is allowed as exportTo entry',
    );
  });
});
