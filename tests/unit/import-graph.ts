/**
 * The project's import graph, read with the TypeScript compiler's parser (no type checking, so it takes
 * a moment): for each .ts file, every module it names in an import or `export ... from`, `import x =
 * require()`, `require()`, `require.resolve()`, `import()` or an `import('...')` type. Relative paths are
 * resolved to project files; anything else is a package (or a Node.js built-in). Then boundary rules,
 * stated as data (see import-graph.test.ts), are checked against the edges. It also lists the top-level
 * functions and constants each file defines, so that a rule can say a name is defined in one place only.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** One module named by one file. Paths are relative to the project root, with forward slashes. */
export interface ImportEdge {
  from: string;
  /** As written in the source. */
  specifier: string;
  /** The project file it resolves to (or the path it would be, if no file matches); undefined for a package. */
  to?: string;
  /** The package (or Node.js built-in) named, when the specifier is not relative. */
  package?: string;
  kind: 'import' | 'export' | 'import-equals' | 'require' | 'require.resolve' | 'dynamic-import' | 'import-type';
  /** `import type`, `export type`, all-`type` specifiers, or an `import('...')` type: erased when compiled. */
  typeOnly: boolean;
  line: number;
}

/**
 * Where a rule applies, or what it allows or forbids. A string ending in `/` is a folder (and all below it),
 * `**` is every project file, anything else is one file (the extension may be left out: `api/types` = `api/types.ts`).
 */
export type PathMatcher = string;
/**
 * A package name (also matches its subpaths), `node:*`: every Node.js built-in, with or without the `node:` prefix,
 * or `npm:*`: every package that is not a Node.js built-in.
 */
export type PackageMatcher = string;

export interface BoundaryRule {
  /** Short, stable name shown in failures. */
  id: string;
  /** What it says, in words. */
  description: string;
  /** The importing files it applies to. */
  from: PathMatcher[];
  /** Importing files it does not apply to. */
  exceptFrom?: PathMatcher[];
  /** Project files they must not import. */
  forbid?: PathMatcher[];
  /** The only project files they may import (packages are not affected; see forbidPackages). */
  allowOnly?: PathMatcher[];
  /** Packages they must not import. */
  forbidPackages?: PackageMatcher[];
  /** Whether a type-only import is allowed where a value import is not (default: no, types count too). */
  allowTypeOnly?: boolean;
}

export interface Violation {
  rule: string;
  from: string;
  /** The imported project file, or the package. */
  to: string;
  edge: ImportEdge;
}

/** The project's sources by path, plus every file path there is (for resolving `./x` to `x.ts`, `x/index.ts`, `x.json`...). */
export interface SourceTree {
  sources: Map<string, string>;
  files: Set<string>;
}

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage', 'tests/fixtures', 'tests/.artifacts']);

/** Every .ts file of the project (not .d.ts), skipping dependencies, run-time state (dot folders) and test fixtures. */
export function readSourceTree(root: string): SourceTree {
  const sources = new Map<string, string>();
  const files = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(rel)) walk(rel);
      } else if (entry.isFile()) {
        files.add(rel);
        if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) sources.set(rel, readFileSync(path.join(root, rel), 'utf8'));
      }
    }
  };
  walk('');
  return { sources, files };
}

/** A tree made of the given sources alone (for checking the checker). */
export function virtualTree(sources: Record<string, string>): SourceTree {
  return { sources: new Map(Object.entries(sources)), files: new Set(Object.keys(sources)) };
}

const RESOLVE_SUFFIXES = ['', '.ts', '.tsx', '.js', '.cjs', '.mjs', '.json', '/index.ts', '/index.js'];

function resolveRelative(from: string, specifier: string, files: Set<string>): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  for (const suffix of RESOLVE_SUFFIXES) if (files.has(base + suffix)) return base + suffix;
  return base; // not found: still in its folder, which is what the rules look at
}

/** The modules one file names. */
export function importsOf(file: string, text: string, files: Set<string>): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (literal: ts.Expression | ts.LiteralTypeNode['literal'] | undefined, kind: ImportEdge['kind'], typeOnly: boolean) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const specifier = literal.text;
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    const relative = specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
    edges.push(
      relative
        ? { from: file, specifier, to: resolveRelative(file, specifier, files), kind, typeOnly, line }
        : { from: file, specifier, package: specifier, kind, typeOnly, line },
    );
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, 'import', typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, 'export', node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'import-equals', node.isTypeOnly);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], 'dynamic-import', false);
      else if (ts.isIdentifier(callee) && callee.text === 'require') add(node.arguments[0], 'require', false);
      else if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'require' &&
        callee.name.text === 'resolve'
      ) {
        add(node.arguments[0], 'require.resolve', false);
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'import-type', true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

export function importGraph(tree: SourceTree): ImportEdge[] {
  return [...tree.sources].flatMap(([file, text]) => importsOf(file, text, tree.files));
}

const withoutExtension = (p: string) => p.replace(/\.(ts|tsx|js|cjs|mjs|json)$/, '');

export function pathMatches(file: string, matchers: PathMatcher[]): boolean {
  return matchers.some(
    (m) =>
      m === '**' ||
      (m.endsWith('/')
        ? file.startsWith(m)
        : withoutExtension(file) === withoutExtension(m) || withoutExtension(file) === `${withoutExtension(m)}/index`),
  );
}

export function packageMatches(name: string, matchers: PackageMatcher[]): boolean {
  const builtin = name.startsWith('node:') || isBuiltin(name);
  return matchers.some((m) => (m === 'node:*' ? builtin : m === 'npm:*' ? !builtin : name === m || name.startsWith(`${m}/`)));
}

/** Every edge that breaks a rule, in file order. */
export function checkBoundaries(edges: ImportEdge[], rules: BoundaryRule[]): Violation[] {
  const violations: Violation[] = [];
  for (const rule of rules) {
    for (const edge of edges) {
      if (!pathMatches(edge.from, rule.from) || pathMatches(edge.from, rule.exceptFrom ?? [])) continue;
      if (edge.typeOnly && rule.allowTypeOnly) continue;
      if (edge.to !== undefined) {
        const forbidden = (rule.forbid && pathMatches(edge.to, rule.forbid)) || (rule.allowOnly && !pathMatches(edge.to, rule.allowOnly));
        if (forbidden) violations.push({ rule: rule.id, from: edge.from, to: edge.to, edge });
      } else if (edge.package !== undefined && rule.forbidPackages && packageMatches(edge.package, rule.forbidPackages)) {
        violations.push({ rule: rule.id, from: edge.from, to: edge.package, edge });
      }
    }
  }
  return violations.sort((a, b) => a.from.localeCompare(b.from) || a.edge.line - b.edge.line || a.rule.localeCompare(b.rule));
}

/** One line per violation: `from -> to  [rule]  (line, how)`. */
export function describeViolation(v: Violation): string {
  const how = [v.edge.kind !== 'import' ? v.edge.kind : '', v.edge.typeOnly ? 'type-only' : ''].filter(Boolean).join(', ');
  return `${v.from} -> ${v.to}  [${v.rule}]  (line ${v.edge.line}: '${v.edge.specifier}'${how ? `, ${how}` : ''})`;
}

/** One top-level `function NAME`, `const/let/var NAME =` or `class NAME` of a file. */
export interface Definition {
  file: string;
  name: string;
  line: number;
}

/** The names a file defines at its top level (a local helper inside a function is its own business). */
export function definitionsOf(file: string, text: string): Definition[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Definition[] = [];
  const add = (name: ts.Node | undefined) => {
    if (name && ts.isIdentifier(name))
      found.push({ file, name: name.text, line: source.getLineAndCharacterOfPosition(name.getStart(source)).line + 1 });
  };
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) add(statement.name);
    else if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) add(d.name);
  }
  return found;
}

/** A concept only one folder may implement: `names` may be defined nowhere else (imported and re-exported, yes). */
export interface OwnershipRule {
  id: string;
  description: string;
  /** Where the names may be defined. */
  owner: PathMatcher[];
  names: string[];
  /** Files allowed to define them anyway (tests that stub one, say). */
  exceptIn?: PathMatcher[];
}

/** Every definition of an owned name outside its owner: `file: NAME  [rule]  (line N)`. */
export function checkOwnership(tree: SourceTree, rules: OwnershipRule[]): string[] {
  const out: string[] = [];
  for (const [file, text] of tree.sources) {
    for (const rule of rules) {
      if (pathMatches(file, rule.owner) || pathMatches(file, rule.exceptIn ?? [])) continue;
      for (const d of definitionsOf(file, text))
        if (rule.names.includes(d.name)) out.push(`${file}: ${d.name}  [${rule.id}]  (line ${d.line})`);
    }
  }
  return out.sort();
}
