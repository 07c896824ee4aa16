import { join } from 'node:path';
import ts from 'typescript';
import { type Manifest, objectName, repo } from './render.ts';

/** Where the model of an apiVersion + kind lives, and the name of its interface. */
interface ModelRef {
  readonly module: string;
  readonly typeName: string;
  /** The class whose validate() checks types, enums and required fields; none: types only. */
  readonly className: string | undefined;
}

const istioGroups = new Set([
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
]);

export function modelOf(apiVersion: string, kind: string): ModelRef | undefined {
  if (apiVersion === 'install.istio.io/v1alpha1' && kind === 'IstioOperator') {
    // @kubernetes-models/istio types it without a spec: our own allow-list.
    return {
      module: './test/deploy/support/istio-operator-types.ts',
      typeName: 'IstioOperatorManifest',
      className: undefined,
    };
  }
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!version || !/^[A-Za-z]+$/.test(kind)) return undefined;
  if (group && istioGroups.has(group)) {
    return {
      module: `@kubernetes-models/istio/${group}/${version}/${kind}`,
      typeName: `I${kind}`,
      className: kind,
    };
  }
  return {
    module: `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`,
    typeName: `I${kind}`,
    className: kind,
  };
}

/** kubernetes-models' validate(): wrong types, bad enums, missing required fields. */
export async function validateModel(manifest: Manifest): Promise<string[]> {
  const ref = modelOf(manifest.apiVersion, manifest.kind);
  if (!ref) return [`${objectName(manifest)}: no model for ${manifest.apiVersion} ${manifest.kind}`];
  if (!ref.className) return [];
  let module: Record<string, unknown>;
  try {
    module = (await import(ref.module)) as Record<string, unknown>;
  } catch {
    return [`${objectName(manifest)}: no model for ${manifest.apiVersion} ${manifest.kind}`];
  }
  const Model = module[ref.className] as new (data: unknown) => { validate(): void };
  try {
    new Model(withUnfoldedSecretData(manifest)).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) return [`${objectName(manifest)}: ${(error as Error).message}`];
    return errors.map(
      (e) => `${objectName(manifest)}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
    );
  }
}

/**
 * kustomize folds long base64 values over several lines; Go's base64 decoder (the API server's)
 * skips the newlines, the validator's `byte` format does not.
 */
function withUnfoldedSecretData(manifest: Manifest): Manifest {
  if (manifest.kind !== 'Secret' || !manifest.data || typeof manifest.data !== 'object') return manifest;
  const data = Object.fromEntries(
    Object.entries(manifest.data).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.replace(/\s/g, '') : value,
    ]),
  );
  return { ...manifest, data };
}

/**
 * kubectl's strict field validation, offline: every field of an object must be one its model's
 * TypeScript type declares (kubernetes-models' validate() lets unknown and misspelt fields pass).
 * The types are read once with the TypeScript compiler, from the packages' .d.ts files.
 */
export class FieldChecker {
  readonly #checker: ts.TypeChecker;
  readonly #types = new Map<string, ts.Type | undefined>();

  constructor(manifests: readonly Manifest[]) {
    const refs = new Map<string, ModelRef>();
    for (const manifest of manifests) {
      const ref = modelOf(manifest.apiVersion, manifest.kind);
      if (ref) refs.set(`${manifest.apiVersion}/${manifest.kind}`, ref);
    }
    const entries = [...refs.entries()];
    const file = join(repo, '__deploy-field-types__.ts');
    const source = entries
      .map(
        ([, ref], i) =>
          `import type { ${ref.typeName} as T${i} } from '${ref.module}';\nexport type K${i} = T${i};`,
      )
      .join('\n');
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      allowImportingTsExtensions: true,
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language, ...rest) =>
      name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    this.#checker = program.getTypeChecker();
    const sourceFile = program.getSourceFile(file);
    const aliases = new Map<string, ts.Type>();
    sourceFile?.forEachChild((node) => {
      if (ts.isTypeAliasDeclaration(node))
        aliases.set(node.name.text, this.#checker.getTypeAtLocation(node.name));
    });
    entries.forEach(([key], i) => {
      const type = aliases.get(`K${i}`);
      this.#types.set(key, type && !(type.flags & ts.TypeFlags.Any) ? type : undefined);
    });
  }

  /** Paths of the fields no type declares, e.g. `spec.replicsa`. */
  unknownFields(manifest: Manifest): string[] {
    const type = this.#types.get(`${manifest.apiVersion}/${manifest.kind}`);
    if (!type) return [`(no type found for ${manifest.apiVersion} ${manifest.kind})`];
    const found: string[] = [];
    this.#walk(manifest, type, '', found);
    return found;
  }

  #walk(value: unknown, declared: ts.Type, path: string, found: string[]): void {
    if (value === null || typeof value !== 'object') return;
    const checker = this.#checker;
    const type = checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    const members = type.isUnion() ? type.types : [type];
    if (Array.isArray(value)) {
      const element = members
        .filter((member) => checker.isArrayType(member))
        .map((member) => checker.getTypeArguments(member as ts.TypeReference)[0])[0];
      if (element) {
        for (const [index, item] of value.entries()) this.#walk(item, element, `${path}[${index}]`, found);
      }
      return;
    }
    const objects = members.filter(
      (member) =>
        member.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection) &&
        !checker.isArrayType(member) &&
        checker.getSignaturesOfType(member, ts.SignatureKind.Call).length === 0,
    );
    if (objects.length === 0) return;
    for (const [key, item] of Object.entries(value)) {
      const fieldPath = path ? `${path}.${key}` : key;
      let fieldType: ts.Type | undefined;
      for (const object of objects) {
        const property = checker.getPropertyOfType(object, key);
        fieldType = property
          ? checker.getTypeOfSymbol(property)
          : checker.getIndexTypeOfType(object, ts.IndexKind.String);
        if (fieldType) break;
      }
      if (fieldType) this.#walk(item, fieldType, fieldPath, found);
      else found.push(fieldPath);
    }
  }
}
